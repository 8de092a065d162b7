/**
 * Storage in memory, piece by piece, allocated as pieces are written: for tests and for the
 * simulator. `data` pre-fills it (a seeder's content, the files concatenated).
 */
import {
  absoluteOffset,
  pieceLengthOf,
  type Storage,
  type StorageFactory,
  type StorageLayout,
} from './storage.js';

export interface MemoryStorage extends Storage {
  /** The whole torrent's bytes (unwritten ranges as zeros). */
  contents(): Uint8Array;
}

export interface MemoryStorageOptions {
  /** Initial content: the torrent's files concatenated (length must match). */
  readonly data?: Uint8Array;
}

export function createMemoryStorage(
  layout: StorageLayout,
  options: MemoryStorageOptions = {},
): MemoryStorage {
  const pieces: (Uint8Array | undefined)[] = new Array(layout.pieceCount);
  if (options.data) {
    if (options.data.length !== layout.length) {
      throw new RangeError(
        `data of ${options.data.length} bytes for a torrent of ${layout.length}`,
      );
    }
    for (let i = 0; i < layout.pieceCount; i++) {
      const start = i * layout.pieceLength;
      pieces[i] = options.data.subarray(start, start + pieceLengthOf(layout, i));
    }
  }
  let closed = false;
  const check = () => {
    if (closed) throw new Error('storage closed');
  };
  return {
    retainsWrites: true,
    async read(index, offset, length) {
      check();
      absoluteOffset(layout, index, offset, length);
      const piece = pieces[index];
      return piece ? piece.slice(offset, offset + length) : new Uint8Array(length);
    },
    async write(index, offset, data) {
      check();
      absoluteOffset(layout, index, offset, data.length);
      const size = pieceLengthOf(layout, index);
      if (offset === 0 && data.length === size) {
        pieces[index] = data;
        return;
      }
      let piece = pieces[index];
      if (!piece) pieces[index] = piece = new Uint8Array(size);
      piece.set(data, offset);
    },
    mayHave(index) {
      return pieces[index] !== undefined;
    },
    async finish() {},
    async close() {
      closed = true;
    },
    contents() {
      const out = new Uint8Array(layout.length);
      for (let i = 0; i < layout.pieceCount; i++) {
        const piece = pieces[i];
        if (piece) out.set(piece, i * layout.pieceLength);
      }
      return out;
    },
  };
}

/** A StorageFactory for createMemoryStorage (optionally pre-filled per torrent name). */
export function memoryStorage(
  options: { data?: (layout: StorageLayout) => Uint8Array | undefined } = {},
): StorageFactory {
  return (layout) => createMemoryStorage(layout, { data: options.data?.(layout) });
}
