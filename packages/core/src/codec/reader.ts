import { DecodeError } from '../errors.js';
import { idByteLength } from './writer.js';

const textDecoder = new TextDecoder('utf-8', { fatal: true });
/** Below this many bytes, ASCII is decoded by hand; TextDecoder's call cost wins above. */
const SHORT_STRING = 32;

/**
 * Reads binary values from a byte range, big-endian unless the method name says `le`.
 *
 * Every read is bounds-checked against the range and throws `DecodeError` when the bytes run
 * out or a value is malformed, so a decoder written on a Reader cannot read outside its input.
 * `bytes(n)` returns a view (no copy): it shares memory with the input.
 */
export class Reader {
  private readonly buf: Uint8Array;
  private pos: number;
  private readonly end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    if (!(Number.isInteger(offset) && Number.isInteger(end) && 0 <= offset && offset <= end)) {
      throw new DecodeError(`invalid reader range [${offset}, ${end})`);
    }
    if (end > bytes.length) {
      throw new DecodeError(`reader range end ${end} beyond input of ${bytes.length} bytes`);
    }
    this.buf = bytes;
    this.pos = offset;
    this.end = end;
  }

  /** Position of the next byte to read, relative to the start of the input array. */
  get offset(): number {
    return this.pos;
  }

  /** Bytes left before the end of the range. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws DecodeError unless every byte of the range has been read. */
  expectEnd(): void {
    if (this.pos !== this.end) {
      throw new DecodeError(
        `${this.end - this.pos} unexpected trailing bytes at offset ${this.pos}`,
      );
    }
  }

  /** Skips `n` bytes. */
  skip(n: number): this {
    this.take(n);
    return this;
  }

  u8(): number {
    const p = this.pos;
    if (p >= this.end) throw this.truncated(1);
    this.pos = p + 1;
    return this.buf[p]!;
  }

  u16(): number {
    const p = this.pos;
    if (p + 2 > this.end) throw this.truncated(2);
    const b = this.buf;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u16le(): number {
    const p = this.pos;
    if (p + 2 > this.end) throw this.truncated(2);
    const b = this.buf;
    this.pos = p + 2;
    return b[p]! | (b[p + 1]! << 8);
  }

  u32(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw this.truncated(4);
    const b = this.buf;
    this.pos = p + 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  u32le(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw this.truncated(4);
    const b = this.buf;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  /** Signed 32-bit, two's complement, big-endian. */
  i32(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw this.truncated(4);
    const b = this.buf;
    this.pos = p + 4;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  // u64 combines two 32-bit halves: measured ~3x faster than creating a DataView per Reader and
  // within 2x of a cached one, without the allocation (see bench/codec.js).
  u64(): bigint {
    const hi = this.u32();
    const lo = this.u32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  u64le(): bigint {
    const lo = this.u32le();
    const hi = this.u32le();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /**
   * Unsigned LEB128 up to 2^53 - 1. Refuses (DecodeError) values above that, and non-shortest
   * encodings (a final 0x00 byte after a continuation), so each value has exactly one encoding.
   */
  varint(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= end) throw this.truncated(p - this.pos + 1);
      const byte = b[p++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (byte === 0 && i > 0)
          throw new DecodeError(`non-canonical varint at offset ${this.pos}`);
        if (result > Number.MAX_SAFE_INTEGER) {
          throw new DecodeError(`varint above 2^53 - 1 at offset ${this.pos}`);
        }
        this.pos = p;
        return result;
      }
      scale *= 128;
    }
    throw new DecodeError(`varint longer than 8 bytes at offset ${this.pos}`);
  }

  /** `n` bytes as a view into the input (no copy). */
  bytes(n: number): Uint8Array {
    const p = this.take(n);
    return this.buf.subarray(p, p + n);
  }

  /** A varint length (refused above `max`, default: no limit but the input), then the bytes. */
  varbytes(max = Number.MAX_SAFE_INTEGER): Uint8Array {
    const at = this.pos;
    const n = this.varint();
    if (n > max) throw new DecodeError(`length ${n} above limit ${max} at offset ${at}`);
    return this.bytes(n);
  }

  /** `n` bytes of UTF-8. Invalid UTF-8 throws DecodeError. */
  utf8(n: number): string {
    const p = this.take(n);
    const b = this.buf;
    if (n < SHORT_STRING) {
      let ascii = true;
      for (let i = p; i < p + n; i++) {
        if (b[i]! >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) return latin1(b, p, p + n);
    }
    try {
      return textDecoder.decode(b.subarray(p, p + n));
    } catch (error) {
      throw new DecodeError(`invalid UTF-8 at offset ${p}`, { cause: error });
    }
  }

  /** A varint byte length (refused above `max`), then that many bytes of UTF-8. */
  varutf8(max = Number.MAX_SAFE_INTEGER): string {
    const at = this.pos;
    const n = this.varint();
    if (n > max) throw new DecodeError(`string length ${n} above limit ${max} at offset ${at}`);
    return this.utf8(n);
  }

  /** `n` bytes, one character per byte. */
  latin1(n: number): string {
    const p = this.take(n);
    return latin1(this.buf, p, p + n);
  }

  /**
   * The bytes up to the next NUL, as a view (the NUL is consumed, not returned). DecodeError when
   * no NUL comes before the end of the range, or within `max` bytes.
   */
  cbytes(max = Number.MAX_SAFE_INTEGER): Uint8Array {
    const p = this.pos;
    const limit = Math.min(this.end, p + max + 1);
    const at = this.buf.indexOf(0, p);
    if (at < 0 || at >= limit) {
      throw new DecodeError(
        at < 0 || at >= this.end
          ? `unterminated string at offset ${p}`
          : `string at offset ${p} longer than ${max} bytes`,
      );
    }
    this.pos = at + 1;
    return this.buf.subarray(p, at);
  }

  /** A NUL-terminated UTF-8 string (ASCII is a subset); see `cbytes` for the limits. */
  cstring(max = Number.MAX_SAFE_INTEGER): string {
    const at = this.pos;
    const bytes = this.cbytes(max);
    try {
      return decodeUtf8(bytes);
    } catch (error) {
      throw new DecodeError(`invalid UTF-8 at offset ${at}`, { cause: error });
    }
  }

  /**
   * A fixed-width ASCII field of `n` bytes, trailing NUL padding removed (the inverse of
   * `Writer.ascii`). A byte above 0x7f throws DecodeError.
   */
  ascii(n: number): string {
    const p = this.take(n);
    const b = this.buf;
    let end = p + n;
    for (let i = p; i < end; i++) {
      if (b[i]! > 0x7f)
        throw new DecodeError(`non-ASCII byte 0x${b[i]!.toString(16)} at offset ${i}`);
    }
    while (end > p && b[end - 1] === 0) end--;
    return latin1(b, p, end);
  }

  /**
   * An m-bit id written as ceil(m/8) big-endian bytes. Bits above m must be zero (DecodeError
   * otherwise): each id has one encoding.
   */
  id(m: number): bigint {
    const n = idByteLength(m);
    const p = this.take(n);
    const spare = m & 7;
    if (spare !== 0 && this.buf[p]! >> spare !== 0) {
      throw new DecodeError(`id at offset ${p} has bits above m = ${m}`);
    }
    return readIdBytes(this.buf, p, p + n);
  }

  /** Advances by n and returns the old position, or throws DecodeError if fewer remain. */
  private take(n: number): number {
    const p = this.pos;
    if (!(n >= 0 && Number.isInteger(n))) {
      throw new DecodeError(`invalid length ${n} at offset ${p}`);
    }
    if (n > this.end - p) throw this.truncated(n);
    this.pos = p + n;
    return p;
  }

  private truncated(n: number): DecodeError {
    return new DecodeError(
      `truncated input: need ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`,
    );
  }
}

/**
 * Reads `b[start..end)` as an unsigned big-endian integer. Whole 32-bit words are combined with
 * BigInt shifts: measured fastest of hex-string parsing, 48-bit and 64-bit DataView chunks
 * (bench/ids.js prints the comparison).
 */
export function readIdBytes(b: Uint8Array, start: number, end: number): bigint {
  const n = end - start;
  let i = start;
  let head = 0;
  // Leading bytes that do not fill a 32-bit word; up to 6 bytes fit a double exactly.
  const headLength = n <= 6 ? n : n & 3;
  for (const stop = start + headLength; i < stop; i++) head = head * 256 + b[i]!;
  let result = BigInt(head);
  for (; i < end; i += 4) {
    result =
      (result << 32n) |
      BigInt(((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0);
  }
  return result;
}

/** UTF-8 to string; ASCII by hand when short. Throws TypeError on invalid UTF-8. */
function decodeUtf8(b: Uint8Array): string {
  if (b.length < SHORT_STRING && !b.some((x) => x >= 0x80)) return latin1(b, 0, b.length);
  return textDecoder.decode(b);
}

/** `b[start..end)` as a string of one character per byte. @internal */
export function latin1(b: Uint8Array, start = 0, end = b.length): string {
  // String.fromCharCode.apply on chunks: no intermediate array, bounded argument count.
  if (end - start <= 16) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  let s = '';
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(
      null,
      b.subarray(i, Math.min(end, i + 4096)) as unknown as number[],
    );
  }
  return s;
}
