/**
 * Piece selection as in Cohen, "Incentives Build Robustness in BitTorrent" (2003), section 2:
 *
 * - strict priority: blocks of pieces already started are requested before any new piece, so
 *   pieces complete (and can be shared) quickly;
 * - random first piece: the first `randomFirstPieces` pieces are chosen at random (rare pieces
 *   would come slowly when we have nothing to trade);
 * - rarest first afterwards, from the availability counts of connected peers;
 * - endgame: once every missing piece is started and no block is unrequested, blocks are
 *   requested again from other peers (at most `endgameDuplicates` requesters per block); the
 *   first copy to arrive wins and the other requesters are returned so the caller can cancel.
 *
 * Pure bookkeeping: no I/O, no clock. Peers are identified by small integers.
 */
import type { Random } from '@p2pkit/core';
import type { Bitfield } from '../wire/bitfield.js';
import { BLOCK_SIZE } from '../wire/constants.js';
import { AvailabilityOrder } from './availability.js';

export interface PickerOptions {
  readonly pieceCount: number;
  readonly pieceLength: number;
  /** Total bytes of the torrent (the last piece may be shorter). */
  readonly length: number;
  readonly random: Random;
  /** Request size (default 16 KiB; BEP 3 clients drop peers asking for more). */
  readonly blockSize?: number;
  /** Pieces picked at random before rarest first takes over (default 4, as libtorrent). */
  readonly randomFirstPieces?: number;
  /** Requesters per block allowed in endgame (default 2). */
  readonly endgameDuplicates?: number;
  /**
   * How new pieces are chosen after the random first ones: `rarest-first` (default, Cohen) or
   * `random` (uniform among the pieces the peer has and we lack: the baseline rarest first is
   * measured against in the simulator). Strict priority and endgame apply to both.
   */
  readonly strategy?: 'rarest-first' | 'random';
}

/** What the picker asks of a peer. */
export interface PickerPeer {
  readonly id: number;
  /** The peer's pieces; undefined = it has every piece (a seed / have-all). */
  readonly pieces: Bitfield | undefined;
}

export interface BlockRequest {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}

export type ReceiveResult =
  /** New data: store it. `others` requested it too (cancel theirs); `pieceComplete`: hash it now. */
  | { readonly status: 'new'; readonly others: readonly number[]; readonly pieceComplete: boolean }
  /** We already have this block (endgame race): drop it. */
  | { readonly status: 'duplicate' }
  /** Not a block of a piece in progress (unrequested, or the piece is done): drop it. */
  | { readonly status: 'unexpected' };

const FREE = 0;
const REQUESTED = 1;
const RECEIVED = 2;

class PieceProgress {
  readonly index: number;
  readonly blockCount: number;
  readonly state: Uint8Array;
  /** Requesters of each block (first one in `owner`, endgame extras in `extra`). */
  readonly owner: Int32Array;
  extra: Map<number, number[]> | undefined;
  free: number;
  received = 0;
  /** Lowest block that may be free. */
  nextFree = 0;

  constructor(index: number, blockCount: number) {
    this.index = index;
    this.blockCount = blockCount;
    this.state = new Uint8Array(blockCount);
    this.owner = new Int32Array(blockCount).fill(-1);
    this.free = blockCount;
  }

  requesters(block: number): number[] {
    const out: number[] = [];
    const owner = this.owner[block]!;
    if (owner >= 0) out.push(owner);
    const extra = this.extra?.get(block);
    if (extra) out.push(...extra);
    return out;
  }

  hasRequester(block: number, peer: number): boolean {
    return this.owner[block] === peer || (this.extra?.get(block)?.includes(peer) ?? false);
  }

  requesterCount(block: number): number {
    return (this.owner[block]! >= 0 ? 1 : 0) + (this.extra?.get(block)?.length ?? 0);
  }

  addRequester(block: number, peer: number): void {
    if (this.owner[block]! < 0) {
      this.owner[block] = peer;
      return;
    }
    this.extra ??= new Map();
    const list = this.extra.get(block);
    if (list) list.push(peer);
    else this.extra.set(block, [peer]);
  }

  /** Removes `peer` as a requester; returns true when the block has no requester left. */
  removeRequester(block: number, peer: number): boolean {
    const extra = this.extra?.get(block);
    if (this.owner[block] === peer) {
      if (extra && extra.length > 0) {
        this.owner[block] = extra.shift()!;
        if (extra.length === 0) this.extra!.delete(block);
        return false;
      }
      this.owner[block] = -1;
      return true;
    }
    if (extra) {
      const i = extra.indexOf(peer);
      if (i >= 0) extra.splice(i, 1);
      if (extra.length === 0) this.extra!.delete(block);
    }
    return this.owner[block]! < 0;
  }

  clearRequesters(block: number): void {
    this.owner[block] = -1;
    this.extra?.delete(block);
  }
}

