/**
 * A FastTrack node: an ordinary node (one parent supernode and a standby, its shares uploaded
 * to the parent, searches through it) or a supernode (an index of its children's files,
 * queries answered from it and forwarded to other supernodes, refresh lists), and the election
 * that moves a node from one role to the other. Everything runs on the Runtime handed in:
 * real TCP with core's Node runtime, or @p2pkit/sim's hosts.
 */
import {
  type Address,
  type Connection,
  Emitter,
  formatAddress,
  type Listener,
  P2PError,
  type RpcRequest,
  type Runtime,
  serveHttp,
  type TimerHandle,
} from '@p2pkit/core';
import { SupernodeCache } from './cache.js';
import { type Resolved, resolveOptions } from './defaults.js';
import { count, Link, type LinkCounters } from './link.js';
import {
  ByeReason,
  decodeBye,
  decodeHello,
  decodeHelloReply,
  decodeQuery,
  decodeRefresh,
  decodeResults,
  decodeShareReply,
  decodeStatus,
  EMPTY,
  encodeBye,
  encodeHello,
  encodeHelloReply,
  encodeQuery,
  encodeRefresh,
  encodeResults,
  encodeShare,
  encodeStatus,
  encodeUnshare,
  type Hello,
  type HelloReply,
  HelloStatus,
  MAX_SHARE_BATCH,
  MessageType,
  Role,
} from './messages.js';
import { AVOID_MS, type NodeContext } from './node-context.js';
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
import { measureUpload } from './probe.js';
import { Reputation } from './reputation-service.js';
import { QueryRouter, type QuerySource } from './router.js';
import { acceptSession, dialSession, isSessionMagic, readHead } from './session.js';
import { type HashFolderOptions, hashFolder } from './share-folder.js';
import { Transfers } from './transfers.js';
import { hashToHex } from './uuhash.js';
import type { SearchResult, SupernodeEntry } from './wire.js';

/** Supernodes tried in one attachment round. */
const ATTACH_TRIES = 8;

