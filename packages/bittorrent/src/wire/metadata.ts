/**
 * BEP 9 ut_metadata: moving the info dictionary between peers so a magnet link downloads. The
 * metadata travels in 16 KiB pieces (the last one shorter); each message is a bencoded dict,
 * with the raw bytes appended after it for `data`. The assembled bytes are only trusted once
 * their SHA-1 equals the info-hash.
 */
import { DecodeError } from '@p2pkit/core';
import { asDict, asInt, bdecodePrefix, bencode } from '../bencode/index.js';

export const METADATA_PIECE_SIZE = 16_384;
/** Largest metadata we accept (libtorrent uses a few MiB too): 8 MiB = 400k pieces' hashes. */
export const MAX_METADATA_SIZE = 8 << 20;

export type MetadataMessage =
  | { readonly type: 'request'; readonly piece: number }
  | {
      readonly type: 'data';
      readonly piece: number;
      readonly totalSize: number;
      readonly data: Uint8Array;
    }
  | { readonly type: 'reject'; readonly piece: number }
  /** BEP 9: unknown msg_type values must be ignored. */
  | { readonly type: 'unknown'; readonly msgType: number; readonly piece: number };

export function encodeMetadataMessage(message: MetadataMessage): Uint8Array {
  switch (message.type) {
    case 'request':
      return bencode({ msg_type: 0, piece: message.piece });
    case 'reject':
      return bencode({ msg_type: 2, piece: message.piece });
    case 'data': {
      const head = bencode({ msg_type: 1, piece: message.piece, total_size: message.totalSize });
      const out = new Uint8Array(head.length + message.data.length);
      out.set(head, 0);
      out.set(message.data, head.length);
      return out;
    }
    case 'unknown':
      return bencode({ msg_type: message.msgType, piece: message.piece });
  }
}

/** Decodes a ut_metadata payload. `data` is a view into `payload`. Throws DecodeError. */
export function decodeMetadataMessage(payload: Uint8Array): MetadataMessage {
  const { value, end } = bdecodePrefix(payload, { strict: false, maxDepth: 4, maxItems: 100 });
  const dict = asDict(value);
  if (!dict) throw new DecodeError('ut_metadata message is not a dictionary');
  const msgType = asInt(dict.get('msg_type'));
  const piece = asInt(dict.get('piece'));
  if (msgType === undefined || piece === undefined || piece < 0) {
    throw new DecodeError('ut_metadata message without msg_type or piece');
  }
  switch (msgType) {
    case 0:
      return { type: 'request', piece };
    case 2:
      return { type: 'reject', piece };
    case 1: {
      const totalSize = asInt(dict.get('total_size'));
      if (totalSize === undefined || totalSize <= 0)
        throw new DecodeError('ut_metadata data without total_size');
      return { type: 'data', piece, totalSize, data: payload.subarray(end) };
    }
    default:
      return { type: 'unknown', msgType, piece };
  }
}

/** Number of metadata pieces for `size` bytes. */
export function metadataPieceCount(size: number): number {
  return Math.ceil(size / METADATA_PIECE_SIZE);
}

/** The bytes of metadata piece `piece` (for answering requests). */
export function metadataPiece(metadata: Uint8Array, piece: number): Uint8Array | undefined {
  const start = piece * METADATA_PIECE_SIZE;
  if (piece < 0 || start >= metadata.length) return undefined;
  return metadata.subarray(start, start + METADATA_PIECE_SIZE);
}

/**
 * Collects metadata pieces from peers. Every piece must have its exact size; the whole must
 * hash to the info-hash, or everything is discarded (some peer lied) and collection restarts.
 */
export class MetadataAssembler {
  readonly size: number;
  readonly #buffer: Uint8Array;
  readonly #have: Uint8Array;
  #count = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size <= 0 || size > MAX_METADATA_SIZE) {
      throw new DecodeError(`metadata size ${size} out of range`);
    }
    this.size = size;
    this.#buffer = new Uint8Array(size);
    this.#have = new Uint8Array(metadataPieceCount(size));
  }

  get pieceCount(): number {
    return this.#have.length;
  }

  get complete(): boolean {
    return this.#count === this.#have.length;
  }

  /** Pieces still missing, ascending. */
  missing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.#have.length; i++) if (!this.#have[i]) out.push(i);
    return out;
  }

  /** Stores a received piece; returns false for a wrong size or index (ignore that peer). */
  add(piece: number, data: Uint8Array): boolean {
    if (piece < 0 || piece >= this.#have.length) return false;
    const start = piece * METADATA_PIECE_SIZE;
    const expected = Math.min(METADATA_PIECE_SIZE, this.size - start);
    if (data.length !== expected) return false;
    if (!this.#have[piece]) {
      this.#buffer.set(data, start);
      this.#have[piece] = 1;
      this.#count++;
    }
    return true;
  }

  /**
   * Once complete: the metadata if its SHA-1 is `infoHash`, else undefined (and the assembler
   * starts over).
   */
  verify(infoHash: Uint8Array, sha1: (data: Uint8Array) => Uint8Array): Uint8Array | undefined {
    if (!this.complete) return undefined;
    const digest = sha1(this.#buffer);
    let same = digest.length === infoHash.length;
    for (let i = 0; same && i < digest.length; i++) same = digest[i] === infoHash[i];
    if (same) return this.#buffer;
    this.#have.fill(0);
    this.#count = 0;
    return undefined;
  }
}
