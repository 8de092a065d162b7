import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addPow2,
  bitLength,
  digitAt,
  digitCount,
  digits,
  inClosedOpen,
  inHalfOpen,
  inOpen,
  isP2PError,
  modK,
  ringAdd,
  ringDistance,
  sharedPrefixLength,
  xorDistance,
} from '../src/index.js';

/** Ids of an m-bit ring, biased towards the edges (0, 1, 2^m - 1) where wrap-around bugs live. */
const id = (m: number) =>
  fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** BigInt(m) - 1n }),
    fc.constantFrom(0n, 1n % 2n ** BigInt(m), 2n ** BigInt(m) - 1n),
  );

/** Naive model: walk clockwise from a, one step at a time (small rings only). */
function walk(a: bigint, b: bigint, m: number): bigint[] {
  const size = 2n ** BigInt(m);
  const points: bigint[] = [];
  let x = a;
  do {
    points.push(x);
    x = (x + 1n) % size;
  } while (x !== b && points.length <= Number(size));
  return points; // a, a+1, ..., b-1 (the whole ring when a == b)
}

/** Naive model by modular distances (any m). */
function modelDist(a: bigint, b: bigint, m: number): bigint {
  const size = 2n ** BigInt(m);
  return (((b - a) % size) + size) % size;
}

describe('ring intervals', () => {
  it('match an explicit walk round small rings (m = 1, 2, 3, 7), every triple', () => {
    const failures: string[] = [];
    for (const m of [1, 2, 3, 7]) {
      const size = 2n ** BigInt(m);
      const step = m === 7 ? 3n : 1n; // m = 7: every 3rd a and b, all x
      for (let a = 0n; a < size; a += step) {
        for (let b = 0n; b < size; b += step) {
          const from = walk(a, b, m); // [a, b) clockwise
          const open = new Set(from.slice(1)); // (a, b)
          const halfOpen = new Set([...from.slice(1), b]); // (a, b]
          const closedOpen = new Set(from); // [a, b)
          if (a === b) {
            halfOpen.add(a); // (a, a] is the whole ring
          }
          for (let x = 0n; x < size; x++) {
            if (
              inOpen(x, a, b) !== (open.has(x) && !(a === b && x === a)) ||
              inHalfOpen(x, a, b) !== halfOpen.has(x) ||
              inClosedOpen(x, a, b) !== closedOpen.has(x)
            ) {
              failures.push(`m=${m} x=${x} a=${a} b=${b}`);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('match the distance model for m = 1, 7, 64, 160 (property)', () => {
    for (const m of [1, 7, 64, 160]) {
      fc.assert(
        fc.property(id(m), id(m), id(m), (x, a, b) => {
          const dx = modelDist(a, x, m);
          const db = modelDist(a, b, m);
          const whole = a === b;
          expect(inOpen(x, a, b)).toBe(whole ? x !== a : dx > 0n && dx < db);
          expect(inHalfOpen(x, a, b)).toBe(whole || (dx > 0n && dx <= db));
          expect(inClosedOpen(x, a, b)).toBe(whole || dx < db);
        }),
        { numRuns: 300 },
      );
    }
  });
});

describe('ring arithmetic', () => {
  it('distance, add and 2^i match modular arithmetic for m = 1, 7, 64, 160 (property)', () => {
    for (const m of [1, 7, 64, 160]) {
      const size = 2n ** BigInt(m);
      fc.assert(
        fc.property(
          id(m),
          id(m),
          fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
          fc.nat(m - 1),
          (a, b, delta, i) => {
            const d = ringDistance(a, b, m);
            expect(d).toBe(modelDist(a, b, m));
            expect(ringAdd(a, d, m)).toBe(b);
            expect(ringAdd(a, delta, m)).toBe((((a + delta) % size) + size) % size);
            expect(addPow2(a, i, m)).toBe((a + 2n ** BigInt(i)) % size);
            expect(xorDistance(a, b)).toBe(xorDistance(b, a));
            expect(xorDistance(a, b) ^ b).toBe(a);
          },
        ),
        { numRuns: 200 },
      );
    }
  });

  it('matches hand-computed Chord examples (m = 3, the paper figure)', () => {
    expect(addPow2(1n, 0, 3)).toBe(2n);
    expect(addPow2(1n, 2, 3)).toBe(5n);
    expect(addPow2(6n, 2, 3)).toBe(2n); // wraps
    expect(ringDistance(6n, 1n, 3)).toBe(3n);
    expect(inHalfOpen(0n, 6n, 1n)).toBe(true);
    expect(inOpen(1n, 6n, 1n)).toBe(false);
  });

  it('refuses finger indexes outside 0..m-1', () => {
    for (const i of [-1, 3, 0.5]) {
      let caught: unknown;
      try {
        addPow2(0n, i, 3);
      } catch (error) {
        caught = error;
      }
      expect(isP2PError(caught, 'ERR_INVALID_ARGUMENT')).toBe(true);
    }
  });
});

describe('digits and prefixes', () => {
  /** Model: the binary string, left-padded to whole digits, cut into b-bit pieces. */
  function modelDigits(x: bigint, m: number, b: number): number[] {
    const count = Math.ceil(m / b);
    const bits = x.toString(2).padStart(count * b, '0');
    return Array.from({ length: count }, (_, i) =>
      Number.parseInt(bits.slice(i * b, (i + 1) * b), 2),
    );
  }

  it('digits, digitAt, sharedPrefixLength match the string model (property)', () => {
    for (const m of [1, 7, 64, 128, 160]) {
      fc.assert(
        fc.property(id(m), id(m), fc.integer({ min: 1, max: 8 }), fc.nat(), (x, y0, b, mix) => {
          // Half the time make y share a random-length prefix with x.
          const keep = BigInt(mix % (m + 1));
          const y = mix % 2 === 0 ? y0 : ((x >> keep) << keep) | (y0 & ((1n << keep) - 1n));
          const dx = modelDigits(x, m, b);
          const dy = modelDigits(y, m, b);
          expect(digits(x, m, b)).toEqual(dx);
          expect(digitCount(m, b)).toBe(dx.length);
          const i = mix % dx.length;
          expect(digitAt(x, m, b, i)).toBe(dx[i]);
          let shared = 0;
          while (shared < dx.length && dx[shared] === dy[shared]) shared++;
          expect(sharedPrefixLength(x, y, m, b)).toBe(shared);
        }),
        { numRuns: 200 },
      );
    }
  });

  it('reads Pastry hex digits (b = 4, m = 128)', () => {
    const x = 0x65a1fc04000000000000000000000000n;
    expect(digits(x, 128, 4).slice(0, 8)).toEqual([6, 5, 0xa, 1, 0xf, 0xc, 0, 4]);
    expect(sharedPrefixLength(x, 0x65a1ff00000000000000000000000000n, 128, 4)).toBe(5);
    expect(sharedPrefixLength(x, x, 128, 4)).toBe(32);
  });

  it('bitLength and modK', () => {
    expect([0n, 1n, 2n, 255n, 256n, 2n ** 159n].map(bitLength)).toEqual([0, 1, 2, 8, 9, 160]);
    fc.assert(
      fc.property(id(160), fc.integer({ min: 1, max: 2 ** 40 }), (x, k) => {
        expect(modK(x, k)).toBe(Number(x % BigInt(k)));
        expect(bitLength(x)).toBe(x === 0n ? 0 : x.toString(2).length);
      }),
    );
  });
});