export class FastTrackNode extends Emitter<FastTrackEvents> {
  /** 16 random bytes: how others know this node. */
  readonly id: Uint8Array;
  readonly #o: Resolved;
  readonly #runtime: Runtime;
  #listener: Listener | undefined;
  #advertise: Address = { host: '0.0.0.0', port: 0 };
  #role: NodeRole = 'ordinary';
  #startedAt = 0;
  #stopped = false;
  readonly #timers: TimerHandle[] = [];
  readonly #links = new Set<Link>();
  readonly #connections = new Set<Connection>();
  readonly #counters: LinkCounters = { sent: {}, received: {}, sentBytes: 0 };
  readonly #cache = new SupernodeCache();
  readonly #reputation: Reputation;
  readonly #files = new Map<string, LocalFile>();
  #parent: Link | undefined;
  #standby: Link | undefined;
  #attaching: Promise<void> | undefined;
  #lostAt: number | undefined;
  #lostCause: 'lost' | 'bye' = 'lost';
  #underloadedSince: number | undefined;
  #promoting = false;
  /** The child we asked to become a supernode, until it links to us as one. */
  #promoted: string | undefined;
  readonly #children = new Map<string, Link>();
  readonly #peers = new Map<string, Link>();
  readonly #router: QueryRouter;
  readonly #transfers: Transfers;
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
      parent: () => this.#parent,
    });
    for (const f of options.files ?? []) this.#files.set(hashToHex(f.uuhash), f);
    const ctx = this.#context();
    this.#transfers = new Transfers(ctx);
  }

  get role(): NodeRole {
    return this.#role;
  }

  /** Where this node listens (and what it advertises); valid after start(). */
  get address(): Address {
    return this.#advertise;
  }

  get parent(): Address | undefined {
    return this.#parent?.remote;
  }

  get standby(): Address | undefined {
    return this.#standby?.remote;
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
    this.#startedAt = runtime.clock.now();
    this.#listener = await runtime.net.listen(
      { port: this.#o.port, host: this.#o.host ?? runtime.host },
      (c) => this.#accept(c),
    );
    this.#advertise = this.#o.advertise ?? this.#listener.address;
    const now = runtime.clock.now();
    for (const p of this.#o.peers) this.#cache.learn(p, 0, 0, now);
    this.#timers.push(
      runtime.clock.setInterval(() => this.#maintain(), this.#o.maintenanceIntervalMs),
      runtime.clock.setInterval(() => this.#refresh(), this.#o.refreshIntervalMs),
    );
    if (this.#o.role === 'supernode') await this.#becomeSupernode();
    else await this.#attach();
  }

  /** Leaves: children are told where to go, every session and socket is closed. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) this.#runtime.clock.clearTimeout(t);
    this.#timers.length = 0;
    if (this.#role === 'supernode') {
      const bye = encodeBye({ reason: ByeReason.leaving, alternatives: this.#alternatives() });
      for (const c of this.#children.values()) c.notify(MessageType.BYE, bye);
    }
    await Promise.all([...this.#links].map((l) => l.close().catch(() => {})));
    for (const c of this.#connections) c.destroy();
    await this.#listener?.close();
  }

  /** Shares more files (uploaded to the parent, or indexed here on a supernode). */
  async share(files: readonly LocalFile[]): Promise<void> {
    for (const f of files) this.#files.set(hashToHex(f.uuhash), f);
    if (this.#role === 'supernode') this.#router.index.add('self', files);
    else if (this.#parent) await this.#upload(this.#parent, files);
  }

  async unshare(uuhashes: readonly Uint8Array[]): Promise<void> {
    for (const h of uuhashes) this.#files.delete(hashToHex(h));
    if (this.#role === 'supernode') this.#router.index.remove('self', uuhashes);
    else if (this.#parent) {
      for (let i = 0; i < uuhashes.length; i += MAX_SHARE_BATCH) {
        const batch = uuhashes.slice(i, i + MAX_SHARE_BATCH);
        await this.#parent.request(MessageType.UNSHARE, encodeUnshare(batch));
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
    if (this.#role === 'supernode') {
      return this.#router.resolve(spec, undefined, this.#o.queryTimeoutMs);
    }
    const parent = this.#parent;
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
        return node.#role;
      },
      get stopped() {
        return node.#stopped;
      },
      get advertise() {
        return node.#advertise;
      },
      get parent() {
        return node.#parent;
      },
      cache: this.#cache,
      reputation: this.#reputation,
      router: this.#router,
      stats: this.#stats,
      files: this.#files,
      children: this.#children,
      peers: this.#peers,
      dial: (address) => this.#dial(address),
      hello: (role) => this.#hello(role),
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
    const { rpc } = link;
    const on = (type: number, handler: (r: RpcRequest) => Uint8Array | Promise<Uint8Array>) =>
      rpc.handle(type, async (request) => {
        count(this.#counters.received, type);
        const answer = await handler(request);
        if (!request.oneway) {
          const c = this.#counters;
          const name =
            type === MessageType.QUERY || type === MessageType.FORWARD ? 'results' : 'reply';
          c.sent[name] = (c.sent[name] ?? 0) + 1;
          c.sentBytes += answer.length;
        }
        return answer;
      });
    on(MessageType.HELLO, (r) => this.#onHello(link, r));
    on(MessageType.SHARE, (r) => this.#router.onShare(link, r.body, this.#stats));
    on(MessageType.UNSHARE, (r) => this.#router.onUnshare(link, r.body));
    on(MessageType.QUERY, (r) => this.#onQuery(link, r));
    on(MessageType.FORWARD, (r) => this.#onForward(link, r));
    on(MessageType.REFRESH, (r) => {
      this.#cache.merge(decodeRefresh(r.body), this.#runtime.clock.now(), this.#advertise);
      return EMPTY;
    });
    on(MessageType.BYE, (r) => this.#onBye(link, r));
    on(MessageType.PROMOTE, () => this.#onPromote(link));
    on(MessageType.PING, () => EMPTY);
    on(MessageType.PUSH, (r) => this.#transfers.onPush(link, r));
    on(MessageType.REPORT, (r) => this.#reputation.onReport(link, r.body));
    on(MessageType.CREDIT, (r) => this.#reputation.onCredit(link, r.body));
    on(MessageType.LEVEL, (r) => this.#reputation.onLevel(r.body));
    rpc.on('close', () => this.#drop(link));
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
    if (this.#standby === link) this.#standby = undefined;
    if (this.#parent === link) {
      this.#parent = undefined;
      if (!this.#stopped && this.#role === 'ordinary') {
        this.#cache.avoid(link.remote, this.#runtime.clock.now() + AVOID_MS);
        this.#lostAt ??= this.#runtime.clock.now();
        void this.#attach();
      }
    }
  }

  // Handlers -----------------------------------------------------------------------------

  #load(): number {
    return Math.round((100 * this.#children.size) / this.#o.targetChildren);
  }

  #supernodeList(): SupernodeEntry[] {
    const now = this.#runtime.clock.now();
    const list = this.#cache.list(now, 199);
    if (this.#role === 'supernode')
      list.unshift({ address: this.#advertise, load: this.#load(), ageS: 0 });
    return list;
  }

  #alternatives(): SupernodeEntry[] {
    const since = this.#runtime.clock.now() - 4 * this.#o.refreshIntervalMs;
    return this.#cache.lighterThan(100, since).slice(0, 20);
  }

  #reply(status: HelloStatus, remote: Address): Uint8Array {
    const reply: HelloReply = {
      status,
      supernode: this.#role === 'supernode',
      needSupernodes: this.#children.size > this.#o.targetChildren,
      observed: remote,
      children: this.#children.size,
      targetChildren: this.#o.targetChildren,
      supernodes: this.#supernodeList(),
    };
    return encodeHelloReply(reply);
  }

  async #onHello(link: Link, request: RpcRequest): Promise<Uint8Array> {
    const hello = decodeHello(request.body);
    link.remoteId = request.sender.id.slice();
    link.remote = request.sender.address;
    link.hello = hello;
    const remote = link.remote;
    if (hello.role === Role.client) {
      link.kind = 'client';
      return this.#reply(HelloStatus.ok, remote);
    }
    if (this.#role !== 'supernode') return this.#reply(HelloStatus.notSupernode, remote);
    if (hello.role === Role.peer) {
      if (this.#peers.size >= this.#o.maxPeers) return this.#reply(HelloStatus.full, remote);
      if (!(hello.supernode && (await this.#capable(hello, remote)))) {
        this.#stats.claimsRefused++;
        this.emit(
          'warning',
          new P2PError(`${formatAddress(remote)}: supernode claim refused`, 'ERR_NOT_CAPABLE'),
        );
        return this.#reply(HelloStatus.notCapable, remote);
      }
      link.kind = 'peer';
      this.#peers.set(formatAddress(remote), link);
      this.#cache.learn(remote, 0, 0, this.#runtime.clock.now());
      this.#peerLinked(remote);
      return this.#reply(HelloStatus.ok, remote);
    }
    // A child, or a standby (a child that uploads only when it fails over to us).
    const key = hashToHex(link.remoteId);
    if (!this.#children.has(key) && this.#children.size >= this.#o.maxChildren) {
      return this.#reply(HelloStatus.full, remote);
    }
    link.firewalled = hello.firewalled;
    if (hello.role === Role.standby) {
      link.kind = 'standby';
      return this.#reply(HelloStatus.ok, remote);
    }
    const old = this.#children.get(key);
    if (old && old !== link) {
      this.#router.index.removeOwner(old);
      void old.close();
    }
    link.kind = 'child';
    this.#children.set(key, link);
    this.emit('child', remote);
    return this.#reply(HelloStatus.ok, remote);
  }

  /**
   * Whether a node claiming to be a supernode is one: it must say it is reachable and has been
   * up long enough, and its port must serve our upload probe at the minimum rate (which also
   * proves it reachable: a firewalled claimant fails here whatever it says).
   */
  async #capable(hello: Hello, remote: Address): Promise<boolean> {
    if (hello.firewalled || hello.uptimeS * 1000 < this.#o.minUptimeMs) return false;
    const kbps = await measureUpload(this.#runtime, remote, this.#o.requestTimeoutMs);
    return kbps >= this.#o.minUploadKBps;
  }

  async #onQuery(link: Link, request: RpcRequest): Promise<Uint8Array> {
    if (this.#role !== 'supernode') throw new P2PError('not a supernode', 'ERR_NOT_SUPERNODE');
    if (link.kind !== 'child' && link.kind !== 'client' && link.kind !== 'standby') {
      throw new P2PError('QUERY before HELLO', 'ERR_PROTOCOL');
    }
    this.#stats.queriesAnswered++;
    const spec = decodeQuery(request.body);
    const answer = await this.#router.resolve(spec, undefined, this.#o.queryTimeoutMs);
    return encodeAnswer(answer);
  }

  async #onForward(link: Link, request: RpcRequest): Promise<Uint8Array> {
    if (this.#role !== 'supernode' || link.kind !== 'peer') {
      throw new P2PError('FORWARD to a node that is not our supernode peer', 'ERR_PROTOCOL');
    }
    const answer = await this.#router.onForward(link, request.body);
    return encodeAnswer(answer);
  }

  #onBye(link: Link, request: RpcRequest): Uint8Array {
    const bye = decodeBye(request.body);
    const now = this.#runtime.clock.now();
    this.#cache.merge(bye.alternatives, now, this.#advertise);
    if (link === this.#parent) {
      this.#lostAt = now;
      this.#lostCause = 'bye';
      this.#cache.avoid(link.remote, now + AVOID_MS);
      this.#parent = undefined;
      void link.close();
      void this.#attach(bye.alternatives.map((e) => e.address));
    } else {
      void link.close();
    }
    return EMPTY;
  }

  async #onPromote(link: Link): Promise<Uint8Array> {
    const ok =
      link === this.#parent &&
      this.#o.role === 'auto' &&
      this.#role === 'ordinary' &&
      this.#selfCapable();
    if (!ok) return encodeStatus(1);
    // Answer first, then change role (the answer travels on the session we are about to drop).
    this.#runtime.clock.setTimeout(() => void this.#becomeSupernode(), 0);
    return encodeStatus(0);
  }

  // Roles --------------------------------------------------------------------------------

  #uptimeMs(): number {
    return this.#runtime.clock.now() - this.#startedAt;
  }

  /** A child's uptime: what it claimed in its HELLO, plus how long we have known it. */
  #uptimeOf(link: Link): number {
    const claimed = (link.hello?.uptimeS ?? 0) * 1000;
    return claimed + this.#runtime.clock.now() - link.since;
  }

  #selfCapable(): boolean {
    return (
      !this.#o.firewalled &&
      this.#uptimeMs() >= this.#o.minUptimeMs &&
      this.#o.uploadKBps >= this.#o.minUploadKBps
    );
  }

  #hello(role: Role): Uint8Array {
    return encodeHello({
      role,
      firewalled: this.#o.firewalled,
      supernode: this.#role === 'supernode',
      claimedLevel: this.#o.claimedLevel ?? 100,
      uptimeS: Math.floor(this.#uptimeMs() / 1000),
      uploadKBps: this.#o.uploadKBps,
      shares: this.#files.size,
    });
  }

  async #becomeSupernode(): Promise<void> {
    if (this.#stopped || this.#role === 'supernode') return;
    this.#role = 'supernode';
    const parent = this.#parent;
    const standby = this.#standby;
    this.#parent = undefined;
    this.#standby = undefined;
    if (parent) this.#cache.learn(parent.remote, 0, 0, this.#runtime.clock.now());
    await Promise.all([parent?.close(), standby?.close()]);
    this.#router.index.add('self', [...this.#files.values()]);
    this.#underloadedSince = undefined;
    this.emit('role', 'supernode');
    await this.#linkPeers();
  }

  async #stepDown(): Promise<void> {
    if (this.#role !== 'supernode' || this.#peers.size === 0) return;
    const bye = encodeBye({ reason: ByeReason.steppingDown, alternatives: this.#alternatives() });
    for (const c of this.#children.values()) c.notify(MessageType.BYE, bye);
    this.#role = 'ordinary';
    this.#router.index.removeOwner('self');
    const links = [...this.#children.values(), ...this.#peers.values()];
    await Promise.all(links.map((l) => l.close().catch(() => {})));
    this.emit('role', 'ordinary');
    await this.#attach();
  }

  /** Dials supernodes as peers until targetPeers are linked (a few per call). */
  async #linkPeers(): Promise<void> {
    const now = this.#runtime.clock.now();
    const exclude = new Set([...this.#peers.keys(), formatAddress(this.#advertise)]);
    const want = this.#o.targetPeers - this.#peers.size;
    if (want <= 0) return;
    const candidates = this.#cache.candidates(now, this.#runtime.random, exclude).slice(0, want);
    await Promise.all(
      candidates.map(async (address) => {
        try {
          const link = await this.#dial(address);
          const reply = decodeHelloReply(
            (await link.request(MessageType.HELLO, this.#hello(Role.peer))).body,
          );
          this.#cache.merge(reply.supernodes, this.#runtime.clock.now(), this.#advertise);
          const key = formatAddress(address);
          if (
            reply.status !== HelloStatus.ok ||
            this.#role !== 'supernode' ||
            this.#peers.has(key)
          ) {
            this.#cache.avoid(address, this.#runtime.clock.now() + AVOID_MS);
            await link.close();
            return;
          }
          link.kind = 'peer';
          this.#peers.set(key, link);
          this.#peerLinked(address);
        } catch {
          this.#cache.avoid(address, this.#runtime.clock.now() + AVOID_MS);
        }
      }),
    );
  }

  /** Finds a parent (alternatives first, then the standby, then the cache) and uploads. */
  #attach(alternatives: Address[] = []): Promise<void> {
    this.#attaching ??= this.#attachOnce(alternatives).finally(() => {
      this.#attaching = undefined;
    });
    return this.#attaching;
  }

  async #attachOnce(alternatives: Address[]): Promise<void> {
    if (this.#stopped || this.#role !== 'ordinary' || this.#parent) return;
    const runtime = this.#runtime;
    let attached = false;
    // The standby is already connected: fail over to it first.
    const standby = this.#standby;
    if (standby?.open) {
      this.#standby = undefined;
      attached = await this.#tryParent(standby);
    }
    const tried = new Set<string>([formatAddress(this.#advertise)]);
    const queue = [...alternatives];
    for (let tries = 0; !attached && tries < ATTACH_TRIES && !this.#stopped; tries++) {
      let next = queue.shift();
      while (next && tried.has(formatAddress(next))) next = queue.shift();
      if (!next) {
        next = this.#cache.candidates(runtime.clock.now(), runtime.random, tried)[0];
      }
      if (!next) break;
      tried.add(formatAddress(next));
      try {
        const link = await this.#dial(next);
        attached = await this.#tryParent(link);
        if (!attached) await link.close();
      } catch {
        this.#cache.avoid(next, runtime.clock.now() + AVOID_MS);
      }
    }
    if (!attached) {
      // Nobody to attach to: the first node of a network, or every supernode gone.
      if (this.#o.role === 'auto' && (this.#cache.size === 0 || this.#selfCapable())) {
        await this.#becomeSupernode();
      }
      return;
    }
    await this.#ensureStandby();
  }

  /** HELLO as a child on `link`; on ok it becomes the parent and gets our shares. */
  async #tryParent(link: Link): Promise<boolean> {
    const runtime = this.#runtime;
    try {
      const response = await link.request(MessageType.HELLO, this.#hello(Role.child));
      const reply = decodeHelloReply(response.body);
      this.#cache.merge(reply.supernodes, runtime.clock.now(), this.#advertise);
      if (reply.status !== HelloStatus.ok || !reply.supernode || this.#stopped) {
        this.#cache.avoid(link.remote, runtime.clock.now() + AVOID_MS);
        return false;
      }
      if (this.#role !== 'ordinary' || this.#parent) return false;
      link.kind = 'parent';
      this.#parent = link;
      this.#cache.learn(
        link.remote,
        Math.round((100 * reply.children) / Math.max(1, reply.targetChildren)),
        0,
        runtime.clock.now(),
      );
      await this.#upload(link, [...this.#files.values()]);
      if (this.#parent !== link) return false;
      this.emit('parent', link.remote);
      if (this.#lostAt !== undefined) {
        const ms = runtime.clock.now() - this.#lostAt;
        this.#stats.reparents++;
        this.emit('reparent', { cause: this.#lostCause, ms, parent: link.remote });
        this.#lostAt = undefined;
        this.#lostCause = 'lost';
      }
      return true;
    } catch {
      this.#cache.avoid(link.remote, runtime.clock.now() + AVOID_MS);
      return false;
    }
  }

  async #ensureStandby(): Promise<void> {
    if (this.#standby?.open || !this.#parent || this.#stopped) return;
    const runtime = this.#runtime;
    const exclude = new Set([formatAddress(this.#parent.remote), formatAddress(this.#advertise)]);
    const next = this.#cache.candidates(runtime.clock.now(), runtime.random, exclude)[0];
    if (!next) return;
    try {
      const link = await this.#dial(next);
      const reply = decodeHelloReply(
        (await link.request(MessageType.HELLO, this.#hello(Role.standby))).body,
      );
      if (
        reply.status === HelloStatus.ok &&
        reply.supernode &&
        this.#role === 'ordinary' &&
        !this.#standby
      ) {
        link.kind = 'standby';
        this.#standby = link;
      } else {
        await link.close();
      }
    } catch {
      this.#cache.avoid(next, runtime.clock.now() + AVOID_MS);
    }
  }

  async #upload(link: Link, files: readonly LocalFile[]): Promise<void> {
    for (let i = 0; i < files.length; i += MAX_SHARE_BATCH) {
      const batch = files.slice(i, i + MAX_SHARE_BATCH).map(entryOf);
      const reply = decodeShareReply(
        (await link.request(MessageType.SHARE, encodeShare(batch))).body,
      );
      if (reply.limited) {
        this.emit(
          'warning',
          new P2PError(`parent took ${reply.total} of our files (its limit)`, 'ERR_LIMIT'),
        );
        return;
      }
    }
  }

  // Upkeep -------------------------------------------------------------------------------

  #maintain(): void {
    if (this.#stopped) return;
    if (this.#role === 'ordinary') {
      if (!this.#parent) void this.#attach();
      else void this.#ensureStandby();
      return;
    }
    void this.#linkPeers();
    if (this.#o.role !== 'auto') return;
    const now = this.#runtime.clock.now();
    if (this.#children.size > this.#o.targetChildren) void this.#promoteOne();
    if (this.#children.size < this.#o.targetChildren / 4 && this.#peers.size > 0) {
      this.#underloadedSince ??= now;
      if (now - this.#underloadedSince >= this.#o.stepDownAfterMs) void this.#stepDown();
    } else {
      this.#underloadedSince = undefined;
    }
  }

  /**
   * The tier needs another supernode: ask our most capable child (reachable, longest up,
   * fastest claimed upload) to become one, then send it half of our surplus children.
   */
  async #promoteOne(): Promise<void> {
    if (this.#promoting) return;
    this.#promoting = true;
    try {
      const candidates = [...this.#children.values()]
        .filter((l) => !l.firewalled && this.#uptimeOf(l) >= this.#o.minUptimeMs)
        .sort((a, b) => (b.hello?.uploadKBps ?? 0) - (a.hello?.uploadKBps ?? 0));
      for (const child of candidates.slice(0, 3)) {
        if (!(child.hello && child.hello.uploadKBps >= this.#o.minUploadKBps)) continue;
        // Set before asking: the child may link back before its answer arrives, or drop our
        // session (and the answer with it) as it changes role.
        this.#promoted = formatAddress(child.remote);
        const status = await child
          .request(MessageType.PROMOTE, EMPTY)
          .then((r) => decodeStatus(r.body))
          .catch(() => 0);
        if (status !== 0) {
          this.#promoted = undefined;
          continue;
        }
        // Children move once it has linked to us as a supernode (see #peerLinked).
        this.#cache.learn(child.remote, 0, 0, this.#runtime.clock.now());
        return;
      }
    } catch (error) {
      this.emit('warning', error as Error);
    } finally {
      this.#promoting = false;
    }
  }

  /** A supernode link is up: if it is the child we promoted, send it some children. */
  #peerLinked(address: Address): void {
    if (this.#promoted !== formatAddress(address)) return;
    this.#promoted = undefined;
    this.#rebalanceTo(address);
  }

  /** Sends half of our surplus children to a new supernode. */
  #rebalanceTo(address: Address): void {
    const surplus = Math.max(1, Math.floor((this.#children.size - this.#o.targetChildren / 2) / 2));
    const bye = encodeBye({
      reason: ByeReason.rebalance,
      alternatives: [{ address, load: 0, ageS: 0 }],
    });
    const movers = [...this.#children.values()].slice(0, surplus);
    for (const l of movers) l.notify(MessageType.BYE, bye);
  }

  #refresh(): void {
    if (this.#stopped || this.#role !== 'supernode') return;
    const body = encodeRefresh(this.#supernodeList());
    for (const l of this.#children.values()) l.notify(MessageType.REFRESH, body);
    for (const l of this.#peers.values()) l.notify(MessageType.REFRESH, body);
  }
}

function encodeAnswer(a: SearchAnswer): Uint8Array {
  return encodeResults({ results: a.results, supernodes: a.supernodes, truncated: a.truncated });
}

function entryOf(f: LocalFile) {
  return { uuhash: f.uuhash, root: f.root, size: f.size, name: f.name, tags: f.tags };
}
