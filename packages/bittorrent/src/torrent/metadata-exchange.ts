/**
 * Fetching a magnet link's metadata (BEP 9): ask peers that announced ut_metadata and a
 * metadata_size for the 16 KiB pieces, one request per piece at a time, re-asking elsewhere
 * after a reject or a timeout, and keep only bytes whose SHA-1 is the info-hash.
 */
import { MAX_METADATA_SIZE, MetadataAssembler } from '../wire/metadata.js';

export interface MetadataSource {
  readonly id: number;
  /** Sends a ut_metadata request for `piece`; false if the peer cannot take it. */
  request(piece: number): boolean;
}

export class MetadataExchange {
  readonly #infoHash: Uint8Array;
  readonly #sha1: (data: Uint8Array) => Uint8Array;
  readonly #timeoutMs: number;
  #assembler: MetadataAssembler | undefined;
  /** piece → who was asked and when. */
  readonly #pending = new Map<number, { peer: number; at: number }>();
  /** Peers that rejected or failed us: not asked again. */
  readonly #useless = new Set<number>();
  readonly #sources = new Map<number, MetadataSource>();
  #done = false;

  constructor(infoHash: Uint8Array, sha1: (data: Uint8Array) => Uint8Array, timeoutMs = 10_000) {
    this.#infoHash = infoHash;
    this.#sha1 = sha1;
    this.#timeoutMs = timeoutMs;
  }

  get size(): number | undefined {
    return this.#assembler?.size;
  }

  /** A peer announced ut_metadata with `metadataSize`. */
  addSource(source: MetadataSource, metadataSize: number | undefined, now: number): void {
    if (
      this.#done ||
      metadataSize === undefined ||
      metadataSize <= 0 ||
      metadataSize > MAX_METADATA_SIZE
    )
      return;
    if (!this.#assembler) this.#assembler = new MetadataAssembler(metadataSize);
    // A peer claiming another size is wrong about this torrent (the hash decides anyway).
    if (metadataSize !== this.#assembler.size) return;
    this.#sources.set(source.id, source);
    this.#schedule(now);
  }

  removeSource(id: number, now: number): void {
    this.#sources.delete(id);
    for (const [piece, p] of this.#pending) if (p.peer === id) this.#pending.delete(piece);
    this.#schedule(now);
  }

  /** A data message; returns the verified metadata once complete. */
  onData(
    id: number,
    piece: number,
    totalSize: number,
    data: Uint8Array,
    now: number,
  ): Uint8Array | undefined {
    const assembler = this.#assembler;
    if (this.#done || !assembler) return undefined;
    if (this.#pending.get(piece)?.peer === id) this.#pending.delete(piece);
    if (totalSize !== assembler.size || !assembler.add(piece, data)) {
      this.#useless.add(id);
      this.#schedule(now);
      return undefined;
    }
    if (assembler.complete) {
      const metadata = assembler.verify(this.#infoHash, this.#sha1);
      if (metadata) {
        this.#done = true;
        this.#pending.clear();
        return metadata.slice();
      }
      // Somebody lied; we cannot tell who: everyone gets another chance, pieces start over.
      this.#useless.clear();
    }
    this.#schedule(now);
    return undefined;
  }

  onReject(id: number, piece: number, now: number): void {
    if (this.#pending.get(piece)?.peer === id) this.#pending.delete(piece);
    this.#useless.add(id);
    this.#schedule(now);
  }

  /** Re-asks pieces whose request timed out. Call from the periodic tick. */
  tick(now: number): void {
    for (const [piece, p] of this.#pending) {
      if (now - p.at >= this.#timeoutMs) {
        this.#pending.delete(piece);
        this.#useless.add(p.peer);
      }
    }
    this.#schedule(now);
  }

  #schedule(now: number): void {
    const assembler = this.#assembler;
    if (this.#done || !assembler) return;
    const sources = [...this.#sources.values()].filter((s) => !this.#useless.has(s.id));
    if (sources.length === 0) return;
    const busy = new Set([...this.#pending.values()].map((p) => p.peer));
    let next = 0;
    for (const piece of assembler.missing()) {
      if (this.#pending.has(piece)) continue;
      // Spread pieces over peers; a peer may hold several requests when peers are few.
      const idle = sources.filter((s) => !busy.has(s.id));
      const pool = idle.length > 0 ? idle : sources;
      const source = pool[next++ % pool.length]!;
      if (source.request(piece)) {
        this.#pending.set(piece, { peer: source.id, at: now });
        busy.add(source.id);
      }
    }
  }
}
