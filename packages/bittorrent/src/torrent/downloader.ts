/**
 * Downloading a torrent's pieces: what each peer has (bitfield, have, have-all, allowed-fast)
 * and whether we are interested, the request pipeline per peer (slow start, then sized by the
 * measured rate; batched top-ups; timeouts), the endgame (duplicate requests, cancels once a
 * block arrives), assembling pieces, SHA-1 verification before anything is written, and who to
 * blame for a piece that failed it. The torrent owns the peers and the lifecycle; this owns the
 * picker and the bitfield of what we have.
 */
import { formatAddress, ProtocolError, type Runtime, type TimerHandle } from '@p2pkit/core';
import type { Metainfo } from '../metainfo/types.js';
import { PiecePicker } from '../picker/picker.js';
import type { Storage } from '../storage/storage.js';
import { Bitfield } from '../wire/bitfield.js';
import { BLOCK_SIZE } from '../wire/constants.js';
import type { BlockRef } from '../wire/messages.js';
import { blockKey, type TorrentPeer } from './peer.js';
import { PieceStore } from './piece-store.js';
import { RateMeter, TokenBucket } from './rate.js';
import type { TorrentSettings } from './settings.js';

/** What the downloader asks of its torrent. */
export interface DownloaderOwner {
  /** The connected peers, in connection order. */
  peers(): Iterable<TorrentPeer>;
  peer(id: number): TorrentPeer | undefined;
  /** Requests are sent only while this is true (the torrent is `downloading`). */
  downloading(): boolean;
  stopped(): boolean;
  warn(error: unknown): void;
  /** The torrent cannot go on (a write failed). */
  fatal(error: unknown): void;
  /** A provable bad block or piece from this peer (the torrent bans after a few). */
  strike(peerId: number, reason: string): void;
  /** Piece `index` was verified and written. */
  written(index: number): void;
  /** Every piece is verified and written. */
  completed(): void;
}

export class Downloader {
  readonly #runtime: Runtime;
  readonly #settings: TorrentSettings;
  readonly #owner: DownloaderOwner;
  /** Payload received (duplicates and bad data included): rates and the tracker's `downloaded`. */
  readonly meter: RateMeter;
  #meta: Metainfo | undefined;
  #picker: PiecePicker | undefined;
  readonly #store: PieceStore;
  /** maxDownloadRate, when set: requests are paid for as they are sent. */
  readonly #limit: TokenBucket | undefined;
  #wake: TimerHandle | undefined;

  constructor(runtime: Runtime, settings: TorrentSettings, owner: DownloaderOwner) {
    this.#runtime = runtime;
    this.#settings = settings;
    this.#owner = owner;
    this.meter = new RateMeter(runtime.clock.now());
    this.#store = new PieceStore(runtime, settings, owner);
    if (settings.maxDownloadRate > 0)
      this.#limit = new TokenBucket(settings.maxDownloadRate, runtime.clock.now(), BLOCK_SIZE);
  }

  /** What we have (undefined until the storage is open and checked). */
  get have(): Bitfield | undefined {
    return this.#store.have;
  }

  /** Verified bytes on disk. */
  get haveBytes(): number {
    return this.#store.haveBytes;
  }

  get complete(): boolean {
    return this.#store.complete;
  }

  /** Writes still in flight (stop() waits for them). */
  get writes(): Iterable<Promise<void>> {
    return this.#store.writes;
  }

  /**
   * Checks what `storage` already holds (resume) and starts picking. Returns the bitfield, or
   * undefined when the torrent stopped meanwhile.
   */
  async open(meta: Metainfo, storage: Storage): Promise<Bitfield | undefined> {
    this.#meta = meta;
    const picker = new PiecePicker({
      pieceCount: meta.pieceCount,
      pieceLength: meta.pieceLength,
      length: meta.length,
      random: this.#runtime.random.fork('picker'),
      randomFirstPieces: this.#settings.randomFirstPieces,
      endgameDuplicates: this.#settings.endgameDuplicates,
      strategy: this.#settings.pieceSelection,
    });
    const have = await this.#store.open(meta, storage, picker);
    if (have) this.#picker = picker;
    return have;
  }

  /** Drops every buffer and the rate limit's timer (the torrent stopped). */
  clear(): void {
    this.#store.clear();
    this.#runtime.clock.clearTimeout(this.#wake);
    this.#wake = undefined;
  }

  // --- what peers have -------------------------------------------------------------------------

