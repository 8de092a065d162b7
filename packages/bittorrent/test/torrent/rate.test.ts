import { describe, expect, it } from 'vitest';
import { RateMeter, TokenBucket } from '../../src/torrent/rate.js';

describe('RateMeter', () => {
  it('recent() counts the current second at once; rate() only complete seconds', () => {
    const meter = new RateMeter(0);
    meter.add(100_000);
    // Half a second in: a status line shows it now (over at least a second), rate() not yet.
    expect(meter.recent(500)).toBe(100_000);
    expect(meter.rate(5)).toBe(0);
    meter.rotate(1000);
    meter.add(50_000);
    // One full second (100 kB) and half of the next (50 kB): 150 kB over 1.5 s.
    expect(meter.recent(1500)).toBe(100_000);
    meter.rotate(3000);
    // Then a quiet second: the last two complete seconds hold 50 kB.
    expect(meter.recent(3000)).toBe(25_000);
    meter.rotate(5000);
    expect(meter.recent(5000)).toBe(0);
  });
});

describe('TokenBucket', () => {
  it('allows a burst of one second, then the rate; says how long to wait', () => {
    const bucket = new TokenBucket(1000, 0, 16);
    expect(bucket.take(1000, 0)).toBe(true);
    expect(bucket.take(1, 0)).toBe(false);
    expect(bucket.waitMs(500, 0)).toBe(500);
    expect(bucket.take(500, 500)).toBe(true);
    // Never more than the capacity, however long the pause.
    expect(bucket.available(60_000)).toBe(1000);
  });

  it('a limit below one block still pays for a block (capacity >= minCapacity)', () => {
    const bucket = new TokenBucket(100, 0, 16384);
    expect(bucket.take(16384, 0)).toBe(true);
    expect(bucket.waitMs(16384, 0)).toBe(163_840);
  });
});
