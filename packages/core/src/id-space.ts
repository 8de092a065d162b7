/**
 * The one id type of the structured overlays (Chord, Pastry, Kelips) and the space it lives in.
 *
 * An `Id` is the ceil(m/8) big-endian bytes of an m-bit number held in a "binary string": one
 * character per byte, code units 0..255. Why a string and not a bigint: within one space all ids
 * have the same length, so `<` on the strings is `<` on the numbers and compares without
 * allocating; a string is a perfect Map key; and it is built from wire bytes several times
 * faster than a bigint (`pnpm --filter @p2pkit/core bench -- id-space` prints every operation
 * side by side with the bigint functions of ring.ts).
 *
 * An `IdSpace` carries m (bits), b (bits per digit, Pastry's b) and scratch buffers; its methods
 * are the operations. Methods trust ids to belong to the space (right length, no bits above m):
 * they are on hot paths. Ids from outside enter through `fromBytes` (checked, DecodeError),
 * `fromBigint`/`fromHex` (checked, ERR_INVALID_ARGUMENT) or the hash functions.
 */
import { DecodeError, P2PError } from './errors.js';
import type { Random } from './runtime.js';
import { sha1 } from './sha1.js';

/** An m-bit id as a binary string of ceil(m/8) characters (see the module comment). */
export type Id = string;

export interface IdSpaceOptions {
  /** Bits per id, 1..256 (ids made by hashing: 1..160). */
  bits: number;
  /** Bits per digit for `digit` and `sharedPrefixLength` (Pastry's b), 1..8; default 4. */
  digitBits?: number;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * The space of m-bit ids: conversions, ring arithmetic (Chord), digits and numeric distance
 * (Pastry), id mod k (Kelips). Create one per overlay with `idSpace(bits, digitBits)`.
 */
export class IdSpace {
  /** Bits per id (m). */
  readonly bits: number;
  /** Bits per digit (b). */
  readonly digitBits: number;
  /** Characters (bytes) per id: ceil(m/8). */
  readonly bytes: number;
  /** Digits per id: ceil(m/b). */
  readonly digits: number;
  /** The id 0. */
  readonly zero: Id;
  /** The id 2^m - 1. */
  readonly max: Id;
  /** Mask of the valid bits of the first byte. */
  private readonly topMask: number;
  /** Leading zero bits in the byte form: 8·bytes - m. */
  private readonly spare: number;
  /** Leading zero bits added to read m bits as whole digits: b·digits - m. */
  private readonly pad: number;
  private readonly scratch: Uint8Array;
  private readonly left: Uint8Array;
  private readonly right: Uint8Array;

  constructor(options: IdSpaceOptions) {
    const { bits, digitBits = 4 } = options;
    if (!(Number.isInteger(bits) && bits >= 1 && bits <= 256)) {
      throw new P2PError(
        `id bits must be an integer in 1..256, got ${bits}`,
        'ERR_INVALID_ARGUMENT',
      );
    }
    if (!(Number.isInteger(digitBits) && digitBits >= 1 && digitBits <= 8)) {
      throw new P2PError(
        `digit bits must be an integer in 1..8, got ${digitBits}`,
        'ERR_INVALID_ARGUMENT',
      );
    }
    this.bits = bits;
    this.digitBits = digitBits;
    this.bytes = (bits + 7) >>> 3;
    this.digits = Math.ceil(bits / digitBits);
    this.spare = this.bytes * 8 - bits;
    this.pad = this.digits * digitBits - bits;
    this.topMask = 0xff >>> this.spare;
    this.scratch = new Uint8Array(this.bytes);
    this.left = new Uint8Array(this.bytes);
    this.right = new Uint8Array(this.bytes);
    this.zero = String.fromCharCode(...new Array<number>(this.bytes).fill(0));
    this.max = String.fromCharCode(this.topMask, ...new Array<number>(this.bytes - 1).fill(0xff));
  }

  // ---- conversions ---------------------------------------------------------------------------

  /**
   * The id written at `bytes[at..at+this.bytes)` (its wire form). DecodeError when the bytes run
   * out or the id has bits above m (so each id has one encoding).
   */
  fromBytes(bytes: Uint8Array, at = 0): Id {
    const n = this.bytes;
    if (!(at >= 0 && at + n <= bytes.length)) {
      throw new DecodeError(`truncated id: need ${n} bytes at offset ${at}`);
    }
    if (bytes[at]! > this.topMask) {
      throw new DecodeError(`id at offset ${at} has bits above m = ${this.bits}`);
    }
    return this.charsAt(bytes, at);
  }

