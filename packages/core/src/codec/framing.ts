import { DecodeError, P2PError } from '../errors.js';
import { allocBytes } from './alloc.js';
import { ByteQueue } from './byte-queue.js';

/**
 * How a frame's length is written: 4 or 2 bytes big-endian (`u32`, `u16`), little-endian
 * (`u32le`, `u16le`), or an unsigned LEB128 (`varint`).
 */
export type FramePrefix = 'u32' | 'u16' | 'u32le' | 'u16le' | 'varint';

/**
 * A fixed-size header that carries the payload length somewhere inside it, as Gnutella's
 * (23 bytes, `u32le` length at offset 19) and Napster's (4 bytes, `u16le` length at offset 0,
 * then a `u16le` type). The length counts the payload only, not the header.
 */
export interface FrameHeaderLayout {
  /** Header size in bytes. */
  size: number;
  /** Offset of the length field within the header; the field's format is the decoder's `prefix`. */
  lengthOffset: number;
}

export interface FrameDecoderOptions {
  /**
   * Largest payload accepted, in bytes (header excluded). A declared length above it throws
   * DecodeError as soon as the length field has arrived, before any of the payload is buffered.
   * Required: there is no safe default for every protocol.
   */
  maxFrameSize: number;
  /** Length field format; default `u32`. */
  prefix?: FramePrefix;
  /**
   * When set, frames have this fixed header (with the length at `lengthOffset`, in the `prefix`
   * format, which must then be fixed-width) and `next()` returns each whole frame, header
   * included, since the header carries fields the protocol needs (type, TTL, ids). Without it
   * the length prefix is the whole header and `next()` returns the payload alone.
   */
  header?: FrameHeaderLayout;
}

/** Most bytes an unsigned LEB128 prefix may take (2^53 - 1 needs 8). */
const MAX_VARINT_BYTES = 8;

