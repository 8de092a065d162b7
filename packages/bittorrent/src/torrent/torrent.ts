/**
 * One torrent in a session: its lifecycle (metadata, storage check, downloading, seeding,
 * stopped), its trackers and its connections. The work on the connections is done by three
 * parts it routes each peer's messages to: the Downloader (what peers have, the request
 * pipeline, endgame, verification), the Uploader (choking and serving requests) and UtMetadata
 * (BEP 9); the Dialer makes outgoing connections. Everything a remote peer can grow is capped
 * (see TorrentSettings); time comes from the runtime's clock through one periodic tick, never a
 * timer per block.
 */
import { type Address, Emitter, ProtocolError, type Runtime, type TimerHandle } from '@p2pkit/core';
import { toHex } from '../bencode/binary.js';
import type { MagnetLink } from '../magnet.js';
import { parseInfoDictionary } from '../metainfo/parse.js';
import type { Metainfo } from '../metainfo/types.js';
import type { Storage } from '../storage/storage.js';
import { type Announcer, createAnnouncer, type TrackerStatus } from '../tracker/announcer.js';
import type { Bitfield } from '../wire/bitfield.js';
import type { Established } from '../wire/establish.js';
import { Dialer } from './dialer.js';
import { Downloader } from './downloader.js';
import { PeerSet } from './peer-set.js';
import type { TorrentSettings } from './settings.js';
import type {
  PeerStatus,
  TorrentContext,
  TorrentEvents,
  TorrentProgress,
  TorrentState,
} from './types.js';
import { Uploader } from './uploader.js';
import { UtMetadata } from './ut-metadata.js';

