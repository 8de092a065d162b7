/**
 * A set of piece indices as the wire carries it: piece 0 is the high bit of byte 0, spare bits
 * at the end are zero. Counts are kept up to date so "has everything" is O(1).
 */
import { ProtocolError } from '@p2pkit/core';

/** What was wrong with a received bitfield that we accepted anyway (lenient mode). */
export interface BitfieldIssues {
  /** Longer than ceil(pieces / 8) bytes; the extra bytes were ignored. */
  oversize: boolean;
  /** Bits beyond the last piece were set; they were ignored. */
  spareBits: boolean;
}

export class Bitfield {
  /** Number of pieces. */
  readonly size: number;
  readonly #bytes: Uint8Array;
  #count = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`invalid bitfield size ${size}`);
    this.size = size;
    this.#bytes = new Uint8Array((size + 7) >>> 3);
  }

  /** Bytes a bitfield of `size` pieces takes on the wire. */
  static byteLength(size: number): number {
    return (size + 7) >>> 3;
  }

  /**
   * Validates a bitfield received for a torrent of `size` pieces. Shorter than ceil(size / 8)
   * is always refused. Strict mode also refuses extra bytes and set spare bits (theory.org's
   * rule; Transmission); lenient mode (default, as libtorrent) ignores them and reports them.
   * Throws ProtocolError.
   */
  static fromWire(
    bits: Uint8Array,
    size: number,
    options: { strict?: boolean } = {},
  ): { bitfield: Bitfield; issues: BitfieldIssues } {
    const expected = Bitfield.byteLength(size);
    if (bits.length < expected) {
      throw new ProtocolError(
        `bitfield of ${bits.length} bytes for ${size} pieces (need ${expected})`,
      );
    }
    const oversize = bits.length > expected;
    let spareBits = false;
    if (oversize) {
      for (let i = expected; i < bits.length; i++) if (bits[i] !== 0) spareBits = true;
    }
    const spare = expected * 8 - size;
    const lastMask = spare === 0 ? 0 : (1 << spare) - 1;
    if (expected > 0 && (bits[expected - 1]! & lastMask) !== 0) spareBits = true;
    if (options.strict && (oversize || spareBits)) {
      throw new ProtocolError(
        oversize
          ? `bitfield of ${bits.length} bytes for ${size} pieces`
          : 'bitfield has spare bits set',
      );
    }
    const bitfield = new Bitfield(size);
    bitfield.#bytes.set(bits.subarray(0, expected));
    if (expected > 0) bitfield.#bytes[expected - 1]! &= ~lastMask & 0xff;
    bitfield.#count = popcount(bitfield.#bytes);
    return { bitfield, issues: { oversize, spareBits } };
  }

  /** A bitfield with every piece set. */
  static full(size: number): Bitfield {
    const bitfield = new Bitfield(size);
    bitfield.setAll();
    return bitfield;
  }

  get count(): number {
    return this.#count;
  }

  /** True when every piece is set (a torrent of 0 pieces is complete). */
  get complete(): boolean {
    return this.#count === this.size;
  }

  has(index: number): boolean {
    if (index < 0 || index >= this.size) return false;
    return (this.#bytes[index >>> 3]! & (0x80 >>> (index & 7))) !== 0;
  }

  /** Sets piece `index`; returns true if it was not set before. */
  set(index: number): boolean {
    if (index < 0 || index >= this.size || !Number.isInteger(index)) {
      throw new RangeError(`piece ${index} out of range 0..${this.size - 1}`);
    }
    const mask = 0x80 >>> (index & 7);
    const byte = this.#bytes[index >>> 3]!;
    if ((byte & mask) !== 0) return false;
    this.#bytes[index >>> 3] = byte | mask;
    this.#count++;
    return true;
  }

  /** Clears piece `index`; returns true if it was set. */
  clear(index: number): boolean {
    if (index < 0 || index >= this.size) return false;
    const mask = 0x80 >>> (index & 7);
    const byte = this.#bytes[index >>> 3]!;
    if ((byte & mask) === 0) return false;
    this.#bytes[index >>> 3] = byte & ~mask;
    this.#count--;
    return true;
  }

  setAll(): void {
    this.#bytes.fill(0xff);
    const spare = this.#bytes.length * 8 - this.size;
    if (spare > 0) this.#bytes[this.#bytes.length - 1] = (0xff << spare) & 0xff;
    this.#count = this.size;
  }

  /** The wire form (a copy): exactly ceil(size / 8) bytes, spare bits zero. */
  toBytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** Indices of the set pieces, ascending. */
  *indices(): IterableIterator<number> {
    for (let i = 0; i < this.size; i++) if (this.has(i)) yield i;
  }

  clone(): Bitfield {
    const copy = new Bitfield(this.size);
    copy.#bytes.set(this.#bytes);
    copy.#count = this.#count;
    return copy;
  }
}

function popcount(bytes: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < bytes.length; i++) {
    let b = bytes[i]!;
    b = b - ((b >>> 1) & 0x55);
    b = (b & 0x33) + ((b >>> 2) & 0x33);
    count += (b + (b >>> 4)) & 0x0f;
  }
  return count;
}
