import { concatBytes } from '@p2pkit/core';
import { viewOf } from './copy-bytes.js';

/**
 * Where search and browse replies are written: slices of a shared pool, handed to the socket as
 * views, so that a reply costs neither a buffer of its own nor a copy (the old way, a scratch
 * buffer then `slice`, was a tenth of the server's time per search). A full pool is left to the
 * views still queued on sockets (freed once they are written) and a new one started.
 */
export class ReplyPool {
  private pool: Uint8Array;
  /** A view of the current pool (for `copyBytes`). */
  view: DataView;
  private used = 0;
  private from = 0;

  constructor(private readonly size = 256 * 1024) {
    this.pool = new Uint8Array(size);
    this.view = viewOf(this.pool);
  }

  /** A buffer with `n` bytes of room from `start`, for the next reply. */
  begin(n: number): Uint8Array {
    if (this.used + n > this.pool.length) {
      this.pool = new Uint8Array(Math.max(n, this.size));
      this.view = viewOf(this.pool);
      this.used = 0;
    }
    this.from = this.used;
    return this.pool;
  }

  /** Where the reply `begin` made room for starts. */
  get start(): number {
    return this.from;
  }

  /** The reply written from `start` to `end`, as a view; the pool moves past it. */
  end(end: number): Uint8Array {
    const view = this.pool.subarray(this.from, end);
    this.used = end;
    return view;
  }
}

/**
 * One buffer of `chunks`: a view over them when each starts where the one before ended in the
 * same memory (replies written one after another into a ReplyPool), else a copy.
 */
export function joinChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const first = chunks[0]!;
  let total = first.length;
  let adjacent = true;
  for (let i = 1; i < chunks.length; i++) {
    const c = chunks[i]!;
    const prev = chunks[i - 1]!;
    if (c.buffer !== first.buffer || c.byteOffset !== prev.byteOffset + prev.length) {
      adjacent = false;
    }
    total += c.length;
  }
  return adjacent
    ? new Uint8Array(first.buffer, first.byteOffset, total)
    : concatBytes(chunks, total);
}