  /** Writes the id's ceil(m/8) bytes into `out` at `at`. */
  write(id: Id, out: Uint8Array, at = 0): void {
    for (let i = 0; i < id.length; i++) out[at + i] = id.charCodeAt(i);
  }

  /** The id's wire form: ceil(m/8) big-endian bytes. */
  toBytes(id: Id): Uint8Array {
    const out = new Uint8Array(this.bytes);
    this.write(id, out, 0);
    return out;
  }

  /** The id of the number `x`; ERR_INVALID_ARGUMENT unless 0 ≤ x < 2^m. */
  fromBigint(x: bigint): Id {
    if (!(x >= 0n && x >> BigInt(this.bits) === 0n)) {
      throw new P2PError(`id ${x} does not fit in ${this.bits} bits`, 'ERR_INVALID_ARGUMENT');
    }
    const s = this.scratch;
    let v = x;
    for (let i = this.bytes - 1; i >= 0; i--) {
      s[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return this.charsAt(s, 0);
  }

  /** The number the id stands for. */
  toBigint(id: Id): bigint {
    let x = 0n;
    let i = 0;
    const n = id.length;
    // Three bytes at a time: fewer BigInt operations.
    for (; i + 3 <= n; i += 3) {
      x =
        (x << 24n) |
        BigInt((id.charCodeAt(i) << 16) | (id.charCodeAt(i + 1) << 8) | id.charCodeAt(i + 2));
    }
    for (; i < n; i++) x = (x << 8n) | BigInt(id.charCodeAt(i));
    return x;
  }

  /** Fixed-width lower-case hex, ceil(m/4) digits (logs, CLI output). */
  toHex(id: Id): string {
    let s = '';
    for (let i = 0; i < id.length; i++) s += HEX[id.charCodeAt(i)]!;
    const width = Math.ceil(this.bits / 4);
    return s.length > width ? s.slice(s.length - width) : s;
  }

  /** The id written in hex (any case, at most ceil(m/4) digits); ERR_INVALID_ARGUMENT otherwise. */
  fromHex(hex: string): Id {
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length > Math.ceil(this.bits / 4)) {
      throw new P2PError(`not a ${this.bits}-bit hex id: ${hex}`, 'ERR_INVALID_ARGUMENT');
    }
    return this.fromBigint(BigInt(`0x${hex}`));
  }

  /**
   * The low m bits of a big-endian digest ("hash, then keep the low m bits", as core's
   * `truncateId`); m ≤ 160 for SHA-1.
   */
  fromDigest(digest: Uint8Array): Id {
    const n = this.bytes;
    const s = this.scratch;
    const start = digest.length - n;
    for (let i = 0; i < n; i++) s[i] = start + i >= 0 ? digest[start + i]! : 0;
    s[0] = s[0]! & this.topMask;
    return this.charsAt(s, 0);
  }

  /** The id of a key: the low m bits of SHA-1(key) (core's `keyId`); strings hash as UTF-8. */
  keyId(key: Uint8Array | string): Id {
    return this.fromDigest(sha1(key));
  }

  /** The id of a node at host:port: keyId(`${host}:${port}`) (core's `nodeId`). */
  nodeId(host: string, port: number): Id {
    return this.fromDigest(sha1(`${host}:${port}`));
  }

  /** A uniformly random id drawn from `random`. */
  random(random: Random): Id {
    const bytes = random.bytes(this.bytes);
    bytes[0] = bytes[0]! & this.topMask;
    return this.charsAt(bytes, 0);
  }

  /**
   * The id's leading 30 bits (all of it when m ≤ 24) as a small integer: ordered like the ids
   * except that distinct ids may tie, so a hot loop can compare these and fall back to the ids
   * only on a tie.
   */
  hi(id: Id): number {
    const n = id.length;
    if (n <= 3) {
      let x = 0;
      for (let i = 0; i < n; i++) x = x * 256 + id.charCodeAt(i);
      return x;
    }
    return (
      (id.charCodeAt(0) << 22) |
      (id.charCodeAt(1) << 14) |
      (id.charCodeAt(2) << 6) |
      (id.charCodeAt(3) >>> 2)
    );
  }

  /** `hi` of the id written at `bytes[at..]`, without building the id. */
  hiAt(bytes: Uint8Array, at: number): number {
    const n = this.bytes;
    if (n <= 3) {
      let x = 0;
      for (let i = 0; i < n; i++) x = x * 256 + bytes[at + i]!;
      return x;
    }
    return (
      (bytes[at]! << 22) | (bytes[at + 1]! << 14) | (bytes[at + 2]! << 6) | (bytes[at + 3]! >>> 2)
    );
  }

  // ---- order and ring intervals (Chord) ------------------------------------------------------

  /** -1, 0 or 1 as a is below, equal to or above b. */
  compare(a: Id, b: Id): number {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** x ∈ (a, b) clockwise; for a == b, every x except a. */
  inOpen(x: Id, a: Id, b: Id): boolean {
    if (a < b) return a < x && x < b;
    if (a > b) return x > a || x < b;
    return x !== a;
  }

  /** x ∈ (a, b] clockwise; for a == b, the whole ring. */
  inHalfOpen(x: Id, a: Id, b: Id): boolean {
    if (a < b) return a < x && x <= b;
    if (a > b) return x > a || x <= b;
    return true;
  }

  /** x ∈ [a, b) clockwise; for a == b, the whole ring. */
  inClosedOpen(x: Id, a: Id, b: Id): boolean {
    if (a < b) return a <= x && x < b;
    if (a > b) return x >= a || x < b;
    return true;
  }

  /** Clockwise distance from a to b, (b - a) mod 2^m, as an id (ordered like the number). */
  distance(a: Id, b: Id): Id {
    const s = this.scratch;
    let borrow = 0;
    for (let i = this.bytes - 1; i >= 0; i--) {
      const d = b.charCodeAt(i) - a.charCodeAt(i) - borrow;
      borrow = d < 0 ? 1 : 0;
      s[i] = d;
    }
    s[0] = s[0]! & this.topMask;
    return this.charsAt(s, 0);
  }

  /** (a + b) mod 2^m. */
  add(a: Id, b: Id): Id {
    const s = this.scratch;
    let carry = 0;
    for (let i = this.bytes - 1; i >= 0; i--) {
      const v = a.charCodeAt(i) + b.charCodeAt(i) + carry;
      carry = v >>> 8;
      s[i] = v;
    }
    s[0] = s[0]! & this.topMask;
    return this.charsAt(s, 0);
  }

  /** (id + 2^i) mod 2^m, 0 ≤ i < m: the start of Chord's finger i (0-based). */
  addPow2(id: Id, i: number): Id {
    if (!(Number.isInteger(i) && i >= 0 && i < this.bits)) {
      throw new P2PError(`finger index ${i} outside 0..${this.bits - 1}`, 'ERR_INVALID_ARGUMENT');
    }
    const s = this.scratch;
    for (let k = 0; k < this.bytes; k++) s[k] = id.charCodeAt(k);
    let k = this.bytes - 1 - (i >>> 3);
    let carry = 1 << (i & 7);
    for (; k >= 0 && carry !== 0; k--) {
      const v = s[k]! + carry;
      s[k] = v & 0xff;
      carry = v >>> 8;
    }
    s[0] = s[0]! & this.topMask;
    return this.charsAt(s, 0);
  }

  // ---- numeric distance (Pastry leaf sets) ---------------------------------------------------

  /** |a - b| the shorter way round the ring: min((b - a), (a - b)) mod 2^m, as an id. */
  numericDistance(a: Id, b: Id): Id {
    this.absDistance(a, b, this.left);
    return this.charsAt(this.left, 0);
  }

  /**
   * Negative when `a` is numerically closer to `key` than `b` (either way round), positive when
   * `b` is, 0 only when a == b. On a tie (key halfway between distinct a and b) the one
   * clockwise from the key is closer, so every node agrees on one closest.
   */
  compareDistance(key: Id, a: Id, b: Id): number {
    if (a === b) return 0;
    this.absDistance(key, a, this.left);
    this.absDistance(key, b, this.right);
    const l = this.left;
    const r = this.right;
    for (let i = 0; i < l.length; i++) {
      if (l[i] !== r[i]) return l[i]! - r[i]!;
    }
    // Equal distances, distinct ids: one lies clockwise from key, the other counter-clockwise.
    return this.inHalfOpen(a, key, this.addHalf(key)) ? -1 : 1;
  }

  /** The id numerically closest to `key` among `candidates` (ties as compareDistance). */
  closest(key: Id, candidates: Iterable<Id>): Id | undefined {
    let best: Id | undefined;
    for (const c of candidates) {
      if (best === undefined || this.compareDistance(key, c, best) < 0) best = c;
    }
    return best;
  }

  // ---- digits (Pastry) -----------------------------------------------------------------------

  /**
   * Digit i (0 = most significant) of the id read in base 2^b. When b does not divide m the id
   * is padded with leading zero bits, so digit 0 holds m mod b bits (as ring.ts `digitAt`).
   */
  digit(id: Id, i: number): number {
    const b = this.digitBits;
    // Bit position of the digit in the byte form (may be negative: padding reads as zeros).
    const p = i * b - this.pad + this.spare;
    const j = p >> 3;
    const hiByte = j >= 0 ? id.charCodeAt(j) : 0;
    const loByte = j + 1 < id.length ? id.charCodeAt(j + 1) : 0;
    const window = (hiByte << 8) | loByte;
    return (window >>> (16 - (p - (j << 3)) - b)) & ((1 << b) - 1);
  }

  /** How many leading digits x and y share (`digits` when x == y): Pastry's l. */
  sharedPrefixLength(x: Id, y: Id): number {
    const n = x.length;
    for (let i = 0; i < n; i++) {
      const d = x.charCodeAt(i) ^ y.charCodeAt(i);
      if (d !== 0) {
        const bit = i * 8 + Math.clz32(d) - 24 - this.spare + this.pad;
        return Math.floor(bit / this.digitBits);
      }
    }
    return this.digits;
  }

  // ---- groups (Kelips) -----------------------------------------------------------------------

  /** id mod k, k a positive safe integer: Kelips' affinity group. */
  modK(id: Id, k: number): number {
    if (!(Number.isSafeInteger(k) && k >= 1)) {
      throw new P2PError(`k must be a positive safe integer, got ${k}`, 'ERR_INVALID_ARGUMENT');
    }
    if (k > 2 ** 44) return Number(this.toBigint(id) % BigInt(k));
    let r = 0;
    for (let i = 0; i < id.length; i++) r = (r * 256 + id.charCodeAt(i)) % k;
    return r;
  }

  // ---- internals -----------------------------------------------------------------------------

  /** n characters from bytes[at..]: spelled-out arguments for the common widths (fastest). */
  private charsAt(bytes: Uint8Array, at: number): Id {
    const n = this.bytes;
    if (n === 20) {
      return String.fromCharCode(
        bytes[at]!,
        bytes[at + 1]!,
        bytes[at + 2]!,
        bytes[at + 3]!,
        bytes[at + 4]!,
        bytes[at + 5]!,
        bytes[at + 6]!,
        bytes[at + 7]!,
        bytes[at + 8]!,
        bytes[at + 9]!,
        bytes[at + 10]!,
        bytes[at + 11]!,
        bytes[at + 12]!,
        bytes[at + 13]!,
        bytes[at + 14]!,
        bytes[at + 15]!,
        bytes[at + 16]!,
        bytes[at + 17]!,
        bytes[at + 18]!,
        bytes[at + 19]!,
      );
    }
    if (n === 16) {
      return String.fromCharCode(
        bytes[at]!,
        bytes[at + 1]!,
        bytes[at + 2]!,
        bytes[at + 3]!,
        bytes[at + 4]!,
        bytes[at + 5]!,
        bytes[at + 6]!,
        bytes[at + 7]!,
        bytes[at + 8]!,
        bytes[at + 9]!,
        bytes[at + 10]!,
        bytes[at + 11]!,
        bytes[at + 12]!,
        bytes[at + 13]!,
        bytes[at + 14]!,
        bytes[at + 15]!,
      );
    }
    return String.fromCharCode.apply(null, bytes.subarray(at, at + n) as unknown as number[]);
  }

  /** min((b - a), (a - b)) mod 2^m into `out`. */
  private absDistance(a: Id, b: Id, out: Uint8Array): void {
    const n = this.bytes;
    let borrow = 0;
    for (let i = n - 1; i >= 0; i--) {
      const d = b.charCodeAt(i) - a.charCodeAt(i) - borrow;
      borrow = d < 0 ? 1 : 0;
      out[i] = d & 0xff;
    }
    out[0] = out[0]! & this.topMask;
    // cw = out. The other way round is 2^m - cw, shorter exactly when cw > 2^(m-1).
    const half = 0x80 >>> this.spare; // bit m-1 within the first byte
    if ((out[0]! & half) === 0) return;
    let exactlyHalf = out[0] === half;
    for (let i = 1; exactlyHalf && i < n; i++) exactlyHalf = out[i] === 0;
    if (exactlyHalf) return;
    // Two's complement within m bits: 2^m - cw.
    let carry = 1;
    for (let i = n - 1; i >= 0; i--) {
      const v = (~out[i]! & 0xff) + carry;
      out[i] = v & 0xff;
      carry = v >>> 8;
    }
    out[0] = out[0]! & this.topMask;
  }

  /** key + 2^(m-1): the point opposite the key. */
  private addHalf(key: Id): Id {
    return this.addPow2(key, this.bits - 1);
  }
}

/** The space of `bits`-bit ids read as base-2^`digitBits` digits (default 4: hex digits). */
export function idSpace(bits: number, digitBits = 4): IdSpace {
  return new IdSpace({ bits, digitBits });
}
