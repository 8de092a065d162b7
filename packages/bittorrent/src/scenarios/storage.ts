/**
 * Storage for simulated swarms. A thousand peers each keeping its own copy of the file would
 * need a thousand copies in one process; every peer here owns a bitmap of written pieces and
 * reads from the one canonical copy of the content. Each write is compared byte for byte
 * against that copy (on top of the session's SHA-1 check), so a wrong byte anywhere on the
 * simulated wire would still be caught and counted.
 */
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

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // Four bytes at a time where alignment allows (pieces are large): the check stays cheap.
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.length % 4 === 0) {
    const x = new Int32Array(a.buffer, a.byteOffset, a.length / 4);
    const y = new Int32Array(b.buffer, b.byteOffset, b.length / 4);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
      if (equal(data, content.subarray(start, start + data.length))) check.verified++;
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
