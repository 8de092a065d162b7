/**
 * One torrent in a session: connects to peers, downloads every piece (SHA-1 verified before it
 * is written or announced), uploads to the peers the choker picks, fetches the metadata of a
 * magnet link, announces to trackers. Everything a remote peer can grow is capped (see
 * TorrentSettings); time comes from the runtime's clock through one periodic tick, never a
 * timer per block.
 */
import {
  type Address,
  Emitter,
  equalBytes,
  formatAddress,
  isP2PError,
  ProtocolError,
  type Runtime,
  type TimerHandle,
} from '@p2pkit/core';
import { toHex } from '../bencode/binary.js';
import { Choker, type ChokerPeer } from '../choker/choker.js';
import type { MagnetLink } from '../magnet.js';
import { parseInfoDictionary, pieceHash, pieceSize } from '../metainfo/parse.js';
import type { Metainfo } from '../metainfo/types.js';
import { PiecePicker } from '../picker/picker.js';
import type { Storage, StorageFactory } from '../storage/storage.js';
import { type Announcer, createAnnouncer } from '../tracker/announcer.js';
import type { TrackerClient } from '../tracker/client.js';
import { parseIPv4 } from '../tracker/compact.js';
import { allowedFastSet } from '../wire/allowed-fast.js';
import { Bitfield } from '../wire/bitfield.js';
import { BLOCK_SIZE } from '../wire/constants.js';
import type { Established } from '../wire/establish.js';
import type { BlockRef } from '../wire/messages.js';
import {
  decodeMetadataMessage,
  encodeMetadataMessage,
  metadataPiece,
  metadataPieceCount,
} from '../wire/metadata.js';
import { PeerWire } from '../wire/peer.js';
import { Dialer, DUPLICATE, SELF } from './dialer.js';
import { MetadataExchange } from './metadata-exchange.js';
import { blockKey, TorrentPeer } from './peer.js';

import { RateMeter } from './rate.js';
import type { TorrentSettings } from './settings.js';
import { Uploader } from './uploader.js';

export type TorrentState = 'metadata' | 'checking' | 'downloading' | 'seeding' | 'stopped';

export interface TorrentProgress {
  readonly state: TorrentState;
  /** Verified bytes on disk. */
  readonly downloaded: number;
  /** Total bytes (0 until the metadata is known). */
  readonly length: number;
  readonly piecesDone: number;
  readonly pieceCount: number;
  /** Block bytes received and sent this session (duplicates and bad data included). */
  readonly received: number;
  readonly uploaded: number;
  /** Bytes/s over the last few seconds. */
  readonly downloadRate: number;
  readonly uploadRate: number;
  readonly peers: number;
  /** Seconds to completion at the current rate; undefined when unknown. */
  readonly eta: number | undefined;
}

export interface PeerInfo {
  readonly address: Address;
  readonly peerId: Uint8Array;
  readonly incoming: boolean;
  readonly encryption: Established['encryption'];
}

/** A snapshot of one connection, for status displays and debugging. */
export interface PeerStatus {
  readonly address: Address;
  readonly peerId: Uint8Array;
  readonly client: string | undefined;
  readonly incoming: boolean;
  readonly encrypted: boolean;
  readonly amChoking: boolean;
  readonly amInterested: boolean;
  readonly peerChoking: boolean;
  readonly peerInterested: boolean;
  /** Pieces it has (undefined while unknown). */
  readonly pieces: number | undefined;
  readonly downloaded: number;
  readonly uploaded: number;
  readonly downloadRate: number;
  readonly uploadRate: number;
  readonly requests: number;
  readonly queuedUploads: number;
  readonly snubbed: boolean;
}

export interface TorrentEvents {
  /** The metadata is known (at once for a .torrent; after BEP 9 for a magnet). */
  metadata: [meta: Metainfo];
  /** Storage checked; downloading or seeding from here. */
  ready: [];
  /** Piece `index` was verified and written. */
  piece: [index: number];
  /** Once per tick. */
  progress: [progress: TorrentProgress];
  /** Every piece is verified and on disk. */
  done: [];
  peer: [info: PeerInfo];
  banned: [address: Address, reason: string];
  /** Recoverable trouble (a bad peer, a tracker failure, a hash mismatch). */
  warning: [error: Error];
  /** The torrent cannot go on (storage failure, refused metadata); it stops. */
  error: [error: Error];
  stopped: [];
}

/** What a torrent takes from its client. */
export interface TorrentContext {
  readonly runtime: Runtime;
  readonly peerId: Uint8Array;
  readonly reserved: Uint8Array;
  /** TCP port we accept connections on (announced to trackers and peers). */
  readonly port: number;
  /** Local address our sockets use. */
  readonly host: string;
  readonly storage: StorageFactory;
  readonly tracker: TrackerClient | undefined;
  readonly settings: TorrentSettings;
}

