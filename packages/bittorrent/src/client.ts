/**
 * A BitTorrent client: one listening port, one peer id, any number of torrents. Incoming
 * connections are matched to torrents by info-hash, plain or inside MSE.
 *
 *   const client = await createClient({ runtime, storage: fileStorage({ folder }) });
 *   const torrent = await client.add(torrentFileBytes);
 *   torrent.on('done', () => ...);
 */
import {
  type Address,
  type Connection,
  Emitter,
  type Listener,
  P2PError,
  type Runtime,
} from '@p2pkit/core';
import { toHex } from './bencode/binary.js';
import { type MagnetLink, parseMagnet } from './magnet.js';
import { parseMetainfo } from './metainfo/parse.js';
import type { Metainfo } from './metainfo/types.js';
import { mseReq2Hash } from './mse/handshake.js';
import type { StorageFactory } from './storage/storage.js';
import { DEFAULT_SETTINGS, type TorrentSettings } from './torrent/settings.js';
import { Torrent } from './torrent/torrent.js';
import { createTrackerClient, type TrackerClient } from './tracker/client.js';
import { handshakeIncoming } from './wire/establish.js';
import { reservedFor } from './wire/handshake.js';
import { createPeerId } from './wire/peer-id.js';

export interface ClientOptions {
  readonly runtime: Runtime;
  /** Where torrents' data lives: `fileStorage({ folder })` (node) or `memoryStorage()`. */
  readonly storage: StorageFactory;
  /** TCP port to accept peers on (default 0: any free port; read `client.address`). */
  readonly port?: number;
  /** Local address to bind and dial from (default: the runtime's host). */
  readonly host?: string;
  /** 20 bytes; default `-PK0001-` + 12 random bytes (BEP 20). */
  readonly peerId?: Uint8Array;
  /** Accept incoming connections (default true). */
  readonly listen?: boolean;
  /** Tracker client (default: HTTP and UDP over the runtime). */
  readonly tracker?: TrackerClient;
  /** Defaults for every torrent (see TorrentSettings). */
  readonly settings?: Partial<TorrentSettings>;
}

export interface AddOptions {
  /** Peers to connect to at once (`--peer ip:port`). */
  readonly peers?: readonly Address[];
  /** Settings for this torrent, over the client's. */
  readonly settings?: Partial<TorrentSettings>;
}

/** A torrent to add: parsed metainfo, .torrent bytes, a magnet link or its URI. */
export type TorrentSource = Metainfo | MagnetLink | Uint8Array | string;

export interface ClientEvents {
  torrent: [torrent: Torrent];
  warning: [error: Error];
}

/** Incoming handshakes in progress at most (each holds a socket and a timer). */
const MAX_PENDING_HANDSHAKES = 64;

export class Client extends Emitter<ClientEvents> {
  readonly peerId: Uint8Array;
  readonly #runtime: Runtime;
  readonly #options: ClientOptions;
  readonly #host: string;
  readonly #tracker: TrackerClient;
  readonly #ownsTracker: boolean;
  readonly #torrents = new Map<string, Torrent>();
  /** HASH('req2', info-hash) hex → info-hash, for MSE responders. */
  readonly #req2 = new Map<string, Uint8Array>();
  readonly #pending = new Set<Connection>();
  #listener: Listener | undefined;
  #stopped = false;

  private constructor(options: ClientOptions) {
    super();
    this.#options = options;
    this.#runtime = options.runtime;
    this.#host = options.host ?? options.runtime.host;
    this.peerId = options.peerId ?? createPeerId(options.runtime.random);
    if (this.peerId.length !== 20) throw new RangeError('peerId must be 20 bytes');
    this.#ownsTracker = options.tracker === undefined;
    this.#tracker = options.tracker ?? createTrackerClient({ runtime: options.runtime });
  }

  static async create(options: ClientOptions): Promise<Client> {
    const client = new Client(options);
    if (options.listen !== false) {
      client.#listener = await options.runtime.net.listen(
        { port: options.port ?? 0, host: client.#host },
        (connection) => client.#onConnection(connection),
      );
    }
    return client;
  }

  /** Where we accept peers (port 0 when not listening). */
  get address(): Address {
    return this.#listener?.address ?? { host: this.#host, port: 0 };
  }

