/**
 * Content hashes. Files are named on the network by their UUHash, FastTrack's 20-byte content
 * hash as reverse-engineered by giFT-FastTrack (PROTOCOL.md, "UUHash"); and verified by a
 * piece root (SHA-1 of the SHA-1s of every 256 KiB piece), because the UUHash samples a few
 * hundred KB of a file and leaves the rest unchecked: two files that differ outside the samples
 * share a UUHash, which is how corrupt copies spread on Kazaa.
 *
 * `ContentHasher` computes both in one pass over the bytes, in order, as they are read.
 */

import { md5 } from '@noble/hashes/legacy.js';
import { DecodeError, type Hasher } from '@p2pkit/core';

/** Bytes hashed by MD5 at the start of the file, and the size of each sampled chunk. */
export const UUHASH_CHUNK = 307_200;
/** First sampled offset; the next ones double (2 MiB, 4 MiB, ...). */
const FIRST_SAMPLE = 1024 * 1024;
/** Length of a UUHash and of a piece root, in bytes. */
export const HASH_LENGTH = 20;
/** Pieces the downloader verifies one by one (and asks of different sources). */
export const PIECE_SIZE = 256 * 1024;

/** The reflected CRC-32 table (polynomial 0x04C11DB7, reversed 0xEDB88320). */
const CRC32 = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-16 table of polynomial 0x1021, MSB first (as XMODEM). */
const CRC16 = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    table[n] = c;
  }
  return table;
})();