export class PiecePicker {
  readonly pieceCount: number;
  readonly pieceLength: number;
  readonly length: number;
  readonly blockSize: number;
  readonly #random: Random;
  readonly #randomFirst: number;
  readonly #endgameDuplicates: number;
  readonly #randomOnly: boolean;
  /** Scratch list of eligible pieces for the random strategy. */
  #eligible: Int32Array | undefined;
  readonly #order: AvailabilityOrder;
  readonly #have: Uint8Array;
  #haveCount = 0;
  /** Pieces being downloaded, in the order they were started (strict priority). */
  readonly #progress = new Map<number, PieceProgress>();
  /** Free blocks over all pieces in progress. */
  #freeBlocks = 0;

  constructor(options: PickerOptions) {
    this.pieceCount = options.pieceCount;
    this.pieceLength = options.pieceLength;
    this.length = options.length;
    this.blockSize = options.blockSize ?? BLOCK_SIZE;
    this.#random = options.random;
    this.#randomFirst = options.randomFirstPieces ?? 4;
    this.#endgameDuplicates = options.endgameDuplicates ?? 2;
    this.#randomOnly = options.strategy === 'random';
    this.#order = new AvailabilityOrder(options.pieceCount, options.random);
    this.#have = new Uint8Array(options.pieceCount);
  }

  // --- what we have ----------------------------------------------------------------------------

  get haveCount(): number {
    return this.#haveCount;
  }

  get complete(): boolean {
    return this.#haveCount === this.pieceCount;
  }

  hasPiece(index: number): boolean {
    return this.#have[index] === 1;
  }