  get torrents(): readonly Torrent[] {
    return [...this.#torrents.values()];
  }

  get(infoHash: Uint8Array | string): Torrent | undefined {
    return this.#torrents.get(
      typeof infoHash === 'string' ? infoHash.toLowerCase() : toHex(infoHash),
    );
  }

  /**
   * Adds and starts a torrent. Throws MetainfoError / MagnetError for a refused source (nothing
   * is written then), P2PError `ERR_DUPLICATE_TORRENT` when it is already added, and the
   * storage's error when the torrent cannot start (it is stopped and removed then).
   */
  async add(source: TorrentSource, options: AddOptions = {}): Promise<Torrent> {
    if (this.#stopped) throw new P2PError('client stopped', 'ERR_STOPPED');
    const parsed = this.#parse(source);
    const infoHash = 'meta' in parsed ? parsed.meta.infoHash : parsed.magnet.infoHash;
    const hex = toHex(infoHash);
    if (this.#torrents.has(hex))
      throw new P2PError(`torrent ${hex} already added`, 'ERR_DUPLICATE_TORRENT');
    const settings: TorrentSettings = {
      ...DEFAULT_SETTINGS,
      ...this.#options.settings,
      ...options.settings,
    };
    const torrent = new Torrent(
      {
        runtime: this.#runtime,
        peerId: this.peerId,
        reserved: reservedFor({ extended: true, fast: true }),
        port: this.address.port,
        host: this.#host,
        storage: this.#options.storage,
        tracker: this.#tracker,
        settings,
      },
      parsed,
    );
    this.#torrents.set(hex, torrent);
    this.#req2.set(toHex(mseReq2Hash(infoHash, (d) => this.#runtime.hash.sha1(d))), infoHash);
    torrent.once('stopped', () => {
      if (this.#torrents.get(hex) === torrent) {
        this.#torrents.delete(hex);
        for (const [key, value] of this.#req2) if (toHex(value) === hex) this.#req2.delete(key);
      }
    });
    this.emit('torrent', torrent);
    await torrent.start();
    // It could not start (its storage refused: a file where a folder should be, no such
    // folder, no permission): say so here rather than only in an event nobody heard yet.
    if (torrent.error) throw torrent.error;
    if (options.peers) torrent.addPeers(options.peers);
    return torrent;
  }

  /** Stops and removes a torrent (its data stays where it is). */
  async remove(infoHash: Uint8Array | string): Promise<void> {
    await this.get(infoHash)?.stop();
  }

  /** Stops every torrent, the listener and the tracker client; releases every socket and timer. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#listener?.close();
    for (const connection of this.#pending) connection.destroy();
    this.#pending.clear();
    await Promise.allSettled([...this.#torrents.values()].map((t) => t.stop()));
    if (this.#ownsTracker) await this.#tracker.close();
  }

  #parse(source: TorrentSource): { meta: Metainfo } | { magnet: MagnetLink } {
    if (typeof source === 'string') return { magnet: parseMagnet(source) };
    if (source instanceof Uint8Array)
      return { meta: parseMetainfo(source, { hasher: this.#runtime.hash }) };
    if ('infoBytes' in source) return { meta: source };
    return { magnet: source };
  }

  #onConnection(connection: Connection): void {
    if (this.#stopped || this.#pending.size >= MAX_PENDING_HANDSHAKES) {
      connection.destroy();
      return;
    }
    const host = connection.remoteAddress.host;
    this.#pending.add(connection);
    const settings = { ...DEFAULT_SETTINGS, ...this.#options.settings };
    handshakeIncoming({
      connection,
      clock: this.#runtime.clock,
      random: this.#runtime.random,
      sha1: (d) => this.#runtime.hash.sha1(d),
      encryption: settings.encryption,
      timeoutMs: settings.handshakeTimeoutMs,
      lookup: (infoHash) => {
        const torrent = this.get(infoHash);
        if (!torrent?.accepts(host)) return undefined;
        return { peerId: this.peerId, reserved: reservedFor({ extended: true, fast: true }) };
      },
      findInfoHashByReq2: (hash) => this.#req2.get(toHex(hash)),
    }).then(
      (established) => {
        this.#pending.delete(connection);
        const torrent = this.get(established.infoHash);
        if (!torrent || this.#stopped) connection.destroy();
        else torrent.attach(established, true);
      },
      () => {
        this.#pending.delete(connection);
      },
    );
  }
}

/** Creates a client and starts listening. */
export function createClient(options: ClientOptions): Promise<Client> {
  return Client.create(options);
}
