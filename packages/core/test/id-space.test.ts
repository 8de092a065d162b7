import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createRandom,
  DecodeError,
  type IdSpace,
  idSpace,
  keyId,
  nodeId,
  sha1,
  truncateId,
} from '../src/index.js';
import { expectEachThrows } from './helpers.js';

// The naive model: plain bigint arithmetic, written here from the definitions (not ring.ts).
const mod = (x: bigint, m: number) =>
  ((x % (1n << BigInt(m))) + (1n << BigInt(m))) % (1n << BigInt(m));
function modelDigits(x: bigint, m: number, b: number): number[] {
  const count = Math.ceil(m / b);
  const out: number[] = [];
  for (let i = count - 1; i >= 0; i--)
    out.push(Number((x >> BigInt(i * b)) & ((1n << BigInt(b)) - 1n)));
  return out;
}
function modelAbs(a: bigint, b: bigint, m: number): bigint {
  const cw = mod(b - a, m);
  const ccw = mod(a - b, m);
  if (cw < ccw) return cw;
  return ccw;
}
function modelInOpen(x: bigint, a: bigint, b: bigint): boolean {
  if (a < b) return a < x && x < b;
  if (a > b) return x > a || x < b;
  return x !== a;
}

/** A space and ids in it, for every shape: odd widths, 128 (Pastry), 160 (Chord), b = 1..8. */
const spaceAndIds = (count: number) =>
  fc
    .tuple(
      fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constantFrom(128, 160)),
      fc.integer({ min: 1, max: 8 }),
    )
    .chain(([m, b]) =>
      fc.tuple(
        fc.constant(idSpace(m, b)),
        fc.array(
          fc.oneof(
            fc.bigInt({ min: 0n, max: (1n << BigInt(m)) - 1n }),
            // Edges: 0, 2^m - 1, 2^(m-1), 2^(m-1) ± 1.
            fc.constantFrom(
              0n,
              (1n << BigInt(m)) - 1n,
              1n << BigInt(m - 1),
              mod((1n << BigInt(m - 1)) + 1n, m),
              mod((1n << BigInt(m - 1)) - 1n, m),
            ),
          ),
          { minLength: count, maxLength: count },
        ),
      ),
    );

describe('IdSpace against a naive bigint model (property)', () => {
  it('converts bytes, bigints and hex both ways, ordered like the numbers', () => {
    fc.assert(
      fc.property(spaceAndIds(2), ([space, [x, y]]) => {
        const a = space.fromBigint(x!);
        const b = space.fromBigint(y!);
        expect(a.length).toBe(Math.ceil(space.bits / 8));
        expect(space.toBigint(a)).toBe(x);
        expect(space.fromBytes(space.toBytes(a))).toBe(a);
        expect(space.fromHex(space.toHex(a))).toBe(a);
        expect(space.toHex(a)).toBe(x!.toString(16).padStart(Math.ceil(space.bits / 4), '0'));
        expect(space.compare(a, b)).toBe(x! < y! ? -1 : x! > y! ? 1 : 0);
        expect(a < b).toBe(x! < y!);
        expect(space.hi(a)).toBe(space.hiAt(space.toBytes(a), 0));
        if (a.length <= 3) expect(space.hi(a)).toBe(Number(x));
        else expect(space.hi(a)).toBe(Number(x! >> BigInt(8 * a.length - 30)));
        if (x! < y!) expect(space.hi(a)).toBeLessThanOrEqual(space.hi(b));
      }),
    );
  });

  it('ring intervals, clockwise distance, addition and fingers', () => {
    fc.assert(
      fc.property(spaceAndIds(3), fc.nat(), ([space, [x, y, z]], i) => {
        const m = space.bits;
        const [a, b, c] = [x!, y!, z!].map((v) => space.fromBigint(v));
        expect(space.inOpen(a!, b!, c!)).toBe(modelInOpen(x!, y!, z!));
        const inHalfOpen = y === z ? true : modelInOpen(x!, y!, z!) || x === z;
        expect(space.inHalfOpen(a!, b!, c!)).toBe(inHalfOpen);
        const inClosedOpen = y === z ? true : modelInOpen(x!, y!, z!) || x === y;
        expect(space.inClosedOpen(a!, b!, c!)).toBe(inClosedOpen);
        expect(space.toBigint(space.distance(a!, b!))).toBe(mod(y! - x!, m));
        expect(space.toBigint(space.add(a!, b!))).toBe(mod(x! + y!, m));
        const finger = i % m;
        expect(space.toBigint(space.addPow2(a!, finger))).toBe(mod(x! + (1n << BigInt(finger)), m));
      }),
    );
  });

  it('numeric distance both ways round, compareDistance and closest', () => {
    fc.assert(
      fc.property(spaceAndIds(4), ([space, values]) => {
        const m = space.bits;
        const [k, x, y] = values as [bigint, bigint, bigint, bigint];
        const [key, a, b] = [k, x, y].map((v) => space.fromBigint(v)) as [string, string, string];
        expect(space.toBigint(space.numericDistance(key, a))).toBe(modelAbs(k, x, m));
        const da = modelAbs(k, x, m);
        const db = modelAbs(k, y, m);
        const got = Math.sign(space.compareDistance(key, a, b));
        if (x === y) expect(got).toBe(0);
        else if (da !== db) expect(got).toBe(da < db ? -1 : 1);
        else {
          // Tie between distinct ids: the one clockwise from the key (k + d) wins.
          expect(got).toBe(mod(x - k, m) === da ? -1 : 1);
        }
        expect(Math.sign(space.compareDistance(key, b, a))).toBe(got === 0 ? 0 : -got);
        // closest: the model's minimum under the same order.
        const ids = values.map((v) => space.fromBigint(v));
        const best = space.closest(key, ids)!;
        for (const other of ids)
          expect(space.compareDistance(key, best, other)).toBeLessThanOrEqual(0);
      }),
    );
  });

  it('base-2^b digits, shared prefix length and mod k', () => {
    fc.assert(
      fc.property(spaceAndIds(2), fc.integer({ min: 1, max: 2 ** 40 }), ([space, [x, y]], k) => {
        const { bits: m, digitBits: b } = space;
        const a = space.fromBigint(x!);
        const c = space.fromBigint(y!);
        const dx = modelDigits(x!, m, b);
        const dy = modelDigits(y!, m, b);
        expect(space.digits).toBe(dx.length);
        expect(dx.map((_, i) => space.digit(a, i))).toEqual(dx);
        let shared = 0;
        while (shared < dx.length && dx[shared] === dy[shared]) shared++;
        expect(space.sharedPrefixLength(a, c)).toBe(shared);
        expect(space.modK(a, k)).toBe(Number(x! % BigInt(k)));
        expect(space.modK(a, 3)).toBe(Number(x! % 3n));
      }),
    );
  });

  it('hashes as core truncateId / keyId / nodeId, for m up to 160', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 160 }), fc.string(), fc.nat(65535), (m, key, port) => {
        const space = idSpace(m);
        expect(space.toBigint(space.keyId(key))).toBe(keyId(key, m));
        expect(space.toBigint(space.nodeId('10.0.0.1', port))).toBe(nodeId('10.0.0.1', port, m));
        const digest = sha1(key);
        expect(space.toBigint(space.fromDigest(digest))).toBe(truncateId(digest, m));
        expect(space.toBigint(space.fromDigest(digest.subarray(0, 3)))).toBe(
          truncateId(digest.subarray(0, 3), m),
        );
      }),
    );
  });
});