export type {
  PeerInfo,
  PeerStatus,
  TorrentContext,
  TorrentEvents,
  TorrentProgress,
  TorrentState,
} from './types.js';

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
  readonly #downloader: Downloader;
  readonly #uploader: Uploader;
  readonly #metadata: UtMetadata;
  readonly #dialer: Dialer;
  readonly #peers: PeerSet;
  #timer: TimerHandle | undefined;
  #announcer: Announcer | undefined;
  #doneEmitted = false;
  #error: Error | undefined;
  #stopping: Promise<void> | undefined;

  constructor(ctx: TorrentContext, source: { meta: Metainfo } | { magnet: MagnetLink }) {
    super();
    this.#ctx = ctx;
    this.#settings = ctx.settings;
    this.#runtime = ctx.runtime;
    const peers = () => this.#peers.values();
    const stopped = () => this.#isStopped();
    const fatal = (error: unknown) => this.#fatal(error);
    const warn = (error: unknown) => this.#warn(error);
    this.#downloader = new Downloader(this.#runtime, this.#settings, {
      peers,
      peer: (id) => this.#peers.get(id),
      downloading: () => this.#state === 'downloading',
      stopped,
      warn,
      fatal,
      strike: (id, reason) => this.#peers.strike(id, reason),
      written: (index) => this.emit('piece', index),
      completed: () => void this.#onComplete(),
    });
    this.#uploader = new Uploader(this.#runtime, this.#settings, {
      stopped,
      peers,
      fatal,
      complete: () => this.#downloader.complete,
    });
    const infoHash = 'meta' in source ? source.meta.infoHash : source.magnet.infoHash;
    this.#dialer = new Dialer(
      {
        runtime: this.#runtime,
        settings: this.#settings,
        infoHash,
        peerId: ctx.peerId,
        reserved: ctx.reserved,
        host: ctx.host,
        port: ctx.port,
      },
      {
        wantsPeers: () => this.#wantsPeers(),
        complete: () => this.#downloader.complete,
        stopped,
        peerCount: () => this.#peers.size,
        banned: (host) => this.#peers.isBanned(host),
        connectedTo: (address) => this.#peers.connectedTo(address),
        attach: (established, dialed) => this.attach(established, false, dialed),
      },
    );
    this.#metadata = new UtMetadata(this.#runtime, infoHash, !('meta' in source), {
      meta: () => this.#meta,
      warn,
      received: (infoBytes) => this.#onMetadata(infoBytes),
    });
    this.#peers = new PeerSet({
      runtime: this.#runtime,
      settings: this.#settings,
      infoHash,
      peerId: ctx.peerId,
      port: ctx.port,
      downloader: this.#downloader,
      uploader: this.#uploader,
      metadata: this.#metadata,
      meta: () => this.#meta,
      stopped,
      checking: () => this.#state === 'checking',
      warn,
      attached: (info) => this.emit('peer', info),
      banned: (address, reason) => this.emit('banned', address, reason),
      closed: (address, connectedAt, seed) => this.#dialer.closed(address, connectedAt, seed),
      connectMore: () => this.#dialer.connectMore(),
    });
    this.infoHash = infoHash;
    if ('meta' in source) {
      this.#meta = source.meta;
      this.#state = 'checking';
    } else {
      this.#magnet = source.magnet;
      this.#state = 'metadata';
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
    return this.#downloader.complete;
  }

  /** Why the torrent stopped on its own (the `error` event's error), if it did. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Number of connected peers. */
  get peerCount(): number {
    return this.#peers.size;
  }

  progress(): TorrentProgress {
    const length = this.#meta?.length ?? 0;
    const download = this.#downloader.meter;
    const upload = this.#uploader.meter;
    const haveBytes = this.#downloader.haveBytes;
    const now = this.#runtime.clock.now();
    const downloadRate = download.recent(now);
    const left = length - haveBytes;
    return {
      state: this.#state,
      downloaded: haveBytes,
      length,
      piecesDone: this.#downloader.have?.count ?? 0,
      pieceCount: this.#meta?.pieceCount ?? 0,
      received: download.total,
      uploaded: upload.total,
      downloadRate,
      uploadRate: upload.recent(now),
      peers: this.#peers.size,
      seeds: this.#seedCount(),
      connecting: this.#dialer.dialing,
      knownPeers: this.#dialer.candidates,
      eta:
        this.#meta && left === 0
          ? 0
          : downloadRate > 0 && this.#meta
            ? left / downloadRate
            : undefined,
    };
  }

  #seedCount(): number {
    const pieceCount = this.#meta?.pieceCount;
    let n = 0;
    for (const peer of this.#peers.values()) {
      if (peer.seed || (pieceCount !== undefined && peer.pieces?.count === pieceCount)) n++;
    }
    return n;
  }

  /** What each of the torrent's trackers last said (empty without trackers). */
  trackers(): TrackerStatus[] {
    return this.#announcer?.status() ?? [];
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
    this.#peers.destroyAll();
    const announcer = this.#announcer;
    this.#announcer = undefined;
    await Promise.allSettled([announcer?.stop(), ...this.#downloader.writes]);
    this.#downloader.clear();
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
    let have: Bitfield | undefined;
    try {
      have = await this.#downloader.open(meta, storage);
    } catch (error) {
      this.#fatal(error);
      return;
    }
    if (!have) return;
    this.#uploader.open(meta, storage, have);
    this.#state = have.complete ? 'seeding' : 'downloading';
    // Peers that connected while we checked: now they learn what we have, and we what they have.
    for (const peer of this.#peers.values()) this.#peers.open(peer, false);
    this.emit('ready');
    if (have.complete) await this.#onComplete();
    this.#dialer.connectMore();
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
    this.#metadata.finished();
    this.emit('metadata', meta);
    void this.#open(meta);
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
    for (const peer of [...this.#peers.values()]) this.#downloader.updateInterest(peer);
    this.#uploader.rechoke();
    this.emit('done');
    if (!this.#settings.seed) await this.stop();
  }

  /**
   * Whether to dial the peers we know of. While downloading, of course. A seed dials too (as
   * aria2c, libtorrent and Transmission seeds do): a leecher behind NAT, or one that ignores
   * loopback peers from a tracker (Transmission), is reached only that way. Not when every
   * tracker that answered counts no leecher, and never peers known to be seeds (the dialer).
   */
  #wantsPeers(): boolean {
    const state = this.#state;
    if (state === 'downloading' || state === 'metadata') return true;
    if (state !== 'seeding') return false;
    const answered = this.trackers().filter((t) => t.announcedAt !== undefined);
    return answered.length === 0 || answered.some((t) => (t.leechers ?? 1) > 0);
  }

  #isStopped(): boolean {
    return this.#state === 'stopped';
  }

  #fatal(error: unknown): void {
    if (this.#isStopped()) return;
    this.#error = error instanceof Error ? error : new Error(String(error));
    this.emit('error', this.#error);
    void this.stop();
  }

  #warn(error: unknown): void {
    this.emit('warning', error instanceof Error ? error : new Error(String(error)));
  }

  // --- trackers --------------------------------------------------------------------------------

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
        uploaded: this.#uploader.meter.total,
        downloaded: this.#downloader.meter.total,
        left: this.#meta ? this.#meta.length - this.#downloader.haveBytes : 1,
      }),
    });
    announcer.on('peers', (peers) => this.addPeers(peers));
    announcer.on('warning', (message, url) => this.#warn(new Error(`tracker ${url}: ${message}`)));
    announcer.on('error', (error, url) =>
      this.#warn(url ? new Error(`tracker ${url}: ${error.message}`, { cause: error }) : error),
    );
    this.#announcer = announcer;
    announcer.start();
  }

  // --- connections ---------------------------------------------------------------------------

  /** Whether an incoming connection from `host` may be attached. */
  accepts(host: string): boolean {
    return this.#peers.accepts(host);
  }

  /** Takes over a connection whose handshake is done (dialed by us, or accepted by the client). */
  attach(established: Established, incoming: boolean, dialed?: Address): string | undefined {
    return this.#peers.attach(established, incoming, dialed);
  }

  // --- housekeeping ----------------------------------------------------------------------------

  #tick(): void {
    if (this.#isStopped()) return;
    const now = this.#runtime.clock.now();
    const s = this.#settings;
    this.#downloader.meter.rotate(now);
    this.#uploader.meter.rotate(now);
    for (const peer of [...this.#peers.values()]) {
      const wire = peer.wire;
      peer.download.rotate(now);
      peer.upload.rotate(now);
      if (now - wire.lastReceivedAt >= s.idleTimeoutMs) {
        wire.destroy(new ProtocolError('idle timeout'));
        continue;
      }
      if (now - wire.lastSentAt >= s.keepAliveMs) wire.keepAlive();
      this.#downloader.tickPeer(peer, now);
    }
    this.#metadata.tick(now);
    if (this.#uploader.rechokeDue(now)) this.#uploader.rechoke();
    this.#dialer.connectMore();
    this.emit('progress', this.progress());
  }
}