/** Updates a CRC-32 register (no final XOR: the UUHash keeps the raw register). */
function crcUpdate(register: number, data: Uint8Array): number {
  let c = register;
  for (let i = 0; i < data.length; i++) c = CRC32[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/**
 * The byte ranges [start, end) whose CRC-32 makes the UUHash's last four bytes, for a file of
 * `size` bytes: 300 KB at 1 MiB, 2 MiB, 4 MiB, ... while a whole chunk and another chunk's
 * worth fit before the end, then the last 300 KB (or what is left after the first chunk).
 */
export function uuhashSamples(size: number): [number, number][] {
  if (size <= UUHASH_CHUNK) return [];
  const out: [number, number][] = [];
  let last = UUHASH_CHUNK;
  for (let offset = FIRST_SAMPLE; offset + 2 * UUHASH_CHUNK <= size; offset *= 2) {
    out.push([offset, offset + UUHASH_CHUNK]);
    last = offset + UUHASH_CHUNK;
  }
  const tail = Math.min(size - last, UUHASH_CHUNK);
  out.push([size - tail, size]);
  return out;
}

/** What a shared file is known by: its UUHash, its piece hashes and their root. */
export interface ContentHashes {
  /** The UUHash (20 bytes): the file's name on the network (`/.hash=<40 hex>`). */
  readonly uuhash: Uint8Array;
  /** SHA-1 of each 256 KiB piece (the last one shorter), concatenated: 20 bytes per piece. */
  readonly pieces: Uint8Array;
  /** SHA-1 of `pieces`: what a downloader checks the piece list against. */
  readonly root: Uint8Array;
}

/** Number of pieces of a file of `size` bytes (an empty file has one empty piece). */
export function pieceCount(size: number): number {
  return Math.max(1, Math.ceil(size / PIECE_SIZE));
}

/**
 * Hashes a file of known size from its bytes in order, in chunks of any length. Throws when
 * more or fewer than `size` bytes were given.
 */
export class ContentHasher {
  readonly size: number;
  readonly #hash: Hasher;
  readonly #md5 = md5.create();
  readonly #samples: [number, number][];
  #sample = 0;
  #crc = 0xffffffff;
  #position = 0;
  readonly #pieces: Uint8Array;
  readonly #piece: Uint8Array;
  #pieceFill = 0;
  #pieceIndex = 0;

  constructor(size: number, hash: Hasher) {
    if (!(Number.isSafeInteger(size) && size >= 0)) throw new RangeError(`file size ${size}`);
    this.size = size;
    this.#hash = hash;
    this.#samples = uuhashSamples(size);
    this.#pieces = new Uint8Array(pieceCount(size) * HASH_LENGTH);
    this.#piece = new Uint8Array(Math.min(PIECE_SIZE, Math.max(size, 1)));
  }

  update(chunk: Uint8Array): this {
    const start = this.#position;
    const end = start + chunk.length;
    if (end > this.size) throw new RangeError(`more than ${this.size} bytes`);
    if (start < UUHASH_CHUNK) this.#md5.update(chunk.subarray(0, UUHASH_CHUNK - start));
    while (this.#sample < this.#samples.length) {
      const [a, b] = this.#samples[this.#sample]!;
      if (a >= end) break;
      const from = Math.max(a, start);
      const to = Math.min(b, end);
      if (to > from) this.#crc = crcUpdate(this.#crc, chunk.subarray(from - start, to - start));
      if (b > end) break;
      this.#sample++;
    }
    let p = 0;
    while (p < chunk.length) {
      const n = Math.min(chunk.length - p, this.#piece.length - this.#pieceFill);
      this.#piece.set(chunk.subarray(p, p + n), this.#pieceFill);
      this.#pieceFill += n;
      p += n;
      if (this.#pieceFill === this.#piece.length) this.#flushPiece();
    }
    this.#position = end;
    return this;
  }

  digest(): ContentHashes {
    if (this.#position !== this.size) {
      throw new RangeError(`got ${this.#position} of ${this.size} bytes`);
    }
    if (this.#pieceFill > 0 || this.#pieceIndex === 0) this.#flushPiece();
    const uuhash = new Uint8Array(HASH_LENGTH);
    uuhash.set(this.#md5.digest(), 0);
    const small = (this.#crc ^ this.size) >>> 0;
    uuhash[16] = small & 0xff;
    uuhash[17] = (small >>> 8) & 0xff;
    uuhash[18] = (small >>> 16) & 0xff;
    uuhash[19] = small >>> 24;
    const pieces = this.#pieces;
    return { uuhash, pieces, root: this.#hash.sha1(pieces) };
  }

  #flushPiece(): void {
    const digest = this.#hash.sha1(this.#piece.subarray(0, this.#pieceFill));
    this.#pieces.set(digest, this.#pieceIndex * HASH_LENGTH);
    this.#pieceIndex++;
    this.#pieceFill = 0;
  }
}

/** Content hashes of bytes held in memory. */
export function hashContent(data: Uint8Array, hash: Hasher): ContentHashes {
  return new ContentHasher(data.length, hash).update(data).digest();
}

/**
 * The 14-bit checksum Kazaa put in its older download URLs (`/<checksum>/<name>`): a CRC-16
 * (polynomial 0x1021, initial 0) of the UUHash, masked with 0x3FFF.
 */
export function uuhashChecksum(uuhash: Uint8Array): number {
  let v = 0;
  for (let i = 0; i < uuhash.length; i++) v = (CRC16[(v >>> 8) ^ uuhash[i]!]! ^ (v << 8)) & 0xffff;
  return v & 0x3fff;
}

const HEX = '0123456789abcdef';

/** 40 lower-case hex digits. */
export function hashToHex(hash: Uint8Array): string {
  let out = '';
  for (let i = 0; i < hash.length; i++) out += HEX[hash[i]! >>> 4]! + HEX[hash[i]! & 15]!;
  return out;
}

/** `length` bytes from 2 x length hex digits (either case); DecodeError for anything else. */
export function bytesFromHex(text: string, length: number): Uint8Array {
  if (text.length !== 2 * length || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new DecodeError(`not ${2 * length} hex digits: ${text.slice(0, 50)}`);
  }
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The 20 bytes of 40 hex digits (either case); DecodeError for anything else. */
export function hashFromHex(text: string): Uint8Array {
  return bytesFromHex(text, HASH_LENGTH);
}
