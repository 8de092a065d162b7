/**
 * What a torrent has and what it is putting together: pieces found in storage at start
 * (resume, SHA-1 checked), pieces being assembled block by block (and who sent each block),
 * their SHA-1 check, bad copies kept to find out who lied, and writes to storage, whose
 * completion sets the piece in the `have` bitfield. Piece-sized buffers are pooled. The
 * Downloader decides what to request and what a piece's arrival means for the peers.
 */
import { equalBytes, type Runtime } from '@p2pkit/core';
import { pieceHash, pieceSize } from '../metainfo/parse.js';
import type { Metainfo } from '../metainfo/types.js';
import type { PiecePicker } from '../picker/picker.js';
import type { Storage } from '../storage/storage.js';
import { Bitfield } from '../wire/bitfield.js';
import type { TorrentSettings } from './settings.js';

/** A piece being assembled: its bytes and who sent each block. */
export interface PieceBuffer {
  readonly data: Uint8Array;
  readonly from: Int32Array;
}

/** Bad copies of pieces kept to find out, once the piece verifies, who sent the bad blocks. */
const MAX_FAILED_COPIES = 8;

export interface PieceStoreOwner {
  stopped(): boolean;
  /** A write failed: the torrent cannot go on. */
  fatal(error: unknown): void;
}

export class PieceStore {
  readonly #runtime: Runtime;
  readonly #settings: TorrentSettings;
  readonly #owner: PieceStoreOwner;
  #meta: Metainfo | undefined;
  #storage: Storage | undefined;
  #have: Bitfield | undefined;
  #haveBytes = 0;
  readonly #buffers = new Map<number, PieceBuffer>();
  readonly #failed = new Map<number, PieceBuffer>();
  /** Piece-sized buffers whose writes completed, for the next pieces (less garbage). */
  readonly #pool: Uint8Array[] = [];
  #writingBytes = 0;
  readonly #writes = new Set<Promise<void>>();

  constructor(runtime: Runtime, settings: TorrentSettings, owner: PieceStoreOwner) {
    this.#runtime = runtime;
    this.#settings = settings;
    this.#owner = owner;
  }

  /** What we have (undefined until the storage is open and checked). */
  get have(): Bitfield | undefined {
    return this.#have;
  }

  /** Verified bytes on disk. */
  get haveBytes(): number {
    return this.#haveBytes;
  }

  get complete(): boolean {
    return this.#have?.complete ?? false;
  }

  /** Writes still in flight (stop() waits for them). */
  get writes(): Iterable<Promise<void>> {
    return this.#writes;
  }

  /** Bytes held: pieces being assembled and pieces being written. */
  bufferedBytes(): number {
    return this.#buffers.size * (this.#meta?.pieceLength ?? 0) + this.#writingBytes;
  }

  /**
   * Checks what `storage` already holds (resume; `picker` learns each piece found). Returns the
   * bitfield, or undefined when the torrent stopped meanwhile.
   */
  async open(meta: Metainfo, storage: Storage, picker: PiecePicker): Promise<Bitfield | undefined> {
    this.#meta = meta;
    this.#storage = storage;
    const have = new Bitfield(meta.pieceCount);
    if (this.#settings.verifyOnStart) await this.#verifyExisting(meta, storage, picker, have);
    if (this.#owner.stopped()) return undefined;
    this.#have = have;
    return have;
  }

  /** Re-verifies pieces whose files existed when storage opened (resume), four reads at a time. */
  async #verifyExisting(
    meta: Metainfo,
    storage: Storage,
    picker: PiecePicker,
    have: Bitfield,
  ): Promise<void> {
    let next = 0;
    const worker = async () => {
      // One buffer per worker, reused for every piece it checks.
      const scratch = new Uint8Array(meta.pieceLength);
      while (next < meta.pieceCount && !this.#owner.stopped()) {
        const index = next++;
        if (!storage.mayHave(index)) continue;
        const size = pieceSize(meta, index);
        const data = await storage.read(index, 0, size, scratch);
        if (equalBytes(this.#runtime.hash.sha1(data), pieceHash(meta, index))) {
          picker.setHave(index);
          have.set(index);
          this.#haveBytes += size;
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }

  /** Copies a block into its piece's buffer (started on its first block) and notes its sender. */
  addBlock(index: number, begin: number, block: Uint8Array, from: number, picker: PiecePicker) {
    const meta = this.#meta!;
    let buffer = this.#buffers.get(index);
    if (!buffer) {
      const size = pieceSize(meta, index);
      const data = (size === meta.pieceLength && this.#pool.pop()) || new Uint8Array(size);
      buffer = { data, from: new Int32Array(picker.blockCountOf(index)) };
      this.#buffers.set(index, buffer);
    }
    buffer.data.set(block, begin);
    buffer.from[begin / picker.blockSize] = from;
  }

  /** Takes a whole piece out of assembly with the result of its SHA-1 check. */
  take(index: number): { buffer: PieceBuffer; ok: boolean } | undefined {
    const buffer = this.#buffers.get(index);
    if (!buffer) return undefined;
    this.#buffers.delete(index);
    const ok = equalBytes(this.#runtime.hash.sha1(buffer.data), pieceHash(this.#meta!, index));
    return { buffer, ok };
  }

  /** Keeps a bad copy sent by several peers: once the piece verifies, it tells who lied. */
  keepBadCopy(index: number, buffer: PieceBuffer): void {
    if (this.#failed.size < MAX_FAILED_COPIES) this.#failed.set(index, buffer);
  }

  /** Senders of the blocks of a kept bad copy of `index` that differ from the verified one. */
  liars(index: number, good: PieceBuffer, blockSize: number): Set<number> {
    const found = new Set<number>();
    const bad = this.#failed.get(index);
    if (!bad) return found;
    this.#failed.delete(index);
    for (let b = 0; b < bad.from.length; b++) {
      const start = b * blockSize;
      const end = Math.min(start + blockSize, good.data.length);
      for (let i = start; i < end; i++) {
        if (bad.data[i] !== good.data[i]) {
          found.add(bad.from[b]!);
          break;
        }
      }
    }
    return found;
  }

  /**
   * Writes a verified piece. Once written it is in `have` and `written(index)` is called (not if
   * the torrent stopped meanwhile, or it was there already); a failed write is fatal.
   */
  write(index: number, buffer: PieceBuffer, written: (index: number) => void): void {
    const data = buffer.data;
    const size = data.length;
    this.#writingBytes += size;
    const write = this.#storage!.write(index, 0, data).then(
      () => {
        this.#writes.delete(write);
        this.#writingBytes -= size;
        if (this.#owner.stopped()) return;
        if (!this.#have!.set(index)) return;
        this.#haveBytes += size;
        this.#recycle(data);
        written(index);
      },
      (error: unknown) => {
        this.#writes.delete(write);
        this.#writingBytes -= size;
        this.#owner.fatal(error);
      },
    );
    this.#writes.add(write);
  }

  /** Uploads read a piece back from storage (the OS cache) when asked: its buffer can be reused. */
  #recycle(data: Uint8Array): void {
    const meta = this.#meta!;
    // A few spare buffers are enough to avoid garbage; more would only hold memory.
    const poolMax = Math.min(16, Math.ceil(this.#settings.maxBufferedBytes / meta.pieceLength));
    if (
      !this.#storage!.retainsWrites &&
      data.length === meta.pieceLength &&
      this.#pool.length < poolMax
    ) {
      this.#pool.push(data);
    }
  }

  /** Drops every buffer (the torrent stopped). */
  clear(): void {
    this.#buffers.clear();
    this.#failed.clear();
    this.#pool.length = 0;
  }
}
