import { DecodeError, P2PError } from '../errors.js';
import { allocBytes } from './alloc.js';
import { latin1 } from './reader.js';

const EMPTY = new Uint8Array(0);
const LF = 0x0a;
const CR = 0x0d;

/** Limits for `ByteQueue.readUntil` / `readLine`. */
export interface ReadLineOptions {
  /**
   * Most bytes a line (or a delimited field) may hold, delimiter and CR excluded. Once more than
   * this many bytes are buffered without the delimiter, the read throws DecodeError instead of
   * waiting: a peer cannot make us buffer an endless line.
   */
  maxLength: number;
}

/**
 * A FIFO of bytes received from a stream, for protocol handlers that read lines, fixed headers
 * and bodies off a connection.
 *
 * `append(chunk)` keeps a reference to the chunk (no copy). Reads return a view of a chunk when
 * the bytes lie inside one, and copy once, into an array of exactly their size, only when they
 * span chunks: each byte is copied at most once however the stream is cut. Consumed chunks are
 * dropped from the front in O(1) amortised.
 *
 * The queue itself never refuses bytes: the caller bounds it by reading (a connection handler
 * appends one chunk, then reads all it can). `readLine`/`readUntil` refuse a line over their
 * limit with DecodeError; after that the stream is out of sync and the connection should go.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Index in `chunks` of the first chunk still holding unread bytes. */
  private head = 0;
  /** Read offset within chunks[head]. */
  private headOffset = 0;
  private size = 0;
  /**
   * How many leading bytes a delimiter search already scanned without a match, so that a line
   * arriving a byte at a time is scanned once in all, not once per byte.
   */
  private scanned = 0;
  private scannedFor: number | Uint8Array | undefined;

  /** Bytes buffered and not yet read. */
  get length(): number {
    return this.size;
  }

  /** Adds `chunk` at the end; the queue keeps a reference, so do not modify it afterwards. */
  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The byte at `index` from the front (0-based), or -1 when fewer bytes are buffered. */
  byteAt(index: number): number {
    if (!(index >= 0 && index < this.size)) return -1;
    let i = this.head;
    let offset = this.headOffset + index;
    for (;;) {
      const chunk = this.chunks[i]!;
      if (offset < chunk.length) return chunk[offset]!;
      offset -= chunk.length;
      i++;
    }
  }

  /**
   * The unsigned integer of `size` bytes (1 to 6) at `offset`, big-endian or little-endian,
   * without consuming anything; -1 when those bytes are not all buffered yet.
   */
  peekUint(offset: number, size: number, littleEndian = false): number {
    if (!(Number.isInteger(size) && size >= 1 && size <= 6)) {
      throw new P2PError(`peekUint size must be 1..6, got ${size}`, 'ERR_INVALID_ARGUMENT');
    }
    if (!(offset >= 0 && offset + size <= this.size)) return -1;
    let i = this.head;
    let at = this.headOffset + offset;
    let chunk = this.chunks[i]!;
    if (at + size <= chunk.length) {
      // Fast path: the field lies in the first chunk (nearly always).
      const c = chunk;
      if (size === 4) {
        return littleEndian
          ? (c[at]! | (c[at + 1]! << 8) | (c[at + 2]! << 16) | (c[at + 3]! << 24)) >>> 0
          : ((c[at]! << 24) | (c[at + 1]! << 16) | (c[at + 2]! << 8) | c[at + 3]!) >>> 0;
      }
      if (size === 2) {
        return littleEndian ? c[at]! | (c[at + 1]! << 8) : (c[at]! << 8) | c[at + 1]!;
      }
    }
    while (at >= chunk.length) {
      at -= chunk.length;
      chunk = this.chunks[++i]!;
    }
    let value = 0;
    let scale = 1;
    for (let k = 0; k < size; k++) {
      while (at >= chunk.length) {
        at = 0;
        chunk = this.chunks[++i]!;
      }
      const byte = chunk[at++]!;
      if (littleEndian) {
        value += byte * scale;
        scale *= 256;
      } else {
        value = value * 256 + byte;
      }
    }
    return value;
  }

  /** The first `n` bytes without consuming them, or undefined when fewer are buffered. */
  peek(n: number): Uint8Array | undefined {
    checkCount(n);
    if (n > this.size) return undefined;
    return this.copyOut(n, false);
  }

  /** Consumes and returns the first `n` bytes, or undefined (consuming nothing) when fewer are buffered. */
  read(n: number): Uint8Array | undefined {
    if (!(n <= this.size)) {
      checkCount(n);
      return undefined;
    }
    checkCount(n);
    const first = this.chunks[this.head];
    const start = this.headOffset;
    if (first !== undefined && start + n < first.length) {
      // Fast path: inside the first chunk, which stays (the common case of small messages).
      this.headOffset = start + n;
      this.size -= n;
      if (this.scannedFor !== undefined) this.scanned = Math.max(0, this.scanned - n);
      return first.subarray(start, start + n);
    }
    return this.copyOut(n, true);
  }

  /**
   * Consumes and returns up to `max` bytes that lie in the first chunk, as a view (never a
   * copy); undefined when the queue is empty. For streaming a body through without reassembly.
   */
  readChunk(max = Number.POSITIVE_INFINITY): Uint8Array | undefined {
    if (this.size === 0 || !(max > 0)) return undefined;
    const chunk = this.chunks[this.head]!;
    const start = this.headOffset;
    const n = Math.min(chunk.length - start, max);
    this.consume(n);
    return chunk.subarray(start, start + n);
  }

  /** Drops the first `n` bytes (all of them when fewer are buffered); returns how many went. */
  skip(n: number): number {
    checkCount(n);
    const count = Math.min(n, this.size);
    this.consume(count);
    return count;
  }

  /** Consumes and returns everything buffered (one copy if it spans chunks). */
  readAll(): Uint8Array {
    return this.copyOut(this.size, true);
  }

  /** Empties the queue. */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.headOffset = 0;
    this.size = 0;
    this.scanned = 0;
    this.scannedFor = undefined;
  }

  /**
   * Index of the first occurrence of `delimiter` (a byte or a byte sequence) at or after `from`,
   * or -1.
   */
  indexOf(delimiter: number | Uint8Array, from = 0): number {
    const d = delimiter;
    if (typeof d === 'number') return this.findByte(d, from);
    if (d.length === 0) return Math.min(Math.max(from, 0), this.size);
    if (d.length === 1) return this.findByte(d[0]!, from);
    const first = d[0]!;
    for (let at = this.findByte(first, from); at >= 0; at = this.findByte(first, at + 1)) {
      if (at + d.length > this.size) return -1;
      let k = 1;
      while (k < d.length && this.byteAt(at + k) === d[k]) k++;
      if (k === d.length) return at;
    }
    return -1;
  }

  /**
   * Consumes the bytes up to `delimiter` and the delimiter itself, and returns those before it
   * (a view when they lie in one chunk). Undefined while the delimiter has not arrived; throws
   * DecodeError once more than `maxLength` bytes are buffered without it.
   */
  readUntil(delimiter: number | Uint8Array, options: ReadLineOptions): Uint8Array | undefined {
    const max = checkMax(options);
    const width = typeof delimiter === 'number' ? 1 : delimiter.length;
    const at = this.search(delimiter, max + width);
    if (at < 0) {
      if (this.size > max + width - 1) {
        throw new DecodeError(`no delimiter within ${max} bytes`);
      }
      return undefined;
    }
    if (at > max) throw new DecodeError(`field of ${at} bytes exceeds maxLength ${max}`);
    const out = this.copyOut(at, true);
    this.consume(width);
    return out;
  }

  /**
   * Consumes one line ending in LF or CRLF and returns it without its ending, one character per
   * byte (latin1: what HTTP and the Gnutella handshake send). Undefined while the line is
   * incomplete; DecodeError when it is longer than `maxLength` (ending excluded).
   */
  readLine(options: ReadLineOptions): string | undefined {
    const max = checkMax(options);
    // Room for a CR before the LF: a line of exactly maxLength characters plus CRLF is fine.
    const at = this.search(LF, max + 2);
    if (at < 0) {
      if (this.size > max + 1) throw new DecodeError(`line longer than ${max} bytes`);
      return undefined;
    }
    const hasCR = at > 0 && this.byteAt(at - 1) === CR;
    const n = hasCR ? at - 1 : at;
    if (n > max) throw new DecodeError(`line of ${n} bytes exceeds maxLength ${max}`);
    const bytes = this.copyOut(n, true);
    this.consume(hasCR ? 2 : 1);
    return latin1(bytes);
  }

  /**
   * indexOf restricted to the first `limit` bytes, resuming where the previous search for the
   * same delimiter stopped, so a line delivered in pieces is scanned once.
   */
  private search(delimiter: number | Uint8Array, limit: number): number {
    const width = typeof delimiter === 'number' ? 1 : delimiter.length;
    const from =
      this.scannedFor === delimiter ? Math.max(0, this.scanned - Math.max(0, width - 1)) : 0;
    const at = this.indexOf(delimiter, from);
    if (at >= 0 && at < limit) return at;
    this.scannedFor = delimiter;
    this.scanned = Math.min(this.size, limit);
    return at >= 0 ? at : -1;
  }

  private findByte(byte: number, from: number): number {
    let start = Math.max(0, from);
    if (start >= this.size) return -1;
    let base = 0;
    for (let i = this.head; i < this.chunks.length; i++) {
      const chunk = this.chunks[i]!;
      const offset = i === this.head ? this.headOffset : 0;
      const span = chunk.length - offset;
      if (start < base + span) {
        const found = chunk.indexOf(byte, offset + (start - base));
        if (found >= 0) return base + found - offset;
        start = base + span;
      }
      base += span;
    }
    return -1;
  }

  /** The first `n` bytes: a view when they lie in one chunk, else one copy; consumed if asked. */
  private copyOut(n: number, consume: boolean): Uint8Array {
    if (n === 0) return EMPTY;
    const first = this.chunks[this.head]!;
    const start = this.headOffset;
    if (start + n <= first.length) {
      if (consume) this.consume(n);
      return first.subarray(start, start + n);
    }
    const out = allocBytes(n);
    let written = 0;
    let i = this.head;
    let from = start;
    while (written < n) {
      const chunk = this.chunks[i]!;
      const count = Math.min(chunk.length - from, n - written);
      out.set(chunk.subarray(from, from + count), written);
      written += count;
      i++;
      from = 0;
    }
    if (consume) this.consume(n);
    return out;
  }

  /** Drops `n` (<= size) bytes from the front. */
  private consume(n: number): void {
    this.size -= n;
    if (this.scannedFor !== undefined) this.scanned = Math.max(0, this.scanned - n);
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

function checkCount(n: number): void {
  if (!(Number.isInteger(n) && n >= 0)) {
    throw new P2PError(
      `byte count must be a non-negative integer, got ${n}`,
      'ERR_INVALID_ARGUMENT',
    );
  }
}

function checkMax(options: ReadLineOptions): number {
  const max = options?.maxLength;
  if (!(Number.isInteger(max) && max >= 0)) {
    throw new P2PError('maxLength must be a non-negative integer', 'ERR_INVALID_ARGUMENT');
  }
  return max;
}