  /** Marks a verified piece as ours (also used at start for pieces found on disk). */
  setHave(index: number): void {
    if (this.#have[index]) return;
    const progress = this.#progress.get(index);
    if (progress) {
      this.#freeBlocks -= progress.free;
      this.#progress.delete(index);
    }
    this.#have[index] = 1;
    this.#haveCount++;
    this.#order.remove(index);
  }

  /** A completed piece failed its hash: every block goes back to free. */
  pieceFailed(index: number): void {
    const progress = this.#progress.get(index);
    if (!progress) return;
    this.#freeBlocks -= progress.free;
    this.#progress.delete(index);
  }

  /** True when piece `index` is started (some block requested or received) and not verified. */
  started(index: number): boolean {
    return this.#progress.has(index);
  }

  /** Pieces in progress (started, not yet verified). */
  get inProgress(): number {
    return this.#progress.size;
  }

  /** True once every missing piece is started and no block is left unrequested. */
  get endgame(): boolean {
    return this.#freeBlocks === 0 && this.#haveCount + this.#progress.size === this.pieceCount;
  }

  // --- what peers have -------------------------------------------------------------------------

  availability(index: number): number {
    return this.#order.availability(index);
  }

  peerHas(index: number): void {
    this.#order.increment(index);
  }

  peerLost(index: number): void {
    this.#order.decrement(index);
  }

  peerBitfield(pieces: Bitfield): void {
    for (let i = 0; i < this.pieceCount; i++) if (pieces.has(i)) this.#order.increment(i);
  }

  peerBitfieldLost(pieces: Bitfield): void {
    for (let i = 0; i < this.pieceCount; i++) if (pieces.has(i)) this.#order.decrement(i);
  }

  peerSeed(): void {
    this.#order.addSeed();
  }

  peerSeedLost(): void {
    this.#order.removeSeed();
  }

  // --- requests --------------------------------------------------------------------------------

  blockCountOf(index: number): number {
    return Math.ceil(this.#pieceSize(index) / this.blockSize);
  }

  #pieceSize(index: number): number {
    return index === this.pieceCount - 1
      ? this.length - index * this.pieceLength
      : this.pieceLength;
  }

  #request(progress: PieceProgress, block: number): BlockRequest {
    const begin = block * this.blockSize;
    return {
      index: progress.index,
      begin,
      length: Math.min(this.blockSize, this.#pieceSize(progress.index) - begin),
    };
  }

  /**
   * Chooses up to `max` blocks to request from `peer` and records them as requested by it.
   * `filter` restricts the pieces (e.g. to its allowed-fast set while it chokes us).
   */
  pick(peer: PickerPeer, max: number, filter?: (index: number) => boolean): BlockRequest[] {
    const out: BlockRequest[] = [];
    if (max <= 0) return out;
    const has = (index: number) =>
      (peer.pieces === undefined || peer.pieces.has(index)) &&
      (filter === undefined || filter(index));
    // 1. Strict priority: pieces already started.
    if (this.#freeBlocks > 0) {
      for (const progress of this.#progress.values()) {
        if (progress.free === 0 || !has(progress.index)) continue;
        this.#takeFree(progress, peer.id, max, out);
        if (out.length >= max) return out;
      }
    }
    // 2. New pieces: random first, then rarest first.
    while (out.length < max) {
      const index = this.#chooseNewPiece(has);
      if (index < 0) break;
      const progress = new PieceProgress(index, this.blockCountOf(index));
      this.#progress.set(index, progress);
      this.#freeBlocks += progress.free;
      this.#takeFree(progress, peer.id, max, out);
    }
    // 3. Endgame: duplicate requests for blocks others are fetching.
    if (out.length < max && this.endgame) {
      for (const progress of this.#progress.values()) {
        if (!has(progress.index)) continue;
        for (let b = 0; b < progress.blockCount && out.length < max; b++) {
          if (progress.state[b] !== REQUESTED) continue;
          if (progress.hasRequester(b, peer.id)) continue;
          if (progress.requesterCount(b) >= this.#endgameDuplicates) continue;
          progress.addRequester(b, peer.id);
          out.push(this.#request(progress, b));
        }
        if (out.length >= max) break;
      }
    }
    return out;
  }

  #takeFree(progress: PieceProgress, peer: number, max: number, out: BlockRequest[]): void {
    for (
      let b = progress.nextFree;
      b < progress.blockCount && out.length < max && progress.free > 0;
      b++
    ) {
      if (progress.state[b] !== FREE) continue;
      progress.state[b] = REQUESTED;
      progress.owner[b] = peer;
      progress.free--;
      this.#freeBlocks--;
      out.push(this.#request(progress, b));
      progress.nextFree = b + 1;
    }
    if (progress.free === 0) progress.nextFree = progress.blockCount;
  }

  #chooseNewPiece(has: (index: number) => boolean): number {
    const order = this.#order;
    const from = order.firstAvailable();
    const to = order.length;
    const eligible = (index: number) => !this.#progress.has(index) && has(index);
    if (this.#randomOnly) {
      // Uniform over every eligible piece: one pass, one draw.
      const list = (this.#eligible ??= new Int32Array(this.pieceCount));
      let n = 0;
      for (let i = 0; i < to; i++) {
        const index = order.at(i);
        if (eligible(index)) list[n++] = index;
      }
      return n === 0 ? -1 : list[this.#random.int(n)]!;
    }
    if (from < to && this.#haveCount + this.#progress.size < this.#randomFirst) {
      // A few random probes; if they miss, rarest first will do.
      for (let attempt = 0; attempt < 32; attempt++) {
        const index = order.at(from + this.#random.int(to - from));
        if (eligible(index)) return index;
      }
    }
    // From 0, not `from`: availability is bookkeeping, what `has` says is the truth.
    for (let i = 0; i < to; i++) {
      const index = order.at(i);
      if (eligible(index)) return index;
    }
    return -1;
  }

  /**
   * A block arrived from `peer`. Checks it against the pieces in progress (alignment and
   * length included) and updates the block's state.
   */
  received(peer: number, index: number, begin: number, length: number): ReceiveResult {
    const progress = this.#progress.get(index);
    if (!progress || begin % this.blockSize !== 0) return { status: 'unexpected' };
    const block = begin / this.blockSize;
    if (block >= progress.blockCount) return { status: 'unexpected' };
    if (length !== Math.min(this.blockSize, this.#pieceSize(index) - begin))
      return { status: 'unexpected' };
    const state = progress.state[block]!;
    if (state === RECEIVED) {
      progress.removeRequester(block, peer);
      return { status: 'duplicate' };
    }
    const others = progress.requesters(block).filter((p) => p !== peer);
    if (state === FREE) {
      progress.free--;
      this.#freeBlocks--;
    }
    progress.state[block] = RECEIVED;
    progress.clearRequesters(block);
    progress.received++;
    return { status: 'new', others, pieceComplete: progress.received === progress.blockCount };
  }

  /** `peer` will not deliver this block (reject, choke, cancel, timeout): free it unless another peer has it requested. */
  release(peer: number, index: number, begin: number): void {
    const progress = this.#progress.get(index);
    if (!progress || begin % this.blockSize !== 0) return;
    const block = begin / this.blockSize;
    if (block >= progress.blockCount || progress.state[block] !== REQUESTED) return;
    if (!progress.hasRequester(block, peer)) return;
    if (progress.removeRequester(block, peer)) this.#free(progress, block);
  }

  /** Releases every block `peer` has requested (it left, or choked us without Fast). */
  releasePeer(peer: number): void {
    for (const progress of this.#progress.values()) {
      for (let b = 0; b < progress.blockCount; b++) {
        if (progress.state[b] !== REQUESTED || !progress.hasRequester(b, peer)) continue;
        if (progress.removeRequester(b, peer)) this.#free(progress, b);
      }
    }
  }

  #free(progress: PieceProgress, block: number): void {
    progress.state[block] = FREE;
    progress.free++;
    this.#freeBlocks++;
    if (block < progress.nextFree) progress.nextFree = block;
  }
}
