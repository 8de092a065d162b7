/**
 * Serving a torrent's pieces: who is unchoked (Cohen's choker applied to the connected peers),
 * checks each request (BEP 3's 16 KiB limit, bounds, choke state, BEP 6 allowed-fast pieces),
 * queues it on the peer, reads whole pieces into a bounded cache (one read per piece however
 * many requests wait for it) and sends blocks while the connection takes them.
 */
import {
  formatAddress,
  type Logger,
  ProtocolError,
  type Runtime,
  type TimerHandle,
} from '@p2pkit/core';
import { Choker, type ChokerPeer } from '../choker/choker.js';
import { pieceSize } from '../metainfo/parse.js';
import type { Metainfo } from '../metainfo/types.js';
import type { Storage } from '../storage/storage.js';
import type { Bitfield } from '../wire/bitfield.js';
import { BLOCK_SIZE } from '../wire/constants.js';
import type { BlockRef } from '../wire/messages.js';
import type { TorrentPeer } from './peer.js';
import { PieceCache } from './piece-cache.js';
import { RateMeter, TokenBucket } from './rate.js';
import type { TorrentSettings } from './settings.js';

/** Piece-sized read buffers kept for reuse (each up to a piece length). */
const READ_POOL = 8;
/** Queue entries looked at for pieces to read ahead. */
const READ_AHEAD_SCAN = 512;
/**
 * Bytes of pieces read ahead of the one being sent, per peer (at least one piece): enough that
 * a read finishes before the socket has taken what is ahead of it. Measured ours -> ours at
 * 256 MiB (256 KiB pieces, load ~20): one piece ahead left the seed waiting on its reads,
 * transfer 40-60 MiB/s against 82-110 with every requested piece read at once; 1 MiB, 102.
 */
const READ_AHEAD_BYTES = 1 << 20;
/** A piece message's length prefix, id, index and begin. */
const PIECE_MESSAGE_OVERHEAD = 13;
/** Largest burst sized at once: the wire flushes at 256 KiB by default. */
const BURST_BYTES = 256 * 1024;

/** What the uploader asks of its torrent. */
export interface UploaderOwner {
  stopped(): boolean;
  peers(): Iterable<TorrentPeer>;
  /** A storage read failed: the torrent cannot go on. */
  fatal(error: unknown): void;
  /** Whether we have every piece (the choker then ranks peers by how fast they take). */
  complete(): boolean;
}

export class Uploader {
  readonly #owner: UploaderOwner;
  readonly #runtime: Runtime;
  readonly #choker: Choker;
  /** `p2pkit:bittorrent:choke`. */
  readonly #log: Logger;
  /** Payload sent (for rates and the tracker's `uploaded`). */
  readonly meter: RateMeter;
  readonly #maxQueued: number;
  readonly #slots: number;
  /** maxUploadRate, when set; #wake pumps again once it allows the next block. */
  readonly #limit: TokenBucket | undefined;
  #wake: TimerHandle | undefined;
  /** Where the next wake starts serving (round robin over the waiting peers). */
  #turn = 0;
  readonly #cache: PieceCache;
  readonly #loading = new Set<number>();
  /** Piece-sized buffers evicted from the cache, for the next reads (less garbage). */
  readonly #readPool: Uint8Array[] = [];
  #meta: Metainfo | undefined;
  #storage: Storage | undefined;
  #have: Bitfield | undefined;