/** A piece being downloaded: its bytes and who sent each block. */
interface PieceBuffer {
  readonly data: Uint8Array;
  readonly from: Int32Array;
}

const UT_METADATA_ID = 1;
const MAX_FAILED_COPIES = 8;

export class Torrent extends Emitter<TorrentEvents> {
  readonly infoHash: Uint8Array;
  readonly infoHashHex: string;
  readonly #ctx: TorrentContext;
  readonly #settings: TorrentSettings;
  readonly #runtime: Runtime;
  readonly #magnet: MagnetLink | undefined;
  #meta: Metainfo | undefined;
  #state: TorrentState;
  #storage: Storage | undefined;
  #picker: PiecePicker | undefined;
  #have: Bitfield | undefined;
  #haveBytes = 0;
  readonly #choker: Choker;
  readonly #uploader: Uploader;
  readonly #peers = new Map<number, TorrentPeer>();
  #nextPeerId = 1;
  readonly #dialer: Dialer;
  readonly #banned = new Set<string>();
  readonly #buffers = new Map<number, PieceBuffer>();
  readonly #failed = new Map<number, PieceBuffer>();
  /** Piece-sized buffers whose writes completed, for the next pieces (less garbage). */
  readonly #pool: Uint8Array[] = [];
  #writingBytes = 0;
  #writes = new Set<Promise<void>>();
  readonly #download: RateMeter;
  readonly #upload: RateMeter;
  #timer: TimerHandle | undefined;
  #announcer: Announcer | undefined;
  #exchange: MetadataExchange | undefined;
  #doneEmitted = false;
  #stopping: Promise<void> | undefined;