  onHave(peer: TorrentPeer, index: number): void {
    const meta = this.#meta;
    if (!meta || !this.#store.have) {
      if (peer.pendingHaves.length < 100_000) peer.pendingHaves.push(index);
      return;
    }
    if (index >= meta.pieceCount)
      throw new ProtocolError(`have ${index} beyond ${meta.pieceCount} pieces`);
    if (peer.seed) return;
    peer.pieces ??= new Bitfield(meta.pieceCount);
    if (!peer.pieces.set(index)) return;
    this.#picker!.peerHas(index);
    if (!this.#picker!.hasPiece(index)) {
      peer.interesting++;
      this.updateInterest(peer);
    } else if (this.complete && peer.pieces.complete) {
      // It just became a seed, and so are we: nothing to say to each other.
      peer.wire.destroy();
    }
  }

  onBitfield(peer: TorrentPeer, bits: Uint8Array): void {
    const meta = this.#meta;
    if (!meta || !this.#store.have) {
      peer.pendingBitfield = bits.slice();
      return;
    }
    const { bitfield, issues } = Bitfield.fromWire(bits, meta.pieceCount, {
      strict: this.#settings.strictBitfield,
    });
    if (issues.spareBits || issues.oversize) {
      this.#owner.warn(
        new ProtocolError(
          `peer ${formatAddress(peer.wire.remoteAddress)} sent a bitfield with ${issues.spareBits ? 'spare bits set' : 'extra bytes'} (ignored)`,
        ),
      );
    }
    if (peer.seed) return;
    const picker = this.#picker!;
    // aria2c sends a bitfield mid-connection too: merge, pieces never go away.
    const pieces = (peer.pieces ??= new Bitfield(meta.pieceCount));
    for (const index of bitfield.indices()) {
      if (!pieces.set(index)) continue;
      picker.peerHas(index);
      if (!picker.hasPiece(index)) peer.interesting++;
    }
    this.updateInterest(peer);
  }

  onHaveAll(peer: TorrentPeer): void {
    const meta = this.#meta;
    if (!meta || !this.#store.have) {
      peer.seed = true;
      return;
    }
    if (peer.seed) return;
    const picker = this.#picker!;
    if (peer.pieces) picker.peerBitfieldLost(peer.pieces);
    peer.pieces = undefined;
    peer.seed = true;
    picker.peerSeed();
    peer.interesting = meta.pieceCount - picker.haveCount;
    this.updateInterest(peer);
  }

  onAllowedFast(peer: TorrentPeer, index: number): void {
    if (this.#meta && index >= this.#meta.pieceCount) return;
    if (peer.allowedFast.size < 64) peer.allowedFast.add(index);
    this.scheduleFill(peer);
  }

  /** Applies what a peer told us before we knew the metadata. */
  applyPending(peer: TorrentPeer): void {
    if (peer.pendingBitfield) {
      const bits = peer.pendingBitfield;
      peer.pendingBitfield = undefined;
      this.onBitfield(peer, bits);
    }
    if (peer.seed && !peer.pieces) {
      peer.seed = false;
      this.onHaveAll(peer);
    }
    for (const index of peer.pendingHaves.splice(0)) this.onHave(peer, index);
  }

  updateInterest(peer: TorrentPeer): void {
    const wire = peer.wire;
    const want = peer.interesting > 0 && !(this.#picker?.complete ?? true);
    if (want && !wire.amInterested) {
      wire.interested();
      this.scheduleFill(peer);
    } else if (!want && wire.amInterested) {
      wire.notInterested();
    }
    // Two seeds have nothing to say to each other.
    if (this.#store.complete && peer.complete) wire.destroy();
  }

  /** A peer's connection closed: its requests and what it had leave the picker. */
  peerClosed(peer: TorrentPeer): void {
    const picker = this.#picker;
    if (!picker) return;
    picker.releasePeer(peer.id);
    if (peer.seed) picker.peerSeedLost();
    else if (peer.pieces) picker.peerBitfieldLost(peer.pieces);
  }

  // --- the request pipeline --------------------------------------------------------------------

  scheduleFill(peer: TorrentPeer): void {
    if (peer.fillScheduled) return;
    peer.fillScheduled = true;
    queueMicrotask(() => {
      peer.fillScheduled = false;
      this.fill(peer);
    });
  }

  #fillOthers(peer: TorrentPeer | undefined): void {
    for (const other of this.#owner.peers()) if (other !== peer) this.scheduleFill(other);
  }

  /** Tops up the request pipeline of `peer`. */
  fill(peer: TorrentPeer): void {
    const picker = this.#picker;
    const wire = peer.wire;
    if (!picker || wire.closed || !wire.amInterested || !this.#owner.downloading()) return;
    const choked = wire.peerChoking;
    if (choked && (!wire.features.fast || peer.allowedFast.size === 0)) return;
    const reqq = wire.peerExtensions?.reqq ?? 250;
    const depth = Math.min(peer.queueTarget, reqq, this.#settings.maxRequestsPerPeer);
    const want = depth - peer.active;
    // Batch: top up in steps of a quarter of the pipeline (up to 64), so each socket write
    // carries many requests instead of one (a loopback TCP write costs the writer the whole
    // delivery: with steps of 16, a ninth of a loaded leecher's CPU went into writing requests).
    if (want <= 0 || (peer.active > 0 && want < Math.min(64, Math.ceil(depth / 4)))) return;
    const budget = this.#budget(want);
    if (budget === 0) return;
    const full = this.#store.bufferedBytes() >= this.#settings.maxBufferedBytes;
    let filter: ((index: number) => boolean) | undefined;
    if (choked)
      filter = full
        ? (i) => peer.allowedFast.has(i) && picker.started(i)
        : (i) => peer.allowedFast.has(i);
    else if (full) filter = (i) => picker.started(i);
    const picks = picker.pick(
      { id: peer.id, pieces: peer.seed ? undefined : (peer.pieces ?? new Bitfield(0)) },
      budget,
      filter,
    );
    const now = this.#runtime.clock.now();
    // The request timeout counts from when we started waiting, not from the last block of an
    // earlier unchoke (else a peer that unchokes us after a long choke loses its requests at
    // the next tick, and with Fast its late pieces then close the connection).
    if (peer.active === 0 && picks.length > 0) peer.lastBlockAt = now;
    for (const r of picks) {
      const key = blockKey(r.index, r.begin);
      const old = peer.requests.get(key);
      if (old && !old.cancelled) continue;
      peer.active++;
      if (old) {
        // A cancelled request still awaiting its answer is asked again: two answers are due.
        old.cancelled = false;
        old.answers++;
      } else {
        peer.requests.set(key, {
          index: r.index,
          begin: r.begin,
          length: r.length,
          at: now,
          cancelled: false,
          answers: 1,
        });
      }
      this.#limit?.take(r.length, now);
      wire.request(r.index, r.begin, r.length);
    }
  }

  /**
   * How many of `want` requests the download limit lets us send now (all without a limit);
   * when it allows none, every peer's pipeline is topped up again once it allows one.
   */
  #budget(want: number): number {
    const limit = this.#limit;
    if (!limit) return want;
    const now = this.#runtime.clock.now();
    const n = Math.min(want, Math.floor(limit.available(now) / BLOCK_SIZE));
    if (n > 0 || this.#wake !== undefined) return n;
    this.#wake = this.#runtime.clock.setTimeout(
      () => {
        this.#wake = undefined;
        if (this.#owner.stopped()) return;
        for (const peer of this.#owner.peers()) this.scheduleFill(peer);
      },
      Math.max(1, limit.waitMs(BLOCK_SIZE, now)),
    );
    return 0;
  }

  onChoke(peer: TorrentPeer): void {
    // Without BEP 6 a choke voids every request; with it, rejects will come one by one.
    if (peer.wire.features.fast) return;
    this.#dropRequests(peer);
  }

  /** Forgets all our requests to `peer` and gives their blocks back to the picker. */
  #dropRequests(peer: TorrentPeer): void {
    const picker = this.#picker;
    for (const r of peer.requests.values())
      if (!r.cancelled) picker?.release(peer.id, r.index, r.begin);
    peer.requests.clear();
    peer.active = 0;
    this.#fillOthers(peer);
  }

  /**
   * Our requests to `peer` timed out: their blocks go back to the picker for others. With BEP 6
   * every request still gets an answer, so they are cancelled and remembered as such: a late
   * piece is then a known race, not an unrequested piece that closes the connection.
   */
  #abandonRequests(peer: TorrentPeer): void {
    if (!peer.wire.features.fast) {
      this.#dropRequests(peer);
      return;
    }
    const picker = this.#picker;
    for (const r of peer.requests.values()) {
      if (r.cancelled) continue;
      r.cancelled = true;
      picker?.release(peer.id, r.index, r.begin);
      peer.wire.cancel(r.index, r.begin, r.length);
    }
    peer.active = 0;
    this.#fillOthers(peer);
  }

  onReject(peer: TorrentPeer, ref: BlockRef): void {
    const key = blockKey(ref.index, ref.begin);
    const request = peer.requests.get(key);
    if (!request || request.length !== ref.length) return; // a late reject for something we gave up
    // One of two answers (a cancelled request asked again): the other one is still due.
    if (--request.answers > 0) return;
    peer.requests.delete(key);
    if (!request.cancelled) {
      peer.active--;
      this.#picker?.release(peer.id, ref.index, ref.begin);
      peer.allowedFast.delete(ref.index);
    }
    this.#fillOthers(undefined);
  }

  onPiece(peer: TorrentPeer, index: number, begin: number, block: Uint8Array): void {
    const picker = this.#picker;
    const meta = this.#meta;
    const key = blockKey(index, begin);
    const request = peer.requests.get(key);
    if (!request || request.begin !== begin || request.length !== block.length) {
      // BEP 6: an unsolicited piece closes the connection. Without Fast, a piece after a choke
      // or a cancel is a known race: drop it.
      if (peer.wire.features.fast) throw new ProtocolError(`unrequested piece ${index}/${begin}`);
      return;
    }
    if (!request.cancelled) peer.active--;
    if (--request.answers > 0) {
      // The data is here; the answer to the other request message is still due.
      request.cancelled = true;
    } else {
      peer.requests.delete(key);
    }
    const now = this.#runtime.clock.now();
    peer.lastBlockAt = now;
    peer.snubbed = false;
    peer.download.add(block.length);
    this.meter.add(block.length);
    // Slow start: one more request in flight per block received, until the first rate
    // measurement sizes the pipeline (each tick, from then on).
    if (!peer.rateKnown && peer.queueTarget < this.#settings.maxRequestsPerPeer) peer.queueTarget++;
    if (!picker || !meta) return;
    const result = picker.received(peer.id, index, begin, block.length);
    if (result.status === 'new') {
      this.#store.addBlock(index, begin, block, peer.id, picker);
      // Endgame: the block came from one of its requesters; cancel it at the others.
      for (const otherId of result.others) {
        const other = this.#owner.peer(otherId);
        const theirs = other?.requests.get(key);
        if (!other || !theirs || theirs.cancelled) continue;
        other.wire.cancel(index, begin, block.length);
        other.active--;
        if (other.wire.features.fast) theirs.cancelled = true;
        else other.requests.delete(key);
      }
      if (result.pieceComplete) this.#completePiece(index);
    }
    this.scheduleFill(peer);
  }

  #completePiece(index: number): void {
    const picker = this.#picker!;
    const taken = this.#store.take(index);
    if (!taken) return;
    const { buffer, ok } = taken;
    if (!ok) {
      picker.pieceFailed(index);
      const senders = new Set(buffer.from);
      this.#owner.warn(
        new ProtocolError(`piece ${index} failed its SHA-1 check (from ${senders.size} peer(s))`),
      );
      if (senders.size === 1) {
        this.#owner.strike([...senders][0]!, `sent piece ${index}, which failed its hash`);
      } else {
        this.#store.keepBadCopy(index, buffer);
      }
      this.#fillOthers(undefined);
      return;
    }
    picker.setHave(index);
    for (const id of this.#store.liars(index, buffer, picker.blockSize)) {
      this.#owner.strike(id, `sent corrupt data in piece ${index}`);
    }
    for (const peer of this.#owner.peers()) {
      if (peer.hasPiece(index)) {
        peer.interesting--;
        if (peer.interesting === 0) this.updateInterest(peer);
      }
    }
    this.#store.write(index, buffer, () => this.#onWritten(index));
  }

  /** Piece `index` is on disk: peers hear of it, pipelines held back by memory go on. */
  #onWritten(index: number): void {
    for (const peer of this.#owner.peers()) {
      if (!peer.hasPiece(index)) peer.wire.have(index);
      // Memory was the limit? Picking may go on.
      this.scheduleFill(peer);
    }
    this.#owner.written(index);
    if (this.#store.complete) this.#owner.completed();
  }

  // --- housekeeping ----------------------------------------------------------------------------

  /**
   * Once per tick for each peer: requests it sits on go to others after requestTimeoutMs, the
   * snub flag, the pipeline depth from its measured rate, then a top-up.
   */
  tickPeer(peer: TorrentPeer, now: number): void {
    const s = this.#settings;
    const wire = peer.wire;
    const silent = now - peer.lastBlockAt;
    if (peer.active > 0 && silent >= s.requestTimeoutMs) {
      // It sits on our requests: let others fetch those blocks, start its pipeline over.
      this.#abandonRequests(peer);
      peer.queueTarget = Math.min(peer.queueTarget, s.initialQueue);
      peer.lastBlockAt = now;
    }
    peer.snubbed = wire.amInterested && !wire.peerChoking && silent >= s.snubTimeoutMs;
    // Pipeline depth: requestQueueSeconds of its recent rate in flight (libtorrent's
    // request queue time), at least 4 requests.
    const rate = peer.download.rate(3);
    if (rate > 0) {
      peer.rateKnown = true;
      const byRate = Math.ceil((rate * s.requestQueueSeconds) / BLOCK_SIZE);
      peer.queueTarget = Math.max(4, Math.min(byRate, s.maxRequestsPerPeer));
    }
    this.fill(peer);
  }
}
