/**
 * Storage for simulated swarms. A thousand peers each keeping its own copy of the file would
 * need a thousand copies in one process; every peer here owns a bitmap of written pieces and
 * reads from the one canonical copy of the content. Each write is compared byte for byte
 * against that copy (on top of the session's SHA-1 check), so a wrong byte anywhere on the
 * simulated wire would still be caught and counted.
 */
import { equalBytes } from '@p2pkit/core';
import {
  absoluteOffset,
  pieceLengthOf,
  type Storage,
  type StorageLayout,
} from '../storage/storage.js';

/** Counters shared by every storage of one swarm. */
export interface ContentCheck {
  /** Pieces written whose bytes equal the content. */
  verified: number;
  /** Pieces written whose bytes differ (never expected: the session verifies SHA-1 first). */
  corrupt: number;
}

export interface SharedContentStorage extends Storage {
  /** Pieces written so far (seeds start with all). */
  readonly piecesWritten: number;
}

/** A peer's storage over the shared `content`; `complete` for seeds. */
export function createSharedContentStorage(
  layout: StorageLayout,
  content: Uint8Array,
  complete: boolean,
  check: ContentCheck,
): SharedContentStorage {
  if (content.length !== layout.length)
    throw new RangeError(`content of ${content.length} bytes for a torrent of ${layout.length}`);
  const written = new Uint8Array(layout.pieceCount).fill(complete ? 1 : 0);
  let count = complete ? layout.pieceCount : 0;
  let closed = false;
  const open = () => {
    if (closed) throw new Error('storage closed');
  };
  return {
    // We keep no reference to written buffers: the session may reuse them.
    retainsWrites: false,
    get piecesWritten() {
      return count;
    },
    async read(index, offset, length) {
      open();
      const start = absoluteOffset(layout, index, offset, length);
      if (!written[index]) return new Uint8Array(length);
      // A view, not a copy: the session only reads what it serves and never writes into it.
      return content.subarray(start, start + length);
    },
    async write(index, offset, data) {
      open();
      const start = absoluteOffset(layout, index, offset, data.length);
      if (equalBytes(data, content.subarray(start, start + data.length))) check.verified++;
      else {
        check.corrupt++;
        return;
      }
      // The session writes whole verified pieces; a partial write marks nothing.
      if (offset === 0 && data.length === pieceLengthOf(layout, index) && !written[index]) {
        written[index] = 1;
        count++;
      }
    },
    mayHave(index) {
      return written[index] === 1;
    },
    async finish() {},
    async close() {
      closed = true;
    },
  };
}