describe('IdSpace', () => {
  it('golden: Pastry 128-bit ids in hex digits (b = 4) and Chord 160-bit SHA-1 ids', () => {
    const pastry = idSpace(128, 4);
    const a = pastry.fromHex('65a1fc0000000000000000000000beef');
    const b = pastry.fromHex('65a1fcf000000000000000000000beef');
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => pastry.digit(a, i))).toEqual([6, 5, 10, 1, 15, 12, 0]);
    expect(pastry.sharedPrefixLength(a, b)).toBe(6);
    expect(pastry.digits).toBe(32);
    const chord = idSpace(160);
    // SHA-1("abc") = a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d
    expect(chord.toHex(chord.keyId('abc'))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(chord.zero.length).toBe(20);
    expect(chord.toBigint(chord.max)).toBe((1n << 160n) - 1n);
  });

  it('refuses ids from the wire with bits above m or too few bytes', () => {
    const space = idSpace(12);
    expect(space.fromBytes(Uint8Array.of(0x0f, 0xff))).toBe(space.fromBigint(0xfffn));
    expect(() => space.fromBytes(Uint8Array.of(0x10, 0))).toThrow(DecodeError);
    expect(() => space.fromBytes(Uint8Array.of(0x01), 0)).toThrow(DecodeError);
    expect(() => space.fromBytes(Uint8Array.of(0, 1, 2), 2)).toThrow(DecodeError);
    expect(space.fromBytes(Uint8Array.of(9, 0x01, 0x02), 1)).toBe(space.fromBigint(0x102n));
  });

  it('refuses bad arguments with ERR_INVALID_ARGUMENT', () => {
    const space = idSpace(8);
    expectEachThrows('ERR_INVALID_ARGUMENT', [
      () => idSpace(0),
      () => idSpace(257),
      () => idSpace(8, 9),
      () => space.fromBigint(256n),
      () => space.fromBigint(-1n),
      () => space.fromHex('1ff'),
      () => space.fromHex('zz'),
      () => space.addPow2(space.zero, 8),
      () => space.modK(space.zero, 0),
    ]);
  });

  it('draws random ids inside the space from the Runtime random', () => {
    const space: IdSpace = idSpace(13);
    const random = createRandom(7);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = space.random(random);
      expect(space.toBigint(id) < 1n << 13n).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBeGreaterThan(190);
    expect(idSpace(13).random(createRandom(7))).toBe(idSpace(13).random(createRandom(7)));
  });
});
