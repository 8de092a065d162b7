import { describe, expect, it } from 'vitest';
import { allocBytes } from '../src/index.js';

describe('allocBytes', () => {
  it('returns zero-filled, non-overlapping arrays of the requested size', () => {
    const arrays = [0, 1, 64, 65, 100, 2048, 2049, 5000, 16 * 1024].flatMap((n) => [
      allocBytes(n),
      allocBytes(n),
    ]);
    for (const a of arrays) {
      expect(a.every((x) => x === 0)).toBe(true);
      a.fill(0xff);
    }
    // Writing each one did not touch any other.
    const sizes = arrays.map((a) => a.length);
    expect(sizes).toEqual([
      0, 0, 1, 1, 64, 64, 65, 65, 100, 100, 2048, 2048, 2049, 2049, 5000, 5000, 16384, 16384,
    ]);
    for (const a of arrays) expect(a.every((x) => x === 0xff)).toBe(true);
    const fresh = Array.from({ length: 1000 }, () => allocBytes(300));
    expect(fresh.every((a) => a.every((x) => x === 0))).toBe(true);
  });
});
