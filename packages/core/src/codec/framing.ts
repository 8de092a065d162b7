import { DecodeError, P2PError } from '../errors.js';
import { allocBytes } from './alloc.js';

/** How a frame's length is written before it: 4 or 2 bytes big-endian, or an unsigned LEB128. */
export type FramePrefix = 'u32' | 'u16' | 'varint';

export interface FrameDecoderOptions {
  /**
   * Largest payload accepted, in bytes. A declared length above it throws DecodeError as soon
   * as the length prefix has arrived, before any of the payload is buffered. Required: there is
   * no safe default for every protocol.
   */
  maxFrameSize: number;
  /** Length prefix format; default `u32`. */
  prefix?: FramePrefix;
}

/** Most bytes an unsigned LEB128 prefix may take (2^53 - 1 needs 8). */
const MAX_VARINT_BYTES = 8;

/** `payload` with its length prefix, in one new array (possibly a view into a shared slab: see `allocBytes`). */
export function encodeFrame(payload: Uint8Array, prefix: FramePrefix = 'u32'): Uint8Array {
  const n = payload.length;
  let out: Uint8Array;
  let p: number;
  if (prefix === 'u32') {
    if (n > 0xffff_ffff) throw tooLong(n, prefix);
    out = allocBytes(4 + n);
    out[0] = n >>> 24;
    out[1] = n >>> 16;
    out[2] = n >>> 8;
    out[3] = n;
    p = 4;
  } else if (prefix === 'u16') {
    if (n > 0xffff) throw tooLong(n, prefix);
    out = allocBytes(2 + n);
    out[0] = n >>> 8;
    out[1] = n;
    p = 2;
  } else if (prefix === 'varint') {
    let size = 1;
    for (let v = n; v >= 0x80; v = Math.floor(v / 128)) size++;
    out = allocBytes(size + n);
    p = 0;
    let v = n;
    while (v >= 0x80) {
      out[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    out[p++] = v;
  } else {
    throw new P2PError(`unknown frame prefix ${String(prefix)}`, 'ERR_INVALID_ARGUMENT');
  }
  out.set(payload, p);
  return out;
}

/**
 * Splits a byte stream into length-prefixed frames.
 *
 * `push(chunk)` keeps a reference to the chunk (no copy); `next()` returns the next complete
 * frame or undefined. A frame that lies inside one chunk is returned as a view of it; only a
 * frame spanning chunks is copied, once, into an array of exactly its size. So each byte is
 * copied at most once, however the stream is cut, and the buffered chunk list is compacted
 * lazily.
 *
 * The declared length is checked against `maxFrameSize` as soon as the prefix is complete (in
 * `push` or `next`): a peer announcing 2 GiB gets a DecodeError before we hold any of it. After a
 * DecodeError the stream is out of sync and the decoder stays failed: drop the connection.
 *
 * Typical use: `decoder.push(chunk); for (let f; (f = decoder.next()); ) handle(f);`
 */
export class FrameDecoder {
  readonly maxFrameSize: number;
  readonly prefix: FramePrefix;
  private chunks: Uint8Array[] = [];
  /** Index in `chunks` of the first chunk still holding unread bytes. */
  private head = 0;
  /** Read offset within chunks[head]. */
  private headOffset = 0;
  private bufferedBytes = 0;
  /** Payload length of the frame being assembled, -1 while its prefix is incomplete. */
  private pending = -1;
  private failure: DecodeError | undefined;

  constructor(options: FrameDecoderOptions) {
    const { maxFrameSize, prefix = 'u32' } = options;
    if (!(Number.isInteger(maxFrameSize) && maxFrameSize >= 0)) {
      throw new P2PError(`maxFrameSize must be a non-negative integer`, 'ERR_INVALID_ARGUMENT');
    }
    if (prefix !== 'u32' && prefix !== 'u16' && prefix !== 'varint') {
      throw new P2PError(`unknown frame prefix ${String(prefix)}`, 'ERR_INVALID_ARGUMENT');
    }
    this.maxFrameSize = maxFrameSize;
    this.prefix = prefix;
  }

  /** Bytes received and not yet returned as frames (prefix bytes included). */
  get buffered(): number {
    return this.bufferedBytes;
  }

  /**
   * Adds a chunk of the stream; the decoder keeps a reference to it, so do not modify it
   * afterwards. Throws DecodeError if this completes a length prefix above maxFrameSize.
   */
  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.pending < 0) this.readPrefix();
  }

  /** The next complete frame's payload, or undefined until more bytes arrive. */
  next(): Uint8Array | undefined {
    if (this.failure) throw this.failure;
    if (this.pending < 0 && !this.readPrefix()) return undefined;
    const n = this.pending;
    if (this.bufferedBytes < n) return undefined;
    this.pending = -1;
    this.bufferedBytes -= n;
    return this.take(n);
  }

  /** Drops everything buffered and any failure, as for a new stream. */
  reset(): void {
    this.chunks = [];
    this.head = 0;
    this.headOffset = 0;
    this.bufferedBytes = 0;
    this.pending = -1;
    this.failure = undefined;
  }

  /** Parses the length prefix if all its bytes are here; consumes them. */
  private readPrefix(): boolean {
    let length: number;
    let size: number;
    if (this.prefix === 'u32') {
      if (this.bufferedBytes < 4) return false;
      length = this.peekFixed(4);
      size = 4;
    } else if (this.prefix === 'u16') {
      if (this.bufferedBytes < 2) return false;
      length = this.peekFixed(2);
      size = 2;
    } else {
      const parsed = this.peekVarint();
      if (parsed < 0) return false;
      length = this.varintValue;
      size = parsed;
    }
    this.skip(size);
    this.bufferedBytes -= size;
    this.pending = length;
    return true;
  }

  /** Big-endian value of the first `size` buffered bytes, without consuming them. */
  private peekFixed(size: number): number {
    let value = 0;
    let chunkIndex = this.head;
    let offset = this.headOffset;
    for (let i = 0; i < size; i++) {
      let chunk = this.chunks[chunkIndex]!;
      while (offset >= chunk.length) {
        chunk = this.chunks[++chunkIndex]!;
        offset = 0;
      }
      value = value * 256 + chunk[offset++]!;
    }
    this.checkLength(value);
    return value;
  }

  private varintValue = 0;

  /**
   * Parses a LEB128 prefix from the buffered bytes without consuming them. Returns its size in
   * bytes (value in `varintValue`), or -1 if incomplete. Checks the limit byte by byte, so an
   * oversize length is refused even before its prefix is complete.
   */
  private peekVarint(): number {
    let value = 0;
    let scale = 1;
    let chunkIndex = this.head;
    let offset = this.headOffset;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (i >= this.bufferedBytes) return -1;
      let chunk = this.chunks[chunkIndex]!;
      while (offset >= chunk.length) {
        chunk = this.chunks[++chunkIndex]!;
        offset = 0;
      }
      const byte = chunk[offset++]!;
      value += (byte & 0x7f) * scale;
      this.checkLength(value);
      if (byte < 0x80) {
        if (byte === 0 && i > 0) return this.fail('non-canonical varint frame length');
        this.varintValue = value;
        return i + 1;
      }
      scale *= 128;
    }
    return this.fail('varint frame length longer than 8 bytes');
  }

  private checkLength(length: number): void {
    if (length > this.maxFrameSize) {
      this.fail(`frame of ${length} bytes exceeds maxFrameSize ${this.maxFrameSize}`);
    }
  }

  private fail(message: string): never {
    this.failure = new DecodeError(message);
    // Release what we hold: the stream cannot be resynchronised.
    this.chunks = [];
    this.head = 0;
    this.headOffset = 0;
    this.bufferedBytes = 0;
    throw this.failure;
  }

  /** Consumes `n` bytes without returning them. */
  private skip(n: number): void {
    while (n > 0) {
      const chunk = this.chunks[this.head]!;
      const available = chunk.length - this.headOffset;
      if (n < available) {
        this.headOffset += n;
        return;
      }
      n -= available;
      this.dropHead();
    }
  }

  /** Consumes and returns `n` bytes: a view when they lie in one chunk, else one copy. */
  private take(n: number): Uint8Array {
    const first = this.chunks[this.head];
    if (first === undefined) return new Uint8Array(0); // n === 0 and nothing buffered
    const start = this.headOffset;
    if (start + n <= first.length) {
      const view = first.subarray(start, start + n);
      this.headOffset = start + n;
      if (this.headOffset === first.length) this.dropHead();
      return view;
    }
    const out = allocBytes(n);
    let written = 0;
    while (written < n) {
      const chunk = this.chunks[this.head]!;
      const from = this.headOffset;
      const count = Math.min(chunk.length - from, n - written);
      out.set(chunk.subarray(from, from + count), written);
      written += count;
      if (from + count === chunk.length) this.dropHead();
      else this.headOffset = from + count;
    }
    return out;
  }

  /** Forgets the first chunk; compacts the list once the dead prefix is large. */
  private dropHead(): void {
    this.chunks[this.head] = EMPTY;
    this.head++;
    this.headOffset = 0;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);

function tooLong(n: number, prefix: FramePrefix): P2PError {
  return new P2PError(
    `payload of ${n} bytes does not fit a ${prefix} prefix`,
    'ERR_INVALID_ARGUMENT',
  );
}
