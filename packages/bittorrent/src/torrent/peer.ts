/**
 * What a torrent knows about one connected peer: its pieces, our requests to it, its requests
 * to us, rates and standing. The wire (PeerWire) does the bytes; the torrent does the logic.
 */
import type { Address } from '@p2pkit/core';
import type { Bitfield } from '../wire/bitfield.js';
import type { BlockRef } from '../wire/messages.js';
import type { PeerWire } from '../wire/peer.js';
import { RateMeter } from './rate.js';

/** One of our outstanding requests. */
export interface OutgoingRequest {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
  readonly at: number;
  /** We sent a cancel (or gave up on it); with BEP 6 an answer (piece or reject) still comes. */
  cancelled: boolean;
  /**
   * Answers still due: request messages sent for this block minus pieces and rejects received
   * (2 when a cancelled request was asked again). BEP 6 answers every request once, so the
   * entry lives until the last one, and no answer ever looks unrequested.
   */
  answers: number;
}

/** Key of a block request: piece index and block number (16 KiB aligned, as we request). */
export function blockKey(index: number, begin: number): number {
  return index * 65536 + Math.floor(begin / 16384);
}

export class TorrentPeer {
  readonly id: number;
  readonly wire: PeerWire;
  readonly incoming: boolean;
  /** Where it listens: the dialed address, or the remote host with its BEP 10 `p` port. */
  listenAddress: Address | undefined;
  readonly connectedAt: number;

  /** Its pieces (undefined while unknown: before metadata, or before a bitfield). */
  pieces: Bitfield | undefined;
  /** It has every piece (have-all, or a full bitfield). */
  seed = false;
  /** A bitfield received before we knew the piece count (magnet). */
  pendingBitfield: Uint8Array | undefined;
  pendingHaves: number[] = [];
  /** Pieces it has that we do not: we are interested while > 0. */
  interesting = 0;

  readonly requests = new Map<number, OutgoingRequest>();
  /** Requests in `requests` not cancelled: what counts against the pipeline depth. */
  active = 0;
  /** Request pipeline depth we aim for (slow start, then sized by the measured rate). */
  queueTarget: number;
  /** A download rate has been measured: the pipeline follows it from now on. */
  rateKnown = false;
  /** Its requests to us, FIFO. */
  readonly uploads: BlockRef[] = [];
  uploadsHead = 0;
  /** Waiting for this piece to load before serving. */
  blockedOn: number | undefined;
  /** Pieces it lets us fetch while it chokes us (BEP 6). */
  readonly allowedFast = new Set<number>();
  /** Pieces we let it fetch while we choke it. */
  readonly allowedFastOut = new Set<number>();

  readonly download: RateMeter;
  readonly upload: RateMeter;
  /** Last block it sent us (or connection time). */
  lastBlockAt: number;
  snubbed = false;
  /** Provable bad blocks it sent. */
  strikes = 0;
  /** ut_metadata requests it made (flood cap). */
  metadataRequests = 0;
  fillScheduled = false;

  constructor(id: number, wire: PeerWire, incoming: boolean, now: number, initialQueue: number) {
    this.id = id;
    this.wire = wire;
    this.incoming = incoming;
    this.connectedAt = now;
    this.lastBlockAt = now;
    this.queueTarget = initialQueue;
    this.download = new RateMeter(now);
    this.upload = new RateMeter(now);
  }

  get queuedUploads(): number {
    return this.uploads.length - this.uploadsHead;
  }

  nextUpload(): BlockRef | undefined {
    return this.uploads[this.uploadsHead];
  }

  shiftUpload(): void {
    this.uploadsHead++;
    if (this.uploadsHead > 64 && this.uploadsHead * 2 > this.uploads.length) {
      this.uploads.splice(0, this.uploadsHead);
      this.uploadsHead = 0;
    }
  }

  clearUploads(): BlockRef[] {
    const pending = this.uploads.slice(this.uploadsHead);
    this.uploads.length = 0;
    this.uploadsHead = 0;
    return pending;
  }

  hasPiece(index: number): boolean {
    return this.seed || (this.pieces?.has(index) ?? false);
  }

  /** It has every piece (have-all, or a bitfield and haves that add up to all). */
  get complete(): boolean {
    return this.seed || (this.pieces?.complete ?? false);
  }
}