  constructor(runtime: Runtime, settings: TorrentSettings, owner: UploaderOwner) {
    this.#owner = owner;
    this.#runtime = runtime;
    this.#log = runtime.log.extend('bittorrent').extend('choke');
    this.meter = new RateMeter(runtime.clock.now());
    this.#choker = new Choker({
      random: runtime.random.fork('choker'),
      slots: settings.uploadSlots,
      rechokeIntervalMs: settings.rechokeIntervalMs,
      optimisticIntervalMs: settings.optimisticIntervalMs,
      snubTimeoutMs: settings.snubTimeoutMs,
      unchokeAll: settings.choking === 'unchoke-all',
    });
    this.#maxQueued = settings.maxQueuedUploads;
    this.#slots = settings.uploadSlots;
    this.#cache = new PieceCache(settings.readCacheBytes);
    if (settings.maxUploadRate > 0)
      this.#limit = new TokenBucket(settings.maxUploadRate, runtime.clock.now(), BLOCK_SIZE);
  }

  /** Whether the choker's next round is due (call each tick). */
  rechokeDue(now: number): boolean {
    return this.#choker.due(now);
  }

  /**
   * Applies the choker's decision: unchokes whom it picks, chokes the others (their queued
   * requests are rejected, BEP 6, except allowed-fast pieces, which are still served).
   */
  rechoke(): void {
    if (this.#owner.stopped()) return;
    const now = this.#runtime.clock.now();
    const list: ChokerPeer[] = [];
    for (const peer of this.#owner.peers()) {
      list.push({
        id: peer.id,
        interested: peer.wire.peerInterested,
        downloadRate: peer.download.rate(),
        uploadRate: peer.upload.rate(),
        connectedAt: peer.connectedAt,
        snubbed: peer.snubbed,
      });
    }
    const decision = this.#choker.decide(list, now, this.#owner.complete());
    const log = this.#log;
    for (const peer of this.#owner.peers()) {
      const wire = peer.wire;
      if (decision.unchoke.has(peer.id)) {
        if (log.enabled && wire.amChoking) {
          const why = decision.optimistic.has(peer.id) ? 'optimistic' : 'regular slot';
          log(
            'unchoke %s (%s, it uploads %d B/s to us)',
            formatAddress(wire.remoteAddress),
            why,
            Math.round(peer.download.rate()),
          );
        }
        wire.unchoke();
        continue;
      }
      if (wire.amChoking) continue;
      log.enabled && log('choke %s', formatAddress(wire.remoteAddress));
      wire.choke();
      const pending = peer.clearUploads();
      peer.blockedOn = undefined;
      for (const ref of pending) {
        if (peer.allowedFastOut.has(ref.index)) peer.uploads.push(ref);
        else if (wire.features.fast) wire.reject(ref.index, ref.begin, ref.length);
      }
      if (peer.queuedUploads > 0) this.pump(peer);
    }
  }

  /** Starts serving: until then every request is rejected (BEP 6) or ignored. */
  open(meta: Metainfo, storage: Storage, have: Bitfield): void {
    // Whatever readCacheBytes says, room for what is being served: per unchoked peer the piece
    // it is sent and one read ahead (else large pieces would be read again block by block).
    this.#cache.reserve(2 * (this.#slots + 1) * meta.pieceLength);
    this.#meta = meta;
    this.#storage = storage;
    this.#have = have;
  }

  /** A peer's request; throws ProtocolError for one that breaks the protocol. */
  request(peer: TorrentPeer, ref: BlockRef): void {
    const meta = this.#meta;
    const wire = peer.wire;
    if (!meta || !this.#have) {
      if (wire.features.fast) wire.reject(ref.index, ref.begin, ref.length);
      return;
    }
    if (ref.index >= meta.pieceCount)
      throw new ProtocolError(`request for piece ${ref.index} of ${meta.pieceCount}`);
    // BEP 3: clients close connections that request more than 16 KiB.
    if (ref.length === 0 || ref.length > BLOCK_SIZE)
      throw new ProtocolError(`request of ${ref.length} bytes`);
    if (ref.begin + ref.length > pieceSize(meta, ref.index))
      throw new ProtocolError('request beyond the piece');
    const allowed = !wire.amChoking || peer.allowedFastOut.has(ref.index);
    if (!this.#have.has(ref.index) || !allowed || peer.queuedUploads >= this.#maxQueued) {
      if (wire.features.fast) wire.reject(ref.index, ref.begin, ref.length);
      return;
    }
    peer.uploads.push(ref);
    // No read here: pump() reads the piece at the head of the queue and up to READ_AHEAD_BYTES
    // ahead, so a peer's 500 queued requests do not pull 30 pieces into memory at once.
    if (peer.blockedOn === undefined) this.pump(peer);
  }

  cancel(peer: TorrentPeer, ref: BlockRef): void {
    const uploads = peer.uploads;
    for (let i = peer.uploadsHead; i < uploads.length; i++) {
      const u = uploads[i]!;
      if (u.index === ref.index && u.begin === ref.begin && u.length === ref.length) {
        uploads.splice(i, 1);
        // BEP 6: every request gets exactly one answer, a cancelled one too.
        if (peer.wire.features.fast) peer.wire.reject(ref.index, ref.begin, ref.length);
        return;
      }
    }
  }

  /**
   * Serves queued requests while the connection takes them, and starts reading the pieces the
   * queue needs next (their disk reads overlap the sending of this one).
   */
  pump(peer: TorrentPeer): void {
    const wire = peer.wire;
    peer.blockedOn = undefined;
    // The burst's piece messages go out in one batch sized once (no growing and copying).
    if (!wire.congested) wire.expectPieces(this.#burstBytes(peer));
    while (peer.queuedUploads > 0) {
      if (wire.closed || wire.congested) {
        this.#readAhead(peer);
        return;
      }
      const ref = peer.nextUpload()!;
      const data = this.#cache.get(ref.index);
      if (!data) {
        peer.blockedOn = ref.index;
        this.#load(ref.index);
        this.#readAhead(peer);
        return;
      }
      if (this.#limit && !this.#limit.take(ref.length, this.#runtime.clock.now())) {
        this.#wakeLater(ref.length);
        return;
      }
      peer.shiftUpload();
      wire.piece(ref.index, ref.begin, data.subarray(ref.begin, ref.begin + ref.length));
      peer.upload.add(ref.length);
      this.meter.add(ref.length);
    }
  }

  /** Bytes of piece messages pump() can send now: the cached head of the queue, to a flush. */
  #burstBytes(peer: TorrentPeer): number {
    const uploads = peer.uploads;
    let bytes = 0;
    for (let i = peer.uploadsHead; i < uploads.length && bytes < BURST_BYTES; i++) {
      const ref = uploads[i]!;
      if (!this.#cache.has(ref.index)) break;
      bytes += PIECE_MESSAGE_OVERHEAD + ref.length;
    }
    return bytes;
  }

  /**
   * Reads the pieces the peer's queue asks for after the head's, up to READ_AHEAD_BYTES of them
   * (at least one): their reads overlap the sending of what is ahead of them.
   */
  #readAhead(peer: TorrentPeer): void {
    const meta = this.#meta;
    if (!meta) return;
    const uploads = peer.uploads;
    let last = uploads[peer.uploadsHead]?.index;
    let ahead = 0;
    const end = Math.min(uploads.length, peer.uploadsHead + READ_AHEAD_SCAN);
    for (let i = peer.uploadsHead + 1; i < end && ahead < READ_AHEAD_BYTES; i++) {
      const index = uploads[i]!.index;
      if (index === last) continue;
      last = index;
      ahead += pieceSize(meta, index);
      if (!this.#cache.has(index)) this.#load(index);
    }
  }

  /** Drops the cache, the pooled buffers and the rate limit's timer (the torrent stopped). */
  clear(): void {
    this.#readPool.length = 0;
    this.#cache.clear();
    this.#runtime.clock.clearTimeout(this.#wake);
    this.#wake = undefined;
  }

  /** The upload limit ran out: serve again once it allows `bytes`, starting with the next peer. */
  #wakeLater(bytes: number): void {
    if (this.#wake !== undefined) return;
    const clock = this.#runtime.clock;
    this.#wake = clock.setTimeout(
      () => {
        this.#wake = undefined;
        if (this.#owner.stopped()) return;
        const waiting = [...this.#owner.peers()].filter(
          (p) => p.queuedUploads > 0 && p.blockedOn === undefined,
        );
        const start = waiting.length > 0 ? this.#turn++ % waiting.length : 0;
        for (let i = 0; i < waiting.length; i++) this.pump(waiting[(start + i) % waiting.length]!);
      },
      Math.max(1, this.#limit!.waitMs(bytes, clock.now())),
    );
  }

  /** Reads a whole piece into the cache (once, however many requests wait for it). */
  #load(index: number): void {
    const meta = this.#meta;
    const storage = this.#storage;
    if (!meta || !storage || this.#loading.has(index) || this.#cache.get(index)) return;
    this.#loading.add(index);
    const size = pieceSize(meta, index);
    // Read into a buffer the cache let go of, when there is one: no garbage per piece served.
    const target = size === meta.pieceLength ? this.#readPool.pop() : undefined;
    storage.read(index, 0, size, target).then(
      (data) => {
        this.#loading.delete(index);
        if (this.#owner.stopped()) return;
        for (const old of this.#cache.put(index, data)) {
          if (old.length === meta.pieceLength && this.#readPool.length < READ_POOL)
            this.#readPool.push(old);
        }
        for (const peer of this.#owner.peers()) if (peer.blockedOn === index) this.pump(peer);
      },
      (error: unknown) => {
        this.#loading.delete(index);
        this.#owner.fatal(error);
      },
    );
  }
}
