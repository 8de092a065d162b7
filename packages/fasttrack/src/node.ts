/**
 * A FastTrack node: an ordinary node (one parent supernode and a standby, its shares uploaded
 * to the parent, searches through it) or a supernode (an index of its children's files,
 * queries answered from it and forwarded to other supernodes, refresh lists), and the election
 * that moves a node from one role to the other. Everything runs on the Runtime handed in:
 * real TCP with core's Node runtime, or @p2pkit/sim's hosts.
 *
 * This file keeps the public API and the connections (accept, dial, adopt, drop); the jobs
 * live in parts that share a NodeContext (node-context.ts): roles.ts (attach, standby,
 * becoming a supernode and stepping down), handlers.ts (incoming requests), upkeep.ts
 * (maintenance, promotion, refresh lists) and transfers.ts (downloads, Push/GIVE, uploads).
 */
import {
  type Address,
  type Connection,
  Emitter,
  formatAddress,
  type Listener,
  P2PError,
  type Runtime,
  serveHttp,
  type TimerHandle,
} from '@p2pkit/core';
import { SupernodeCache } from './cache.js';
import { type Resolved, resolveOptions } from './defaults.js';
import { RequestHandlers } from './handlers.js';
import { Link, type LinkCounters } from './link.js';
import {
  ByeReason,
  decodeResults,
  encodeBye,
  encodeQuery,
  encodeUnshare,
  MAX_SHARE_BATCH,
  MessageType,
} from './messages.js';
import { alternatives, type NodeContext } from './node-context.js';
import type {
  DownloadOptions,
  DownloadResult,
  FastTrackEvents,
  FastTrackOptions,
  LocalFile,
  NodeRole,
  NodeStats,
  SearchAnswer,
  SearchOptions,
} from './options.js';
import { Reputation } from './reputation-service.js';
import { Roles } from './roles.js';
import { QueryRouter, type QuerySource } from './router.js';
import { acceptSession, dialSession, isSessionMagic, readHead } from './session.js';
import { type HashFolderOptions, hashFolder } from './share-folder.js';
import { Transfers } from './transfers.js';
import { Upkeep } from './upkeep.js';
import { hashToHex } from './uuhash.js';
import type { SearchResult, SupernodeEntry } from './wire.js';