  constructor(ctx: TorrentContext, source: { meta: Metainfo } | { magnet: MagnetLink }) {
    super();
    this.#ctx = ctx;
    this.#settings = ctx.settings;
    this.#runtime = ctx.runtime;
    const now = this.#runtime.clock.now();
    this.#download = new RateMeter(now);
    this.#upload = new RateMeter(now);
    const random = this.#runtime.random;
    this.#choker = new Choker({
      random: random.fork('choker'),
      slots: this.#settings.uploadSlots,
      rechokeIntervalMs: this.#settings.rechokeIntervalMs,
      optimisticIntervalMs: this.#settings.optimisticIntervalMs,
      snubTimeoutMs: this.#settings.snubTimeoutMs,
      unchokeAll: this.#settings.choking === 'unchoke-all',
    });
    this.#uploader = new Uploader(this.#settings, {
      stopped: () => this.#isStopped(),
      peers: () => this.#peers.values(),
      fatal: (error) => this.#fatal(error),
      sent: (bytes) => this.#upload.add(bytes),
    });
    this.#dialer = new Dialer(
      {
        runtime: this.#runtime,
        settings: this.#settings,
        infoHash: 'meta' in source ? source.meta.infoHash : source.magnet.infoHash,
        peerId: ctx.peerId,
        reserved: ctx.reserved,
        host: ctx.host,
        port: ctx.port,
      },
      {
        wantsPeers: () => this.#state === 'downloading' || this.#state === 'metadata',
        stopped: () => this.#isStopped(),
        peerCount: () => this.#peers.size,
        banned: (host) => this.#banned.has(host),
        connectedTo: (address) => this.#connectedTo(address),
        attach: (established, dialed) => this.attach(established, false, dialed),
      },
    );
    if ('meta' in source) {
      this.#meta = source.meta;
      this.infoHash = source.meta.infoHash;
      this.#state = 'checking';
    } else {
      this.#magnet = source.magnet;
      this.infoHash = source.magnet.infoHash;
      this.#state = 'metadata';
      this.#exchange = new MetadataExchange(this.infoHash, (d) => this.#runtime.hash.sha1(d));
    }
    this.infoHashHex = toHex(this.infoHash);
  }

  // --- public surface -------------------------------------------------------------------------

  get state(): TorrentState {
    return this.#state;
  }

  get metainfo(): Metainfo | undefined {
    return this.#meta;
  }

  get name(): string | undefined {
    return this.#meta?.name ?? this.#magnet?.name;
  }

  get complete(): boolean {
    return this.#have?.complete ?? false;
  }

  /** Number of connected peers. */
  get peerCount(): number {
    return this.#peers.size;
  }

  progress(): TorrentProgress {
    const length = this.#meta?.length ?? 0;
    const downloadRate = this.#download.rate(5);
    const left = length - this.#haveBytes;
    return {
      state: this.#state,
      downloaded: this.#haveBytes,
      length,
      piecesDone: this.#have?.count ?? 0,
      pieceCount: this.#meta?.pieceCount ?? 0,
      received: this.#download.total,
      uploaded: this.#upload.total,
      downloadRate,
      uploadRate: this.#upload.rate(5),
      peers: this.#peers.size,
      eta:
        this.#meta && left === 0
          ? 0
          : downloadRate > 0 && this.#meta
            ? left / downloadRate
            : undefined,
    };
  }

  /** The connected peers, as of now. */
  peers(): PeerStatus[] {
    return [...this.#peers.values()].map((peer) => {
      const wire = peer.wire;
      return {
        address: wire.remoteAddress,
        peerId: wire.remote.peerId,
        client: wire.peerExtensions?.v,
        incoming: peer.incoming,
        encrypted: wire.encrypted,
        amChoking: wire.amChoking,
        amInterested: wire.amInterested,
        peerChoking: wire.peerChoking,
        peerInterested: wire.peerInterested,
        pieces: peer.seed ? this.#meta?.pieceCount : peer.pieces?.count,
        downloaded: wire.downloaded,
        uploaded: wire.uploaded,
        downloadRate: peer.download.rate(5),
        uploadRate: peer.upload.rate(5),
        requests: peer.active,
        queuedUploads: peer.queuedUploads,
        snubbed: peer.snubbed,
      };
    });
  }

  /** Adds peer addresses to connect to (tracker replies, --peer, x.pe). */
  addPeers(addresses: Iterable<Address>): void {
    if (this.#isStopped()) return;
    this.#dialer.add(addresses);
    this.#dialer.connectMore();
  }

  /** Starts: checks storage (or waits for the metadata), announces, connects. */
  async start(): Promise<void> {
    const clock = this.#runtime.clock;
    this.#timer = clock.setInterval(() => this.#tick(), this.#settings.tickMs);
    if (this.#settings.announce)
      this.#startAnnouncer(this.#meta?.announceList ?? [this.#magnet?.trackers ?? []]);
    if (this.#magnet) this.addPeers(this.#magnet.peers);
    if (this.#meta) {
      this.emit('metadata', this.#meta);
      await this.#open(this.#meta);
    }
  }

  /** Stops: announces `stopped`, closes every connection, waits for writes, closes storage. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#state = 'stopped';
    this.#runtime.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dialer.stop();
    for (const peer of [...this.#peers.values()]) peer.wire.destroy();
    this.#peers.clear();
    const announcer = this.#announcer;
    this.#announcer = undefined;
    await Promise.allSettled([announcer?.stop(), ...this.#writes]);
    this.#buffers.clear();
    this.#failed.clear();
    this.#pool.length = 0;
    this.#uploader.clear();
    await this.#storage?.close().catch(() => {});
    this.emit('stopped');
  }

  // --- metadata, storage, resume ---------------------------------------------------------------

  async #open(meta: Metainfo): Promise<void> {
    this.#state = 'checking';
    let storage: Storage;
    try {
      storage = await this.#ctx.storage(meta);
    } catch (error) {
      this.#fatal(error);
      return;
    }
    if (this.#isStopped()) {
      await storage.close();
      return;
    }
    this.#storage = storage;
    const picker = new PiecePicker({
      pieceCount: meta.pieceCount,
      pieceLength: meta.pieceLength,
      length: meta.length,
      random: this.#runtime.random.fork('picker'),
      randomFirstPieces: this.#settings.randomFirstPieces,
      endgameDuplicates: this.#settings.endgameDuplicates,
      strategy: this.#settings.pieceSelection,
    });
    const have = new Bitfield(meta.pieceCount);
    if (this.#settings.verifyOnStart) {
      try {
        await this.#verifyExisting(meta, storage, picker, have);
      } catch (error) {
        this.#fatal(error);
        return;
      }
    }
    if (this.#isStopped()) return;
    this.#picker = picker;
    this.#have = have;
    this.#uploader.open(meta, storage, have);
    this.#state = have.complete ? 'seeding' : 'downloading';
    // Peers that connected while we checked: now they learn what we have, and we what they have.
    for (const peer of this.#peers.values()) this.#startPeerWithMetadata(peer, false);
    this.emit('ready');
    if (have.complete) await this.#onComplete();
    this.#dialer.connectMore();
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
      while (next < meta.pieceCount && this.#state !== 'stopped') {
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

  #onMetadata(infoBytes: Uint8Array): void {
    let meta: Metainfo;
    try {
      meta = parseInfoDictionary(infoBytes, {
        hasher: this.#runtime.hash,
        announceList: this.#magnet?.trackers.length ? [this.#magnet.trackers] : [],
      });
    } catch (error) {
      // A refused info dictionary (unsafe paths, ...) is the torrent's end: nothing is written.
      this.#fatal(error);
      return;
    }
    this.#meta = meta;
    this.#exchange = undefined;
    this.emit('metadata', meta);
    void this.#open(meta);
  }

  #isStopped(): boolean {
    return this.#state === 'stopped';
  }

  #fatal(error: unknown): void {
    if (this.#isStopped()) return;
    this.emit('error', error instanceof Error ? error : new Error(String(error)));
    void this.stop();
  }

  #warn(error: unknown): void {
    this.emit('warning', error instanceof Error ? error : new Error(String(error)));
  }

  // --- trackers and connections ----------------------------------------------------------------

  #startAnnouncer(tiers: readonly (readonly string[])[]): void {
    const usable = tiers
      .map((t) => t.filter((u) => /^(http|udp):/i.test(u)))
      .filter((t) => t.length > 0);
    if (!this.#ctx.tracker || usable.length === 0) return;
    const announcer = createAnnouncer({
      runtime: this.#runtime,
      client: this.#ctx.tracker,
      announceList: usable,
      infoHash: this.infoHash,
      peerId: this.#ctx.peerId,
      port: this.#ctx.port,
      stats: () => ({
        uploaded: this.#upload.total,
        downloaded: this.#download.total,
        left: this.#meta ? this.#meta.length - this.#haveBytes : 1,
      }),
    });
    announcer.on('peers', (peers) => this.addPeers(peers));
    announcer.on('warning', (message, url) => this.#warn(new Error(`tracker ${url}: ${message}`)));
    announcer.on('error', (error) => this.#warn(error));
    this.#announcer = announcer;
    announcer.start();
  }

  #connectedTo(address: Address): boolean {
    for (const peer of this.#peers.values()) {
      const a = peer.listenAddress;
      if (a && a.host === address.host && a.port === address.port) return true;
    }
    return false;
  }

  /** Whether an incoming connection from `host` may be attached. */
  accepts(host: string): boolean {
    // Not while checking the data: the peer would get a have-none, then a have per piece.
    return (
      this.#state !== 'stopped' &&
      this.#state !== 'checking' &&
      !this.#banned.has(host) &&
      this.#peers.size < this.#settings.maxPeers
    );
  }

  /** Takes over a connection whose handshake is done (dialed by us, or accepted by the client). */
  attach(established: Established, incoming: boolean, dialed?: Address): string | undefined {
    const { connection, remote } = established;
    const refusal = this.#refusal(established);
    if (refusal) {
      this.#runtime.log.enabled &&
        this.#runtime.log('refusing peer %s: %s', formatAddress(connection.remoteAddress), refusal);
      connection.destroy();
      return refusal;
    }
    const meta = this.#meta;
    const wire = new PeerWire({
      connection,
      clock: this.#runtime.clock,
      local: established.local,
      remote,
      encrypt: established.encrypt,
      decrypt: established.decrypt,
      initialData: established.rest,
      extensions: new Map([['ut_metadata', UT_METADATA_ID]]),
      limits: meta ? { maxBitfieldLength: Bitfield.byteLength(meta.pieceCount) + 128 } : {},
    });
    const now = this.#runtime.clock.now();
    const peer = new TorrentPeer(
      this.#nextPeerId++,
      wire,
      incoming,
      now,
      this.#settings.initialQueue,
    );
    peer.listenAddress = dialed;
    this.#peers.set(peer.id, peer);
    this.#listen(peer);
    // BEP 6: bitfield / have-all / have-none first; then the BEP 10 handshake.
    if (meta && this.#have) this.#startPeerWithMetadata(peer, true);
    else if (wire.features.fast) wire.haveNone();
    if (wire.features.extended) {
      const ip = parseIPv4(connection.remoteAddress.host);
      wire.extendedHandshake({
        m: new Map([['ut_metadata', UT_METADATA_ID]]),
        p: this.#ctx.port,
        v: this.#settings.clientName,
        reqq: this.#settings.maxQueuedUploads,
        metadataSize: meta?.infoBytes.length,
        yourip: ip,
      });
    }
    wire.start();
    this.emit('peer', {
      address: connection.remoteAddress,
      peerId: remote.peerId,
      incoming,
      encryption: established.encryption,
    });
    return undefined;
  }

  /** Why a connection cannot be attached, or undefined when it can. */
  #refusal(established: Established): string | undefined {
    const { connection, remote } = established;
    if (this.#isStopped()) return 'stopped';
    if (this.#banned.has(connection.remoteAddress.host)) return 'banned';
    if (equalBytes(remote.peerId, this.#ctx.peerId)) return SELF;
    for (const peer of this.#peers.values()) {
      if (equalBytes(peer.wire.remote.peerId, remote.peerId)) return DUPLICATE;
    }
    if (this.#peers.size >= this.#settings.maxPeers) return 'too many peers';
    return undefined;
  }

  /** Tells a peer what we have and applies what it told us before we knew the metadata. */
  #startPeerWithMetadata(peer: TorrentPeer, first: boolean): void {
    const meta = this.#meta!;
    const have = this.#have!;
    const wire = peer.wire;
    wire.setLimits({ maxBitfieldLength: Bitfield.byteLength(meta.pieceCount) + 128 });
    if (first) {
      // BEP 6: bitfield, have-all or have-none comes first; without Fast an empty bitfield is skipped.
      if (wire.features.fast && have.complete) wire.haveAll();
      else if (wire.features.fast && have.count === 0) wire.haveNone();
      else if (have.count > 0) wire.bitfield(have.toBytes());
    } else {
      for (const index of have.indices()) wire.have(index);
    }
    if (wire.features.fast && this.#settings.allowedFastCount > 0) {
      const ip = parseIPv4(wire.remoteAddress.host);
      if (ip) {
        const set = allowedFastSet(
          ip,
          this.infoHash,
          meta.pieceCount,
          this.#settings.allowedFastCount,
          (d) => this.#runtime.hash.sha1(d),
        );
        for (const index of set) {
          if (!have.has(index)) continue;
          peer.allowedFastOut.add(index);
          wire.allowedFast(index);
        }
      }
    }
    if (peer.pendingBitfield) {
      const bits = peer.pendingBitfield;
      peer.pendingBitfield = undefined;
      this.#onBitfield(peer, bits);
    }
    if (peer.seed && !peer.pieces) {
      peer.seed = false;
      this.#onHaveAll(peer);
    }
    for (const index of peer.pendingHaves.splice(0)) this.#onHave(peer, index);
  }

  #listen(peer: TorrentPeer): void {
    const wire = peer.wire;
    const guard =
      <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A) => {
        try {
          fn(...args);
        } catch (error) {
          this.#warn(error);
          wire.destroy(error instanceof Error ? error : new ProtocolError(String(error)));
        }
      };
    wire.on(
      'choke',
      guard(() => this.#onChoke(peer)),
    );
    wire.on(
      'unchoke',
      guard(() => this.#scheduleFill(peer)),
    );
    wire.on(
      'interested',
      guard(() => this.#rechoke()),
    );
    wire.on(
      'not-interested',
      guard(() => this.#rechoke()),
    );
    wire.on(
      'have',
      guard((index) => this.#onHave(peer, index)),
    );
    wire.on(
      'bitfield',
      guard((bits) => this.#onBitfield(peer, bits)),
    );
    wire.on(
      'have-all',
      guard(() => this.#onHaveAll(peer)),
    );
    wire.on(
      'have-none',
      guard(() => {}),
    );
    wire.on(
      'request',
      guard((ref) => this.#uploader.request(peer, ref)),
    );
    wire.on(
      'cancel',
      guard((ref) => this.#uploader.cancel(peer, ref)),
    );
    wire.on(
      'reject',
      guard((ref) => this.#onReject(peer, ref)),
    );
    wire.on(
      'piece',
      guard((index, begin, block) => this.#onPiece(peer, index, begin, block)),
    );
    wire.on(
      'allowed-fast',
      guard((index) => this.#onAllowedFast(peer, index)),
    );
    wire.on(
      'extended-handshake',
      guard((h) => this.#onExtendedHandshake(peer, h.metadataSize, h.p)),
    );
    wire.on(
      'extended',
      guard((name, payload) => name === 'ut_metadata' && this.#onMetadataMessage(peer, payload)),
    );
    wire.on(
      'drain',
      guard(() => this.#uploader.pump(peer)),
    );
    wire.on('close', (error) => this.#onClose(peer, error));
  }

  #onClose(peer: TorrentPeer, error: Error | undefined): void {
    if (!this.#peers.delete(peer.id)) return;
    if (error && !isP2PError(error, 'ERR_CONNECTION_RESET')) {
      this.#runtime.log.enabled &&
        this.#runtime.log(
          'peer %s closed: %s',
          formatAddress(peer.wire.remoteAddress),
          error.message,
        );
    }
    const picker = this.#picker;
    if (picker) {
      picker.releasePeer(peer.id);
      if (peer.seed) picker.peerSeedLost();
      else if (peer.pieces) picker.peerBitfieldLost(peer.pieces);
    }
    const now = this.#runtime.clock.now();
    this.#exchange?.removeSource(peer.id, now);
    // Do not redial at once: 10 s, or a minute for a connection that did not last.
    if (peer.listenAddress) this.#dialer.closed(peer.listenAddress, peer.connectedAt);
    if (this.#state !== 'stopped') {
      // Others may take over its blocks; a slot may have freed up.
      for (const other of this.#peers.values()) this.#scheduleFill(other);
      this.#rechoke();
      this.#dialer.connectMore();
    }
  }

  // --- what peers have -------------------------------------------------------------------------

  #onHave(peer: TorrentPeer, index: number): void {
    const meta = this.#meta;
    if (!meta || !this.#have) {
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
      this.#updateInterest(peer);
    }
  }

  #onBitfield(peer: TorrentPeer, bits: Uint8Array): void {
    const meta = this.#meta;
    if (!meta || !this.#have) {
      peer.pendingBitfield = bits.slice();
      return;
    }
    const { bitfield, issues } = Bitfield.fromWire(bits, meta.pieceCount, {
      strict: this.#settings.strictBitfield,
    });
    if (issues.spareBits || issues.oversize) {
      this.#warn(
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
    this.#updateInterest(peer);
  }

  #onHaveAll(peer: TorrentPeer): void {
    const meta = this.#meta;
    if (!meta || !this.#have) {
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
    this.#updateInterest(peer);
  }

  #onAllowedFast(peer: TorrentPeer, index: number): void {
    if (this.#meta && index >= this.#meta.pieceCount) return;
    if (peer.allowedFast.size < 64) peer.allowedFast.add(index);
    this.#scheduleFill(peer);
  }

  #updateInterest(peer: TorrentPeer): void {
    const wire = peer.wire;
    const want = peer.interesting > 0 && !(this.#picker?.complete ?? true);
    if (want && !wire.amInterested) {
      wire.interested();
      this.#scheduleFill(peer);
    } else if (!want && wire.amInterested) {
      wire.notInterested();
    }
    // Two seeds have nothing to say to each other.
    if (this.#have?.complete && peer.seed) wire.destroy();
  }

  #onExtendedHandshake(
    peer: TorrentPeer,
    metadataSize: number | undefined,
    port: number | undefined,
  ): void {
    if (port && peer.incoming && !peer.listenAddress)
      peer.listenAddress = { host: peer.wire.remoteAddress.host, port };
    if (this.#exchange && peer.wire.remoteExtensionId('ut_metadata') > 0) {
      this.#exchange.addSource(
        {
          id: peer.id,
          request: (piece) =>
            peer.wire.extended('ut_metadata', encodeMetadataMessage({ type: 'request', piece })),
        },
        metadataSize,
        this.#runtime.clock.now(),
      );
    }
  }

  #onMetadataMessage(peer: TorrentPeer, payload: Uint8Array): void {
    let message: ReturnType<typeof decodeMetadataMessage>;
    try {
      message = decodeMetadataMessage(payload);
    } catch (error) {
      this.#warn(error);
      return;
    }
    const now = this.#runtime.clock.now();
    switch (message.type) {
      case 'request': {
        const info = this.#meta?.infoBytes;
        const data = info ? metadataPiece(info, message.piece) : undefined;
        // Flood cap: a few times the piece count per connection (BEP 9 allows it).
        const cap = info ? metadataPieceCount(info.length) * 4 + 8 : 8;
        if (!data || ++peer.metadataRequests > cap) {
          peer.wire.extended(
            'ut_metadata',
            encodeMetadataMessage({ type: 'reject', piece: message.piece }),
          );
        } else {
          peer.wire.extended(
            'ut_metadata',
            encodeMetadataMessage({
              type: 'data',
              piece: message.piece,
              totalSize: info!.length,
              data,
            }),
          );
        }
        return;
      }
      case 'data': {
        const done = this.#exchange?.onData(
          peer.id,
          message.piece,
          message.totalSize,
          message.data,
          now,
        );
        if (done) this.#onMetadata(done);
        return;
      }
      case 'reject':
        this.#exchange?.onReject(peer.id, message.piece, now);
        return;
      case 'unknown':
        return;
    }
  }

  // --- downloading -----------------------------------------------------------------------------

  #scheduleFill(peer: TorrentPeer): void {
    if (peer.fillScheduled) return;
    peer.fillScheduled = true;
    queueMicrotask(() => {
      peer.fillScheduled = false;
      this.#fill(peer);
    });
  }

  #bufferedBytes(): number {
    return this.#buffers.size * (this.#meta?.pieceLength ?? 0) + this.#writingBytes;
  }

  /** Tops up the request pipeline of `peer`. */
  #fill(peer: TorrentPeer): void {
    const picker = this.#picker;
    const wire = peer.wire;
    if (!picker || wire.closed || !wire.amInterested || this.#state !== 'downloading') return;
    const choked = wire.peerChoking;
    if (choked && (!wire.features.fast || peer.allowedFast.size === 0)) return;
    const reqq = wire.peerExtensions?.reqq ?? 250;
    const depth = Math.min(peer.queueTarget, reqq, this.#settings.maxRequestsPerPeer);
    const want = depth - peer.active;
    // Batch: top up in steps of a quarter of the pipeline (up to 16), so each socket write
    // carries many requests instead of one.
    if (want <= 0 || (peer.active > 0 && want < Math.min(16, Math.ceil(depth / 4)))) return;
    const full = this.#bufferedBytes() >= this.#settings.maxBufferedBytes;
    let filter: ((index: number) => boolean) | undefined;
    if (choked)
      filter = full
        ? (i) => peer.allowedFast.has(i) && picker.started(i)
        : (i) => peer.allowedFast.has(i);
    else if (full) filter = (i) => picker.started(i);
    const picks = picker.pick(
      { id: peer.id, pieces: peer.seed ? undefined : (peer.pieces ?? new Bitfield(0)) },
      want,
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
      wire.request(r.index, r.begin, r.length);
    }
  }

  #onChoke(peer: TorrentPeer): void {
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
    for (const other of this.#peers.values()) if (other !== peer) this.#scheduleFill(other);
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
    for (const other of this.#peers.values()) if (other !== peer) this.#scheduleFill(other);
  }

  #onReject(peer: TorrentPeer, ref: BlockRef): void {
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
    for (const other of this.#peers.values()) this.#scheduleFill(other);
  }

  #onPiece(peer: TorrentPeer, index: number, begin: number, block: Uint8Array): void {
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
    this.#download.add(block.length);
    // Slow start: one more request in flight per block received, until the first rate
    // measurement sizes the pipeline (each tick, from then on).
    if (!peer.rateKnown && peer.queueTarget < this.#settings.maxRequestsPerPeer) peer.queueTarget++;
    if (!picker || !meta) return;
    const result = picker.received(peer.id, index, begin, block.length);
    if (result.status === 'new') {
      let buffer = this.#buffers.get(index);
      if (!buffer) {
        const size = pieceSize(meta, index);
        const data = (size === meta.pieceLength && this.#pool.pop()) || new Uint8Array(size);
        buffer = { data, from: new Int32Array(picker.blockCountOf(index)) };
        this.#buffers.set(index, buffer);
      }
      buffer.data.set(block, begin);
      buffer.from[begin / picker.blockSize] = peer.id;
      for (const otherId of result.others) {
        const other = this.#peers.get(otherId);
        const theirs = other?.requests.get(key);
        if (!other || !theirs || theirs.cancelled) continue;
        other.wire.cancel(index, begin, block.length);
        other.active--;
        if (other.wire.features.fast) theirs.cancelled = true;
        else other.requests.delete(key);
      }
      if (result.pieceComplete) this.#completePiece(index);
    }
    this.#scheduleFill(peer);
  }

  #completePiece(index: number): void {
    const meta = this.#meta!;
    const picker = this.#picker!;
    const buffer = this.#buffers.get(index);
    if (!buffer) return;
    this.#buffers.delete(index);
    const ok = equalBytes(this.#runtime.hash.sha1(buffer.data), pieceHash(meta, index));
    if (!ok) {
      picker.pieceFailed(index);
      const senders = new Set(buffer.from);
      this.#warn(
        new ProtocolError(`piece ${index} failed its SHA-1 check (from ${senders.size} peer(s))`),
      );
      if (senders.size === 1) {
        this.#strike([...senders][0]!, `sent piece ${index}, which failed its hash`);
      } else if (this.#failed.size < MAX_FAILED_COPIES) {
        // Keep the bad copy: once the piece verifies, comparing blocks tells who lied.
        this.#failed.set(index, buffer);
      }
      for (const peer of this.#peers.values()) this.#scheduleFill(peer);
      return;
    }
    picker.setHave(index);
    const bad = this.#failed.get(index);
    if (bad) {
      this.#failed.delete(index);
      const liars = new Set<number>();
      const size = picker.blockSize;
      for (let b = 0; b < bad.from.length; b++) {
        const start = b * size;
        const end = Math.min(start + size, buffer.data.length);
        for (let i = start; i < end; i++) {
          if (bad.data[i] !== buffer.data[i]) {
            liars.add(bad.from[b]!);
            break;
          }
        }
      }
      for (const id of liars) this.#strike(id, `sent corrupt data in piece ${index}`);
    }
    for (const peer of this.#peers.values()) {
      if (peer.hasPiece(index)) {
        peer.interesting--;
        if (peer.interesting === 0) this.#updateInterest(peer);
      }
    }
    const size = buffer.data.length;
    this.#writingBytes += size;
    const write = this.#storage!.write(index, 0, buffer.data).then(
      () => {
        this.#writes.delete(write);
        this.#writingBytes -= size;
        this.#onWritten(index, buffer.data);
      },
      (error: unknown) => {
        this.#writes.delete(write);
        this.#writingBytes -= size;
        this.#fatal(error);
      },
    );
    this.#writes.add(write);
  }

  #onWritten(index: number, data: Uint8Array): void {
    if (this.#isStopped()) return;
    const have = this.#have!;
    if (!have.set(index)) return;
    this.#haveBytes += data.length;
    // Uploads read it back from storage (the OS cache) when asked: the buffer can be reused.
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
    for (const peer of this.#peers.values()) {
      if (!peer.hasPiece(index)) peer.wire.have(index);
      // Memory was the limit? Picking may go on.
      this.#scheduleFill(peer);
    }
    this.emit('piece', index);
    if (have.complete) void this.#onComplete();
  }

  async #onComplete(): Promise<void> {
    if (this.#doneEmitted) return;
    this.#doneEmitted = true;
    this.#state = 'seeding';
    try {
      await this.#storage?.finish();
    } catch (error) {
      this.#fatal(error);
      return;
    }
    if (this.#isStopped()) return;
    this.#announcer?.completed();
    for (const peer of [...this.#peers.values()]) this.#updateInterest(peer);
    this.#rechoke();
    this.emit('done');
    if (!this.#settings.seed) await this.stop();
  }

  #strike(peerId: number, reason: string): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    peer.strikes++;
    this.#warn(new ProtocolError(`peer ${formatAddress(peer.wire.remoteAddress)} ${reason}`));
    if (peer.strikes >= this.#settings.banAfterStrikes) {
      const address = peer.wire.remoteAddress;
      this.#banned.add(address.host);
      this.emit('banned', address, reason);
      peer.wire.destroy(new ProtocolError(`banned: ${reason}`));
    }
  }

  // --- uploading -------------------------------------------------------------------------------

  /** Applies the choker's decision. */
  #rechoke(): void {
    if (this.#isStopped()) return;
    const now = this.#runtime.clock.now();
    const list: ChokerPeer[] = [];
    for (const peer of this.#peers.values()) {
      list.push({
        id: peer.id,
        interested: peer.wire.peerInterested,
        downloadRate: peer.download.rate(),
        uploadRate: peer.upload.rate(),
        connectedAt: peer.connectedAt,
        snubbed: peer.snubbed,
      });
    }
    const decision = this.#choker.decide(list, now, this.#have?.complete ?? false);
    for (const peer of this.#peers.values()) {
      const wire = peer.wire;
      if (decision.unchoke.has(peer.id)) {
        wire.unchoke();
        continue;
      }
      if (wire.amChoking) continue;
      wire.choke();
      const pending = peer.clearUploads();
      peer.blockedOn = undefined;
      for (const ref of pending) {
        if (peer.allowedFastOut.has(ref.index)) peer.uploads.push(ref);
        else if (wire.features.fast) wire.reject(ref.index, ref.begin, ref.length);
      }
      if (peer.queuedUploads > 0) this.#uploader.pump(peer);
    }
  }

  // --- housekeeping ----------------------------------------------------------------------------

  #tick(): void {
    if (this.#isStopped()) return;
    const now = this.#runtime.clock.now();
    const s = this.#settings;
    this.#download.rotate(now);
    this.#upload.rotate(now);
    for (const peer of [...this.#peers.values()]) {
      const wire = peer.wire;
      peer.download.rotate(now);
      peer.upload.rotate(now);
      if (now - wire.lastReceivedAt >= s.idleTimeoutMs) {
        wire.destroy(new ProtocolError('idle timeout'));
        continue;
      }
      if (now - wire.lastSentAt >= s.keepAliveMs) wire.keepAlive();
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
      this.#fill(peer);
    }
    this.#exchange?.tick(now);
    if (this.#choker.due(now)) this.#rechoke();
    this.#dialer.connectMore();
    this.emit('progress', this.progress());
  }
}
