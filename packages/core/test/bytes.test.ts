import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, equalBytes } from '../src/index.js';

const naive = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

describe('equalBytes', () => {
  it('agrees with a byte-by-byte model, word path and byte path, aligned or not', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 1200 }),
        fc.nat(7),
        fc.nat(7),
        fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))),
        (data, offsetA, offsetB, flip) => {
          // Copies at chosen offsets into larger buffers: both 4-aligned sometimes, not others.
          const a = new Uint8Array(data.length + 8).subarray(offsetA, offsetA + data.length);
          const b = new Uint8Array(data.length + 8).subarray(offsetB, offsetB + data.length);
          a.set(data);
          b.set(data);
          if (flip && data.length > 0) b[flip[0] % data.length]! ^= flip[1];
          expect(equalBytes(a, b)).toBe(naive(a, b));
        },
      ),
    );
  });

  it('finds a difference in the last bytes after the whole words', () => {
    const a = new Uint8Array(1027);
    const b = new Uint8Array(1027);
    expect(equalBytes(a, b)).toBe(true);
    b[1026] = 1;
    expect(equalBytes(a, b)).toBe(false);
    expect(equalBytes(a, a.subarray(0, 1026))).toBe(false);
  });
});

describe('concatBytes', () => {
  it('joins chunks in order, with or without the total, and hands back a lone chunk as is', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), (chunks) => {
        const joined = Uint8Array.from(chunks.flatMap((c) => [...c]));
        expect(concatBytes(chunks)).toEqual(joined);
        expect(concatBytes(chunks, joined.length)).toEqual(joined);
      }),
    );
    const only = new Uint8Array([1, 2, 3]);
    expect(concatBytes([only])).toBe(only);
  });
});
