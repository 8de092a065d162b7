/**
 * Arithmetic on an identifier circle of 2^m points (ids are bigints in [0, 2^m)), for Chord
 * (intervals, fingers), Pastry (base-2^b digits, shared prefixes), Kademlia-style XOR distance
 * and Kelips (id mod k).
 *
 * Functions trust their inputs to be in range (0 ≤ id < 2^m); they are on hot paths and do
 * not re-check. `assertId` checks an id received from elsewhere.
 *
 * Interval conventions, for a == b (as the Chord paper uses them):
 * - `inOpen(x, a, a)`: the whole ring except a — "strictly between a and itself, going round".
 * - `inHalfOpen(x, a, a)` = (a, a]: the whole ring; a node alone is the successor of every key.
 * - `inClosedOpen(x, a, a)` = [a, a): the whole ring, by the same reasoning.
 */
import { P2PError } from './errors.js';

const powers: bigint[] = [];

/** 2^m as a bigint (cached). */
export function ringSize(m: number): bigint {
  let p = powers[m];
  if (p === undefined) {
    if (!(Number.isInteger(m) && m >= 0 && m <= 4096)) {
      throw new P2PError(
        `ring width m must be an integer in 0..4096, got ${m}`,
        'ERR_INVALID_ARGUMENT',
      );
    }
    p = 1n << BigInt(m);
    powers[m] = p;
  }
  return p;
}

/** Throws P2PError `ERR_INVALID_ARGUMENT` unless 0 ≤ id < 2^m. */
export function assertId(id: bigint, m: number): void {
  if (!(typeof id === 'bigint' && id >= 0n && id < ringSize(m))) {
    throw new P2PError(`${String(id)} is not an ${m}-bit id`, 'ERR_INVALID_ARGUMENT');
  }
}

/** Clockwise distance from a to b: (b - a) mod 2^m, in [0, 2^m). */
export function ringDistance(a: bigint, b: bigint, m: number): bigint {
  const d = b - a;
  return d >= 0n ? d : d + ringSize(m);
}

/** (id + delta) mod 2^m; delta may be negative or larger than the ring. */
export function ringAdd(id: bigint, delta: bigint, m: number): bigint {
  const size = ringSize(m);
  const r = (id + delta) % size;
  return r >= 0n ? r : r + size;
}

/** (id + 2^i) mod 2^m, for 0 ≤ i < m: the start of Chord's i-th finger (0-based). */
export function addPow2(id: bigint, i: number, m: number): bigint {
  if (!(Number.isInteger(i) && i >= 0 && i < m)) {
    throw new P2PError(`finger index i must be in 0..${m - 1}, got ${i}`, 'ERR_INVALID_ARGUMENT');
  }
  const r = id + ringSize(i);
  const size = ringSize(m);
  return r >= size ? r - size : r;
}

/** x ∈ (a, b) going clockwise from a; for a == b, every x except a. */
export function inOpen(x: bigint, a: bigint, b: bigint): boolean {
  if (a < b) return a < x && x < b;
  if (a > b) return x > a || x < b;
  return x !== a;
}

/** x ∈ (a, b] going clockwise from a; for a == b, every x (the whole ring). */
export function inHalfOpen(x: bigint, a: bigint, b: bigint): boolean {
  if (a < b) return a < x && x <= b;
  if (a > b) return x > a || x <= b;
  return true;
}

/** x ∈ [a, b) going clockwise from a; for a == b, every x (the whole ring). */
export function inClosedOpen(x: bigint, a: bigint, b: bigint): boolean {
  if (a < b) return a <= x && x < b;
  if (a > b) return x >= a || x < b;
  return true;
}

/** Kademlia's distance: a XOR b. */
export function xorDistance(a: bigint, b: bigint): bigint {
  return a ^ b;
}

/** Number of bits needed to write x ≥ 0 (0 for 0): the index of the highest set bit, plus one. */
export function bitLength(x: bigint): number {
  if (x === 0n) return 0;
  const hex = x.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(Number.parseInt(hex[0]!, 16)));
}

/** How many base-2^b digits an m-bit id has: ceil(m/b). */
export function digitCount(m: number, b: number): number {
  checkDigitBits(b);
  return Math.ceil(m / b);
}

/**
 * The base-2^b digits of an m-bit id, most significant first (Pastry's reading, b = 4 gives hex
 * digits). When b does not divide m the id is padded with leading zero bits, so the first digit
 * holds m mod b bits.
 */
export function digits(id: bigint, m: number, b: number): number[] {
  const count = digitCount(m, b);
  const mask = (1n << BigInt(b)) - 1n;
  const bits = BigInt(b);
  const out = new Array<number>(count);
  for (let i = count - 1; i >= 0; i--) {
    out[i] = Number(id & mask);
    id >>= bits;
  }
  return out;
}

/** Digit i (0 = most significant) of `digits(id, m, b)`, without building the array. */
export function digitAt(id: bigint, m: number, b: number, i: number): number {
  const count = digitCount(m, b);
  if (!(Number.isInteger(i) && i >= 0 && i < count)) {
    throw new P2PError(`digit index must be in 0..${count - 1}, got ${i}`, 'ERR_INVALID_ARGUMENT');
  }
  return Number((id >> BigInt((count - 1 - i) * b)) & ((1n << BigInt(b)) - 1n));
}

/** Number of leading base-2^b digits x and y share (ceil(m/b) when x == y): Pastry's l. */
export function sharedPrefixLength(x: bigint, y: bigint, m: number, b: number): number {
  const count = digitCount(m, b);
  if (x === y) return count;
  const highestDifferentBit = bitLength(x ^ y) - 1; // counted from the least significant bit
  return Math.floor((count * b - 1 - highestDifferentBit) / b);
}

/** id mod k as a number, k a positive safe integer (Kelips' affinity group of an id). */
export function modK(id: bigint, k: number): number {
  if (!(Number.isSafeInteger(k) && k >= 1)) {
    throw new P2PError(`k must be a positive integer, got ${k}`, 'ERR_INVALID_ARGUMENT');
  }
  return Number(id % BigInt(k));
}

function checkDigitBits(b: number): void {
  if (!(Number.isInteger(b) && b >= 1 && b <= 32)) {
    throw new P2PError(
      `digit width b must be an integer in 1..32, got ${b}`,
      'ERR_INVALID_ARGUMENT',
    );
  }
}
