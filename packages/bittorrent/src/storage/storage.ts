/**
 * Where a torrent's bytes live. The session reads and writes by piece and offset; a storage
 * maps that onto its files (a piece may span several). Implementations: memory (tests, the
 * simulator) and the filesystem (`@p2pkit/bittorrent/node`).
 *
 * The session only writes pieces whose SHA-1 it has verified, and only reads what it has, so a
 * storage never has to judge data.
 */
import type { Metainfo, TorrentFile } from '../metainfo/types.js';

/** What a storage needs to know about a torrent: its size, pieces and files. */
export type StorageLayout = Pick<Metainfo, 'name' | 'pieceLength' | 'pieceCount' | 'length'> & {
  readonly files: readonly Pick<TorrentFile, 'path' | 'length' | 'offset' | 'padding'>[];
};

export interface Storage {
  /**
   * True when the storage keeps the buffers passed to write() (memory storage); false lets the
   * session reuse a piece buffer once its write has completed.
   */
  readonly retainsWrites: boolean;
  /**
   * Reads `length` bytes at `offset` within piece `index`. Unwritten ranges read as zeros.
   * `target` (at least `length` bytes), when given, may be filled and returned instead of a new
   * buffer; a storage is free to ignore it.
   */
  read(index: number, offset: number, length: number, target?: Uint8Array): Promise<Uint8Array>;
  /** Writes `data` at `offset` within piece `index`. The storage may keep a reference to `data`. */
  write(index: number, offset: number, data: Uint8Array): Promise<void>;
  /**
   * False when piece `index` certainly holds no data yet (its files were missing or too short
   * when the storage opened), so resume verification can skip reading it.
   */
  mayHave(index: number): boolean;
  /** Makes sure every file exists at its full length (sparse where unwritten); call on completion. */
  finish(): Promise<void>;
  /** Releases files and buffers. */
  close(): Promise<void>;
}

/** Opens the storage of one torrent. */
export type StorageFactory = (layout: StorageLayout) => Storage | Promise<Storage>;

/** A run of bytes inside one file. */
export interface Segment {
  readonly file: number;
  /** Offset within the file. */
  readonly fileOffset: number;
  readonly length: number;
  /** Offset within the caller's buffer. */
  readonly dataOffset: number;
}

/** Length of piece `index` (the last one may be shorter). */
export function pieceLengthOf(layout: StorageLayout, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= layout.pieceCount) {
    throw new RangeError(`piece ${index} out of range 0..${layout.pieceCount - 1}`);
  }
  return index === layout.pieceCount - 1
    ? layout.length - index * layout.pieceLength
    : layout.pieceLength;
}

/** Checks that [offset, offset + length) lies inside piece `index`; returns its absolute start. */
export function absoluteOffset(
  layout: StorageLayout,
  index: number,
  offset: number,
  length: number,
): number {
  const size = pieceLengthOf(layout, index);
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > size
  ) {
    throw new RangeError(`range ${offset}+${length} outside piece ${index} of ${size} bytes`);
  }
  return index * layout.pieceLength + offset;
}

/** The file segments covering absolute bytes [start, start + length), in order. Zero-length files are skipped. */
export function segmentsOf(layout: StorageLayout, start: number, length: number): Segment[] {
  const files = layout.files;
  // Binary search: the last file whose offset <= start.
  let lo = 0;
  let hi = files.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (files[mid]!.offset <= start) lo = mid;
    else hi = mid - 1;
  }
  const out: Segment[] = [];
  let position = start;
  const end = start + length;
  for (let i = lo; i < files.length && position < end; i++) {
    const file = files[i]!;
    const fileEnd = file.offset + file.length;
    if (fileEnd <= position) continue;
    const take = Math.min(end, fileEnd) - position;
    out.push({
      file: i,
      fileOffset: position - file.offset,
      length: take,
      dataOffset: position - start,
    });
    position += take;
  }
  return out;
}
