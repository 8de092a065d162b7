import { createRandom } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { fluidBound } from '../../src/scenarios/bound.js';
import { drawRates, parseRateSpec } from '../../src/scenarios/rates.js';
import { summarize } from '../../src/scenarios/stats.js';

describe('fluid bound (Kumar & Ross)', () => {
  it("matches the fact sheet's worked example: 1000 peers, 100 MB, ~792 s", () => {
    // F = 800 Mbit, u_s = 10 Mbit/s, u_i = 1 Mbit/s, d_i = 10 Mbit/s (in bytes and bytes/s).
    const mbit = 1e6 / 8;
    const b = fluidBound(
      800 * mbit,
      10 * mbit,
      new Array(1000).fill(1 * mbit),
      new Array(1000).fill(10 * mbit),
    );
    expect(b.seedTerm).toBeCloseTo(80, 9);
    expect(b.downloadTerm).toBeCloseTo(80, 9);
    expect(b.swarmTerm).toBeCloseTo((1000 * 800) / 1010, 9);
    expect(b.seconds).toBeCloseTo(792.08, 2);
    expect(b.limitedBy).toBe('swarm');
  });

  it('is decided by the seed or the slowest downloader when those are tighter', () => {
    expect(fluidBound(1000, 10, [1000, 1000]).limitedBy).toBe('seed');
    const b = fluidBound(1000, 1000, [1000, 1000], [500, 5]);
    expect(b.limitedBy).toBe('download');
    expect(b.seconds).toBe(200);
    expect(fluidBound(1000, 1000, [1]).downloadTerm).toBe(0); // unlimited downloads
  });

  it('refuses nonsense', () => {
    expect(() => fluidBound(0, 1, [1])).toThrow(RangeError);
    expect(() => fluidBound(1, 0, [1])).toThrow(RangeError);
    expect(() => fluidBound(1, 1, [-1])).toThrow(RangeError);
    expect(() => fluidBound(1, 1, [1], [0])).toThrow(RangeError);
  });
});

describe('upload rates', () => {
  it('one rate, a cycled list, or classes drawn by share', () => {
    const random = createRandom(1);
    expect(drawRates(5, 3, random)).toEqual([5, 5, 5]);
    expect(drawRates([1, 2], 5, random)).toEqual([1, 2, 1, 2, 1]);
    const drawn = drawRates(
      {
        classes: [
          { rate: 10, share: 3 },
          { rate: 20, share: 1 },
        ],
      },
      4000,
      random,
    );
    const slow = drawn.filter((r) => r === 10).length;
    expect(slow + drawn.filter((r) => r === 20).length).toBe(4000);
    expect(slow / 4000).toBeGreaterThan(0.7); // 0.75 expected
    expect(slow / 4000).toBeLessThan(0.8);
  });

  it('parses --up text and refuses bad rates', () => {
    expect(parseRateSpec('65536')).toBe(65536);
    expect(parseRateSpec('1024, 2048')).toEqual([1024, 2048]);
    expect(() => parseRateSpec('fast')).toThrow(RangeError);
    expect(() => parseRateSpec('100,0')).toThrow(RangeError);
    expect(() => drawRates([], 1, createRandom(1))).toThrow(RangeError);
  });
});

describe('summaries', () => {
  it('min, median, mean, p90, max (nearest-rank percentiles, as the simulator reports them)', () => {
    expect(summarize([3, 1, 2, 4])).toEqual({ min: 1, median: 2, mean: 2.5, max: 4, p90: 4 });
    expect(summarize([10])).toEqual({ min: 10, median: 10, mean: 10, max: 10, p90: 10 });
    expect(Number.isNaN(summarize([]).mean)).toBe(true);
  });
});
