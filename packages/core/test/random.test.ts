import { describe, expect, it } from 'vitest';
import { createRandom, isP2PError } from '../src/index.js';

const draws = (seed: Parameters<typeof createRandom>[0], n = 8) => {
  const r = createRandom(seed);
  return Array.from({ length: n }, () => r.u32());
};

describe('createRandom', () => {
  it('is reproducible, and equal numbers and bigints are the same seed', () => {
    expect(draws(42)).toEqual(draws(42));
    expect(draws(42)).toEqual(draws(42n));
    expect(draws(42)).not.toEqual(draws(43));
    expect(draws('42')).not.toEqual(draws(42));
    expect(draws(-1)).not.toEqual(draws(1));
    expect(draws(0.5)).toEqual(draws(0.5));
    expect(draws(Uint8Array.of(1))).not.toEqual(draws(1));
  });

  it('fork derives a stream without consuming draws, same label same stream', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    const child = a.fork('host-1');
    const child2 = a.fork('host-1');
    expect(a.u32()).toBe(b.u32());
    const xs = Array.from({ length: 5 }, () => child.u32());
    expect(Array.from({ length: 5 }, () => child2.u32())).toEqual(xs);
    expect(b.fork('host-1').u32()).toBe(xs[0]);
    expect(a.fork('host-2').u32()).not.toBe(xs[0]);
    expect(a.fork(1).u32()).not.toBe(a.fork('1').u32());
    expect(child.fork('x').u32()).not.toBe(a.fork('x').u32());
  });

  it('draws in range with plausible uniformity', () => {
    const r = createRandom('uniformity');
    const counts = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = r.int(10);
      counts[x] = (counts[x] ?? 0) + 1;
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
    // Chi-square with 9 degrees of freedom; 27.9 is the 0.999 quantile.
    const chi = counts.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
    expect(chi).toBeLessThan(27.9);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += r.exponential(5);
    expect(Math.abs(sum / n - 5)).toBeLessThan(0.15);
    expect(r.int(2 ** 32)).toBeLessThan(2 ** 32);
    expect(r.int(1)).toBe(0);
  });

  it('bytes, shuffle, pick and chance', () => {
    const r = createRandom(1);
    expect(r.bytes(7).length).toBe(7);
    expect(r.bytes(0).length).toBe(0);
    const items = [1, 2, 3, 4, 5, 6];
    expect([...r.shuffle(items)].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(items).toContain(r.pick(items));
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
    const bad = [() => r.pick([]), () => r.int(0), () => r.int(1.5), () => r.int(2 ** 32 + 1)];
    for (const fn of bad) {
      let caught: unknown;
      try {
        fn();
      } catch (error) {
        caught = error;
      }
      expect(isP2PError(caught, 'ERR_INVALID_ARGUMENT')).toBe(true);
    }
  });
});
