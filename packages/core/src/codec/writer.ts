import { P2PError } from '../errors.js';

const TWO_32 = 0x1_0000_0000;
const MAX_U64 = 0xffff_ffff_ffff_ffffn;
const MASK_32 = 0xffff_ffffn;

/** Strings shorter than this are UTF-8 encoded by hand; TextEncoder's call cost wins above. */
const SHORT_STRING = 48;
const textEncoder = new TextEncoder();

/**
 * Appends binary values to a growing buffer. Big-endian unless the method name says `le`.
 *
 * The buffer doubles when full (amortised O(1) per byte). `finish()` returns a view of the bytes
 * written so far without copying; those bytes stay valid until `reset()`, which rewinds the
 * writer to reuse the same buffer for the next message.
 *
 * Values out of range for their type (e.g. `u8(256)`, `u32(-1)`, a non-integer) throw P2PError
 * `ERR_INVALID_ARGUMENT`: that is a bug in the caller, not bad input from a peer.
 */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** The bytes written so far, as a view (no copy). Valid until `reset()`. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Rewinds to empty, keeping the buffer: bytes returned by earlier `finish()` get overwritten. */
  reset(): this {
    this.pos = 0;
    return this;
  }

  u8(value: number): this {
    if (!(value >= 0 && value <= 0xff && value === (value | 0))) throw range('u8', value);
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = value;
    return this;
  }

  u16(value: number): this {
    if (!(value >= 0 && value <= 0xffff && value === (value | 0))) throw range('u16', value);
    if (this.pos + 2 > this.buf.length) this.grow(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = value >>> 8;
    b[p + 1] = value;
    this.pos = p + 2;
    return this;
  }

  u16le(value: number): this {
    if (!(value >= 0 && value <= 0xffff && value === (value | 0))) throw range('u16le', value);
    if (this.pos + 2 > this.buf.length) this.grow(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = value;
    b[p + 1] = value >>> 8;
    this.pos = p + 2;
    return this;
  }

  u32(value: number): this {
    if (!(value >= 0 && value < TWO_32 && value === value >>> 0)) throw range('u32', value);
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = value >>> 24;
    b[p + 1] = value >>> 16;
    b[p + 2] = value >>> 8;
    b[p + 3] = value;
    this.pos = p + 4;
    return this;
  }

  u32le(value: number): this {
    if (!(value >= 0 && value < TWO_32 && value === value >>> 0)) throw range('u32le', value);
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = value;
    b[p + 1] = value >>> 8;
    b[p + 2] = value >>> 16;
    b[p + 3] = value >>> 24;
    this.pos = p + 4;
    return this;
  }

  /** Signed 32-bit, two's complement, big-endian. */
  i32(value: number): this {
    if (value !== (value | 0)) throw range('i32', value);
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = value >>> 24;
    b[p + 1] = value >>> 16;
    b[p + 2] = value >>> 8;
    b[p + 3] = value;
    this.pos = p + 4;
    return this;
  }

  u64(value: bigint): this {
    if (!(value >= 0n && value <= MAX_U64)) throw range('u64', value);
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.view.setBigUint64(this.pos, value);
    this.pos += 8;
    return this;
  }

  u64le(value: bigint): this {
    if (!(value >= 0n && value <= MAX_U64)) throw range('u64le', value);
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.view.setBigUint64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  /**
   * Unsigned LEB128 (as protobuf, 7 bits per byte, low bits first), 0 ≤ value ≤ 2^53 - 1.
   * Always the shortest encoding, which is the only one Reader.varint accepts.
   */
  varint(value: number): this {
    if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER && Number.isInteger(value))) {
      throw range('varint', value);
    }
    if (this.pos + 8 > this.buf.length) this.grow(8);
    const b = this.buf;
    let p = this.pos;
    // Above 32 bits, bitwise operators would truncate: peel 7 bits at a time by division.
    while (value >= TWO_32) {
      b[p++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    while (value >= 0x80) {
      b[p++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    b[p++] = value;
    this.pos = p;
    return this;
  }

  /** Raw bytes, no length prefix. */
  bytes(data: Uint8Array): this {
    const n = data.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    if (n < 16) {
      const b = this.buf;
      const p = this.pos;
      for (let i = 0; i < n; i++) b[p + i] = data[i]!;
    } else {
      this.buf.set(data, this.pos);
    }
    this.pos += n;
    return this;
  }

  /** A varint length, then the bytes. */
  varbytes(data: Uint8Array): this {
    return this.varint(data.length).bytes(data);
  }

  /**
   * The UTF-8 bytes of `text`, no length prefix (lone surrogates become U+FFFD, as with
   * TextEncoder). Use `utf8Length(text)` to know the byte count in advance.
   */
  utf8(text: string): this {
    const n = text.length;
    if (this.pos + n * 3 > this.buf.length) this.grow(n * 3);
    if (n < SHORT_STRING) {
      this.pos = encodeUtf8Short(text, this.buf, this.pos);
    } else {
      this.pos += textEncoder.encodeInto(text, this.buf.subarray(this.pos)).written;
    }
    return this;
  }

  /** A varint byte length, then the UTF-8 bytes. */
  varutf8(text: string): this {
    return this.varint(utf8Length(text)).utf8(text);
  }

  /** One byte per character; every code unit must be ≤ 0xff. No length prefix. */
  latin1(text: string): this {
    const n = text.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0xff) throw range('latin1 character', c);
      b[p + i] = c;
    }
    this.pos = p + n;
    return this;
  }

  /**
   * A NUL-terminated string: the UTF-8 bytes of `text` (ASCII stays one byte per character),
   * then 0x00. A NUL inside `text` throws ERR_INVALID_ARGUMENT: it would end the string early.
   */
  cstring(text: string): this {
    if (text.includes('\0')) throw range('cstring (contains NUL)', JSON.stringify(text));
    return this.utf8(text).u8(0);
  }

  /** `data` then a 0x00 byte; `data` must not contain 0x00. */
  cbytes(data: Uint8Array): this {
    if (data.includes(0)) throw range('cbytes (contains NUL)', data.length);
    return this.bytes(data).u8(0);
  }

  /**
   * A fixed-width ASCII field of `width` bytes (default: the text's length): the characters,
   * then NUL padding. Non-ASCII characters, a NUL, or text longer than `width` throw
   * ERR_INVALID_ARGUMENT.
   */
  ascii(text: string, width = text.length): this {
    const n = text.length;
    if (!(Number.isInteger(width) && width >= n)) throw range(`ascii width for "${text}"`, width);
    if (this.pos + width > this.buf.length) this.grow(width);
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0 || c > 0x7f) throw range('ascii character', c);
      b[p + i] = c;
    }
    b.fill(0, p + n, p + width);
    this.pos = p + width;
    return this;
  }

  /** An m-bit id as ceil(m/8) big-endian bytes (the format of `idToBytes`). */
  id(id: bigint, m: number): this {
    const n = idByteLength(m);
    if (!(id >= 0n && id < idLimit(m))) throw range(`${m}-bit id`, id);
    if (this.pos + n > this.buf.length) this.grow(n);
    writeIdBytes(id, this.buf, this.pos, n);
    this.pos += n;
    return this;
  }

  private grow(needed: number): void {
    let capacity = this.buf.length * 2;
    while (capacity < this.pos + needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

/** Bytes needed for an m-bit id: ceil(m/8). Throws for m outside 1..4096. */
export function idByteLength(m: number): number {
  if (!(Number.isInteger(m) && m >= 1 && m <= 4096)) {
    throw new P2PError(
      `id width m must be an integer in 1..4096, got ${m}`,
      'ERR_INVALID_ARGUMENT',
    );
  }
  return (m + 7) >>> 3;
}

const idLimits: bigint[] = [];

/** 2^m, cached: the exclusive upper bound of an m-bit id (m already validated). */
export function idLimit(m: number): bigint {
  let limit = idLimits[m];
  if (limit === undefined) {
    limit = 1n << BigInt(m);
    idLimits[m] = limit;
  }
  return limit;
}

/** Writes `id` (already checked to fit) as `n` big-endian bytes at `out[at..at+n)`. */
export function writeIdBytes(id: bigint, out: Uint8Array, at: number, n: number): void {
  let i = at + n;
  // 32 bits per BigInt operation, then plain integer shifts for the bytes.
  while (i - at >= 4) {
    const word = Number(id & MASK_32);
    id >>= 32n;
    out[--i] = word;
    out[--i] = word >>> 8;
    out[--i] = word >>> 16;
    out[--i] = word >>> 24;
  }
  if (i > at) {
    let word = Number(id & MASK_32);
    while (i > at) {
      out[--i] = word;
      word >>>= 8;
    }
  }
}

/** Byte length of the UTF-8 encoding of `text` (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  const n = text.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 2; // 4 bytes for 2 code units
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Writes the UTF-8 of a short string at `b[p..]` (room checked by the caller); returns the end. */
export function encodeUtf8Short(text: string, b: Uint8Array, p: number): number {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      b[p++] = c;
    } else if (c < 0x800) {
      b[p++] = 0xc0 | (c >> 6);
      b[p++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && isLowSurrogate(next)) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          b[p++] = 0xf0 | (c >> 18);
          b[p++] = 0x80 | ((c >> 12) & 0x3f);
          b[p++] = 0x80 | ((c >> 6) & 0x3f);
          b[p++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      b[p++] = 0xe0 | (c >> 12);
      b[p++] = 0x80 | ((c >> 6) & 0x3f);
      b[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p;
}

function range(what: string, value: unknown): P2PError {
  return new P2PError(`${what} out of range: ${String(value)}`, 'ERR_INVALID_ARGUMENT');
}