/** `payload` with its length prefix (at offset 0; build a fixed header with Writer), in one new array (possibly a view into a shared slab: see `allocBytes`). */
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
  } else if (prefix === 'u32le') {
    if (n > 0xffff_ffff) throw tooLong(n, prefix);
    out = allocBytes(4 + n);
    out[0] = n;
    out[1] = n >>> 8;
    out[2] = n >>> 16;
    out[3] = n >>> 24;
    p = 4;
  } else if (prefix === 'u16le') {
    if (n > 0xffff) throw tooLong(n, prefix);
    out = allocBytes(2 + n);
    out[0] = n;
    out[1] = n >>> 8;
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

/** Width in bytes of a fixed-width prefix, 0 for varint. */
function prefixWidth(prefix: FramePrefix): number {
  return prefix === 'u32' || prefix === 'u32le' ? 4 : prefix === 'varint' ? 0 : 2;
}

/**
 * Splits a byte stream into length-prefixed frames.
 *
 * `push(chunk)` keeps a reference to the chunk (no copy); `next()` returns the next complete
 * frame or undefined. A frame that lies inside one chunk is returned as a view of it; only a
 * frame spanning chunks is copied, once, into an array of exactly its size (see ByteQueue).
 *
 * The declared length is checked against `maxFrameSize` as soon as the length field is complete
 * (in `push` or `next`): a peer announcing 2 GiB gets a DecodeError before we hold any of it.
 * After a DecodeError the stream is out of sync and the decoder stays failed: drop the
 * connection.
 *
 * Typical use: `decoder.push(chunk); for (let f; (f = decoder.next()); ) handle(f);`
 * Gnutella: `{ prefix: 'u32le', header: { size: 23, lengthOffset: 19 }, maxFrameSize: 65536 }`;
 * Napster: `{ prefix: 'u16le', header: { size: 4, lengthOffset: 0 }, maxFrameSize: 2048 }`.
 */
export class FrameDecoder {
  readonly maxFrameSize: number;
  readonly prefix: FramePrefix;
  readonly header: Readonly<FrameHeaderLayout> | undefined;
  private readonly queue = new ByteQueue();
  private readonly width: number;
  private readonly littleEndian: boolean;
  /** Header bytes in front of the payload: the prefix's width, or the layout's size. */
  private readonly headerSize: number;
  /** Offset of the length field. */
  private readonly lengthOffset: number;
  /** Payload length of the frame being assembled, -1 while its length field is incomplete. */
  private pending = -1;
  /** Bytes before the payload of the pending frame (varint prefixes vary). */
  private pendingHeader = 0;
  private failure: DecodeError | undefined;

  constructor(options: FrameDecoderOptions) {
    const { maxFrameSize, prefix = 'u32', header } = options;
    if (!(Number.isInteger(maxFrameSize) && maxFrameSize >= 0)) {
      throw new P2PError(`maxFrameSize must be a non-negative integer`, 'ERR_INVALID_ARGUMENT');
    }
    if (!PREFIXES.includes(prefix)) {
      throw new P2PError(`unknown frame prefix ${String(prefix)}`, 'ERR_INVALID_ARGUMENT');
    }
    this.maxFrameSize = maxFrameSize;
    this.prefix = prefix;
    this.width = prefixWidth(prefix);
    this.littleEndian = prefix === 'u32le' || prefix === 'u16le';
    if (header !== undefined) {
      const { size, lengthOffset } = header;
      if (
        this.width === 0 ||
        !(Number.isInteger(size) && Number.isInteger(lengthOffset)) ||
        lengthOffset < 0 ||
        lengthOffset + this.width > size
      ) {
        throw new P2PError(
          `invalid frame header layout (size ${size}, length at ${lengthOffset}, ${prefix})`,
          'ERR_INVALID_ARGUMENT',
        );
      }
      this.header = Object.freeze({ size, lengthOffset });
      this.headerSize = size;
      this.lengthOffset = lengthOffset;
    } else {
      this.header = undefined;
      this.headerSize = this.width;
      this.lengthOffset = 0;
    }
  }

  /** Bytes received and not yet returned as frames (header bytes included). */
  get buffered(): number {
    return this.queue.length;
  }

  /**
   * Adds a chunk of the stream; the decoder keeps a reference to it, so do not modify it
   * afterwards. Throws DecodeError if this completes a length field above maxFrameSize.
   */
  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    this.queue.append(chunk);
    if (this.pending < 0) this.readLength();
  }

  /** The next complete frame (payload, or header + payload with a layout), or undefined. */
  next(): Uint8Array | undefined {
    if (this.failure) throw this.failure;
    if (this.pending < 0 && !this.readLength()) return undefined;
    const total = this.pendingHeader + this.pending;
    if (this.queue.length < total) return undefined;
    this.pending = -1;
    if (this.header !== undefined) return this.queue.read(total)!;
    this.queue.skip(this.pendingHeader);
    return this.queue.read(total - this.pendingHeader)!;
  }

  /** Drops everything buffered and any failure, as for a new stream. */
  reset(): void {
    this.queue.clear();
    this.pending = -1;
    this.failure = undefined;
  }

  /** Parses the length field if all its bytes are here (consumes nothing). */
  private readLength(): boolean {
    let length: number;
    if (this.width > 0) {
      if (this.queue.length < this.headerSize) return false;
      length = this.queue.peekUint(this.lengthOffset, this.width, this.littleEndian);
      this.checkLength(length);
      this.pendingHeader = this.headerSize;
    } else {
      const size = this.peekVarint();
      if (size < 0) return false;
      length = this.varintValue;
      this.pendingHeader = size;
    }
    this.pending = length;
    return true;
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
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = this.queue.byteAt(i);
      if (byte < 0) return -1;
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
    this.queue.clear();
    throw this.failure;
  }
}

const PREFIXES: readonly FramePrefix[] = ['u32', 'u16', 'u32le', 'u16le', 'varint'];

function tooLong(n: number, prefix: FramePrefix): P2PError {
  return new P2PError(
    `payload of ${n} bytes does not fit a ${prefix} prefix`,
    'ERR_INVALID_ARGUMENT',
  );
}