export class FastTrackNode extends Emitter<FastTrackEvents> {
  /** 16 random bytes: how others know this node. */
  readonly id: Uint8Array;
  readonly #o: Resolved;
  readonly #runtime: Runtime;
  #listener: Listener | undefined;
  #advertise: Address = { host: '0.0.0.0', port: 0 };
  #stopped = false;
  readonly #timers: TimerHandle[] = [];
  readonly #links = new Set<Link>();
  readonly #connections = new Set<Connection>();
  readonly #counters: LinkCounters = { sent: {}, received: {}, sentBytes: 0 };
  readonly #cache = new SupernodeCache();
  readonly #reputation: Reputation;
  readonly #files = new Map<string, LocalFile>();
  readonly #children = new Map<string, Link>();
  readonly #peers = new Map<string, Link>();
  readonly #router: QueryRouter;
  readonly #ctx: NodeContext;
  readonly #transfers: Transfers;
  readonly #roles: Roles;
  readonly #upkeep: Upkeep;
  readonly #handlers: RequestHandlers;
  readonly #stats: NodeStats = {
    sent: this.#counters.sent,
    received: this.#counters.received,
    duplicates: 0,
    queriesAnswered: 0,
    uploadedBytes: 0,
    downloadedBytes: 0,
    reparents: 0,
    sharesRefused: 0,
    claimsRefused: 0,
  };

  constructor(options: FastTrackOptions) {
    super();
    this.#o = resolveOptions(options);
    this.#runtime = options.runtime;
    this.id = this.#runtime.random.bytes(16);
    this.#router = new QueryRouter({
      self: this as QuerySource,
      maxPerOwner: this.#o.maxSharesPerChild,
      queryTtl: this.#o.queryTtl,
      random: this.#runtime.random,
      onDuplicate: () => {
        this.#stats.duplicates++;
      },
    });
    this.#reputation = new Reputation({
      mode: this.#o.reputation,
      node: this,
      children: (hex) => this.#children.get(hex),
      peer: (address) => this.#peers.get(formatAddress(address)),
      parent: () => this.#roles.parent,
    });
    for (const f of options.files ?? []) this.#files.set(hashToHex(f.uuhash), f);
    const ctx = this.#context();
    this.#ctx = ctx;
    this.#transfers = new Transfers(ctx);
    this.#roles = new Roles(ctx, {
      becameSupernode: () => this.#upkeep.becameSupernode(),
      peerLinked: (address) => this.#upkeep.peerLinked(address),
    });
    this.#upkeep = new Upkeep(ctx, this.#roles);
    this.#handlers = new RequestHandlers(ctx, {
      roles: this.#roles,
      transfers: this.#transfers,
      upkeep: this.#upkeep,
      counters: this.#counters,
    });
  }

  get role(): NodeRole {
    return this.#roles.role;
  }

  /** Where this node listens (and what it advertises); valid after start(). */
  get address(): Address {
    return this.#advertise;
  }

  get parent(): Address | undefined {
    return this.#roles.parent?.remote;
  }

  get standby(): Address | undefined {
    return this.#roles.standby?.remote;
  }

  get children(): number {
    return this.#children.size;
  }

  get peers(): Address[] {
    return [...this.#peers.values()].map((l) => l.remote);
  }

  /** Entries in this supernode's index (its children's files and its own). */
  get indexSize(): number {
    return this.#router.index.size;
  }

  /** Supernodes this node knows of (its bootstrap cache). */
  get knownSupernodes(): SupernodeEntry[] {
    return this.#cache.list(this.#runtime.clock.now());
  }

  get stats(): Readonly<NodeStats> {
    return this.#stats;
  }

  get files(): LocalFile[] {
    return [...this.#files.values()];
  }

  /** @internal What the router needs about this node. */
  get advertise(): Address {
    return this.#advertise;
  }

  /** @internal */
  get firewalled(): boolean {
    return this.#o.firewalled;
  }

  /** @internal */
  get peerLinks(): Iterable<Link> {
    return this.#peers.values();
  }

  async start(): Promise<void> {
    if (this.#listener) return;
    const { runtime } = this;
    this.#roles.started(runtime.clock.now());
    this.#listener = await runtime.net.listen(
      { port: this.#o.port, host: this.#o.host ?? runtime.host },
      (c) => this.#accept(c),
    );
    this.#advertise = this.#o.advertise ?? this.#listener.address;
    const now = runtime.clock.now();
    for (const p of this.#o.peers) this.#cache.learn(p, 0, 0, now);
    this.#timers.push(
      runtime.clock.setInterval(() => this.#upkeep.maintain(), this.#o.maintenanceIntervalMs),
      runtime.clock.setInterval(() => this.#upkeep.refresh(), this.#o.refreshIntervalMs),
    );
    if (this.#o.role === 'supernode') await this.#roles.becomeSupernode();
    else await this.#roles.attach();
  }

  /** Leaves: children are told where to go, every session and socket is closed. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) this.#runtime.clock.clearTimeout(t);
    this.#timers.length = 0;
    if (this.#roles.role === 'supernode') {
      const bye = encodeBye({ reason: ByeReason.leaving, alternatives: alternatives(this.#ctx) });
      for (const c of this.#children.values()) c.notify(MessageType.BYE, bye);
    }
    await Promise.all([...this.#links].map((l) => l.close().catch(() => {})));
    for (const c of this.#connections) c.destroy();
    await this.#listener?.close();
  }

  /** Shares more files (uploaded to the parent, or indexed here on a supernode). */
  async share(files: readonly LocalFile[]): Promise<void> {
    for (const f of files) this.#files.set(hashToHex(f.uuhash), f);
    if (this.#roles.role === 'supernode') this.#router.index.add('self', files);
    else if (this.#roles.parent) await this.#roles.upload(this.#roles.parent, files);
  }

  async unshare(uuhashes: readonly Uint8Array[]): Promise<void> {
    for (const h of uuhashes) this.#files.delete(hashToHex(h));
    if (this.#roles.role === 'supernode') this.#router.index.remove('self', uuhashes);
    else if (this.#roles.parent) {
      for (let i = 0; i < uuhashes.length; i += MAX_SHARE_BATCH) {
        const batch = uuhashes.slice(i, i + MAX_SHARE_BATCH);
        await this.#roles.parent.request(MessageType.UNSHARE, encodeUnshare(batch));
      }
    }
  }

  /** Searches the network: through the parent, or from here on a supernode. */
  async search(words: string, options: SearchOptions = {}): Promise<SearchAnswer> {
    const spec = {
      words,
      maxResults: options.maxResults ?? 100,
      ...(options.uuhash ? { uuhash: options.uuhash } : {}),
    };
    const timeoutMs = options.timeoutMs ?? this.#o.queryTimeoutMs + 1_000;
    if (this.#roles.role === 'supernode') {
      return this.#router.resolve(spec, undefined, this.#o.queryTimeoutMs);
    }
    const parent = this.#roles.parent;
    if (!parent) throw new P2PError('not attached to a supernode yet', 'ERR_NOT_CONNECTED');
    const response = await parent.request(MessageType.QUERY, encodeQuery(spec), {
      timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return decodeResults(response.body);
  }

  get runtime(): Runtime {
    return this.#runtime;
  }

  /** Supernode: the participation level of one of its children (from what others reported). */
  levelOf(nodeId: Uint8Array): number {
    return this.#reputation.localLevel(nodeId);
  }

  /** Body bytes this node has sent (requests, oneway messages, answers). */
  get bytesSent(): number {
    return this.#counters.sentBytes;
  }

  /** Open overlay sessions (parent, standby, children, supernode peers, clients). */
  get sessions(): number {
    return this.#links.size;
  }

  /** Hashes the files of the node's folder (UUHash, pieces, root) and shares them. */
  async shareFolder(options: HashFolderOptions = {}): Promise<LocalFile[]> {
    const folder = this.#o.folder;
    if (!folder) throw new P2PError('no folder to share (options.folder)', 'ERR_INVALID_ARGUMENT');
    const files = await hashFolder(folder, this.#runtime.hash, options);
    await this.share(files);
    return files;
  }

  /**
   * Downloads the file of `results[0]` from every result with the same content (multi-source,
   * 256 KiB pieces verified against the root, resumable from `<name>.part`); firewalled
   * holders are asked for a Push through their supernode.
   */
  async download(
    results: readonly SearchResult[],
    options: DownloadOptions = {},
  ): Promise<DownloadResult> {
    return this.#transfers.download(results, options);
  }

  /** What the parts share, built once; the getters read this node's current state. */
  #context(): NodeContext {
    const node = this;
    return {
      runtime: this.#runtime,
      o: this.#o,
      id: this.id,
      get role() {
        return node.#roles.role;
      },
      get stopped() {
        return node.#stopped;
      },
      get advertise() {
        return node.#advertise;
      },
      get parent() {
        return node.#roles.parent;
      },
      cache: this.#cache,
      reputation: this.#reputation,
      router: this.#router,
      stats: this.#stats,
      files: this.#files,
      children: this.#children,
      peers: this.#peers,
      dial: (address) => this.#dial(address),
      hello: (role) => this.#roles.hello(role),
      emit: (event, ...args) => {
        this.emit(event, ...args);
      },
    };
  }

  // Connections --------------------------------------------------------------------------

  #sessionOptions() {
    return {
      runtime: this.#runtime,
      self: this,
      advertise: this.#advertise,
      timeoutMs: this.#o.requestTimeoutMs,
    };
  }

  #accept(connection: Connection): void {
    if (this.#stopped) {
      connection.destroy();
      return;
    }
    this.#connections.add(connection);
    connection.once('close', () => this.#connections.delete(connection));
    readHead(this.#runtime, connection, 4, 10_000).then(
      (head) => {
        if (isSessionMagic(head)) {
          const rpc = acceptSession(connection, head, this.#sessionOptions());
          if (rpc) this.#adopt(new Link(rpc, false, this.#counters, this.#runtime.clock.now()));
          return;
        }
        const start = String.fromCharCode(...head.subarray(0, 4));
        if (start === 'GET ' || start === 'HEAD') {
          void serveHttp(
            connection,
            { runtime: this.#runtime, handler: this.#transfers.http },
            head,
          );
          return;
        }
        if (start === 'GIVE') {
          this.#transfers.onGive(connection, head);
          return;
        }
        connection.destroy();
      },
      () => connection.destroy(),
    );
  }

  async #dial(address: Address): Promise<Link> {
    const rpc = await dialSession(address, {
      ...this.#sessionOptions(),
      handshakeTimeoutMs: this.#o.requestTimeoutMs,
    });
    const link = new Link(rpc, true, this.#counters, this.#runtime.clock.now());
    link.remote = address;
    this.#adopt(link);
    return link;
  }

  #adopt(link: Link): void {
    if (this.#stopped) {
      void link.close();
      return;
    }
    this.#links.add(link);
    this.#handlers.serve(link);
    link.rpc.on('close', () => this.#drop(link));
  }

  #drop(link: Link): void {
    if (!this.#links.delete(link)) return;
    const key = hashToHex(link.remoteId);
    if (this.#children.get(key) === link) {
      this.#children.delete(key);
      this.#router.index.removeOwner(link);
      this.emit('childLeft', link.remote);
    }
    const pk = formatAddress(link.remote);
    if (this.#peers.get(pk) === link) this.#peers.delete(pk);
    this.#roles.closed(link);
  }
}
