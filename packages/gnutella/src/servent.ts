/**
 * A Gnutella 0.6 servent: ultrapeer or leaf. It keeps connections (handshake, deflate), routes
 * descriptors (duplicates, TTL/hops, reverse paths, Push by servent id: descriptor-router.ts),
 * caches pongs and hosts (host-cache.ts), exchanges QRP tables between leaves and ultrapeers
 * (qrp-exchange.ts), answers queries from its shared files, and runs the searches its user
 * starts. Everything it needs from the outside comes from its Runtime.
 */
import {
  type Address,
  type Connection,
  Emitter,
  type HttpHandler,
  type Listener,
  type Logger,
  type Runtime,
  type SharedFolder,
  serveHttp,
  type TimerHandle,
} from '@p2pkit/core';
import {
  acceptsDeflate,
  BlockReader,
  contentDeflate,
  expectResponse,
  type HandshakeOffer,
  offerHeaders,
  peerInfo,
  refuse,
} from './connect.js';
import { DescriptorRouter } from './descriptor-router.js';
import { type Guid, newGuid } from './guid.js';
import { formatConnect, formatResponse, headerFlag, parseTryHeader } from './handshake.js';
import { HostCache } from './host-cache.js';
import { Link } from './link.js';
import { connectionInfo, Neighbours } from './neighbours.js';
import type {
  ConnectionInfo,
  DownloadOptions,
  DownloadResult,
  RoutingState,
  ServentEvents,
  ServentOptions,
  ServentRole,
  ServentStats,
  SharedFile,
} from './options.js';
import { PushTransfers } from './push-transfer.js';
import { QueryRouteTable } from './qrp.js';
import { QrpExchange } from './qrp-exchange.js';
import type { Search, SearchHit } from './search.js';
import {
  type ServentContext,
  type ServentSettings,
  serventSettings,
  typeName,
} from './servent-context.js';
import { fetchHit, uploadHandler } from './transfer.js';
import { sha1Urn } from './urn.js';

/** Incoming connections still in their handshake (or first request) at once. */
const MAX_PENDING = 64;

export class Servent extends Emitter<ServentEvents> {
  readonly runtime: Runtime;
  /** This servent's id: the last 16 bytes of its Query Hits, the target of Pushes. */
  readonly serventId: Guid;
  /** Ultrapeer or leaf; an `'auto'` ultrapeer may become a leaf when told it is not needed. */
  get role(): ServentRole {
    return this.currentRole;
  }
  private currentRole: ServentRole;
  private readonly autoRole: boolean;
  readonly stats: ServentStats = { sent: {}, received: {}, dropped: {}, sentBytes: {} };
  private readonly log: Logger;
  private readonly o: ServentSettings;
  private readonly options: ServentOptions;
  private listener: Listener | undefined;
  private readonly neighbours: Neighbours;
  private readonly links: Map<number, Link>;
  private readonly pending = new Set<Connection>();
  private files: readonly SharedFile[] = [];
  private table: QueryRouteTable;
  private readonly hosts: HostCache;
  private readonly qrp: QrpExchange;
  private readonly router: DescriptorRouter;
  private readonly pushes: PushTransfers;
  private readonly dialing = new Set<string>();
  private readonly timers: TimerHandle[] = [];
  private readonly aborts = new Set<AbortController>();
  private started = false;
  private stopped = false;
  private readonly upload: HttpHandler | undefined;

  constructor(options: ServentOptions) {
    super();
    this.options = options;
    this.runtime = options.runtime;
    this.log = options.runtime.log.extend('gnutella');
    this.o = serventSettings(options);
    this.neighbours = new Neighbours(this.o);
    this.links = this.neighbours.links;
    const firewalled = this.o.firewalled;
    if (options.folder) {
      this.upload = uploadHandler({
        folder: options.folder,
        files: () => this.files,
        maxUploads: this.o.maxUploads,
        userAgent: this.o.userAgent,
      });
    }
    const role = options.role ?? 'auto';
    this.autoRole = role === 'auto';
    this.currentRole =
      role === 'auto' ? (!firewalled && this.o.capable ? 'ultrapeer' : 'leaf') : role;
    this.serventId = newGuid(this.runtime.random);
    this.table = new QueryRouteTable(this.o.qrpBits);
    const ctx = this.context();
    this.hosts = new HostCache(() => this.listener?.address);
    this.qrp = new QrpExchange(ctx);
    this.pushes = new PushTransfers(ctx, this.upload, this.aborts, (hit, callback) =>
      this.router.requestPush(hit, callback),
    );
    this.router = new DescriptorRouter(ctx, this.hosts, this.qrp, (push) => {
      void this.pushes.answer(push);
    });
    this.share(options.files ?? []);
  }

  /** The view of this servent its parts share (getters read the current state). */
  private context(): ServentContext {
    const self = this;
    return {
      runtime: this.runtime,
      log: this.log,
      o: this.o,
      options: this.options,
      serventId: this.serventId,
      stats: this.stats,
      links: this.links,
      get role() {
        return self.currentRole;
      },
      get stopped() {
        return self.stopped;
      },
      get files() {
        return self.files;
      },
      get table() {
        return self.table;
      },
      get advertisedAddress() {
        return self.advertisedAddress;
      },
      sendTo: (link, bytes) => this.sendTo(link, bytes),
      drop: (name) => this.drop(name),
      emit: (event, ...args) => this.emit(event, ...args),
      timeout: (ms, onTimeout) => this.timeout(ms, onTimeout),
    };
  }

  /** Where we listen (after start). */
  get address(): Address {
    if (!this.listener) throw new Error('servent not started');
    return this.listener.address;
  }

  /** The address we announce: advertise option, else the listener's. */
  get advertisedAddress(): Address {
    return this.options.advertise ?? this.address;
  }

  get sharedFiles(): readonly SharedFile[] {
    return this.files;
  }

  /** Current connections. */
  connections(): ConnectionInfo[] {
    return this.neighbours.infos();
  }

  /** What this servent holds to route: connections, GUID routes, leaves' QRP tables. */
  routingState(): RoutingState {
    const guidRoutes = this.router.routes;
    const { tables: qrpTables, slots: qrpSlots } = this.qrp.held();
    const connections = this.links.size;
    return {
      connections,
      guidRoutes,
      qrpTables,
      bytes: 6 * connections + 20 * guidRoutes + qrpSlots,
    };
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('servent already started');
    this.started = true;
    this.listener = await this.runtime.net.listen(
      { port: this.options.port ?? 0, ...(this.options.host ? { host: this.options.host } : {}) },
      (c) => this.accept(c),
    );
    this.log(
      '%s listening on %s:%d',
      this.role,
      this.listener.address.host,
      this.listener.address.port,
    );
    const clock = this.runtime.clock;
    if (this.o.pingIntervalMs > 0) {
      this.timers.push(
        clock.setInterval(() => this.router.pingNeighbours(), this.o.pingIntervalMs),
      );
    }
    if (this.o.maintain) this.timers.push(clock.setInterval(() => this.maintain(), 2000));
    for (const peer of this.options.peers ?? []) {
      this.hosts.remember(peer, true);
      void this.connect(peer);
    }
  }

  /** Closes every connection, the listener and every timer. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) this.runtime.clock.clearTimeout(t);
    this.timers.length = 0;
    this.qrp.stop();
    for (const a of this.aborts) a.abort();
    for (const link of [...this.links.values()]) link.close();
    for (const c of this.pending) c.destroy();
    this.pending.clear();
    await this.listener?.close();
    this.router.stop();
  }

  /** Replaces the shared files; leaves send the new QRP table to their ultrapeers. */
  share(files: readonly SharedFile[]): void {
    this.files = files;
    this.router.filesChanged();
    const table = new QueryRouteTable(this.o.qrpBits);
    for (const f of files) table.addFile(f.name, f.urn);
    this.table = table;
    this.qrp.ownTableChanged(this.started);
  }

  // -------------------------------------------------------------------------------------------
  // Connections

  /**
   * Dials a servent and runs the handshake as the client. Resolves with the connection, or
   * undefined when it was refused or failed (X-Try-Ultrapeers addresses are kept for later).
   */
  async connect(address: Address): Promise<ConnectionInfo | undefined> {
    if (this.stopped) return undefined;
    const key = `${address.host}:${address.port}`;
    if (this.dialing.has(key) || this.neighbours.connectedTo(address)) return undefined;
    this.dialing.add(key);
    const abort = new AbortController();
    this.aborts.add(abort);
    let connection: Connection | undefined;
    try {
      connection = await this.runtime.net.dial(address, {
        signal: abort.signal,
        timeoutMs: this.o.handshakeTimeoutMs,
      });
      if (this.stopped) {
        connection.destroy();
        return undefined;
      }
      this.pending.add(connection);
      const reader = new BlockReader(connection, this.runtime.clock, this.o.handshakeTimeoutMs);
      connection.write(formatConnect(offerHeaders(this.offer())));
      const response = expectResponse(await reader.next());
      for (const a of parseTryHeader(response.headers.get('x-try-ultrapeers')))
        this.hosts.remember(a, true);
      if (response.code !== 200) {
        this.log('%s refused us: %d %s', key, response.code, response.message);
        reader.detach();
        connection.destroy();
        return undefined;
      }
      const peer = peerInfo(response.headers);
      const refusal = this.neighbours.acceptable(this.role, peer);
      if (refusal) {
        connection.write(formatResponse(503, refusal));
        reader.detach();
        connection.end();
        return undefined;
      }
      const deflateOut = this.o.deflate && acceptsDeflate(response.headers);
      const final: [string, string][] = deflateOut ? [['Content-Encoding', 'deflate']] : [];
      // Told `X-Ultrapeer-Needed: False` by an ultrapeer, an elected ('auto') ultrapeer with no
      // connection yet becomes that ultrapeer's leaf (spec sheet §2.3).
      if (
        this.autoRole &&
        this.currentRole === 'ultrapeer' &&
        peer.ultrapeer &&
        headerFlag(response.headers, 'x-ultrapeer-needed') === false &&
        this.links.size === 0
      ) {
        this.currentRole = 'leaf';
        final.push(['X-Ultrapeer', 'False']);
        this.log('demoted to leaf by %s', key);
      }
      // The final 200 goes out alone, before any descriptor (spec §2.1, step 3).
      connection.write(formatResponse(200, 'OK', final));
      const rest = reader.detach();
      this.pending.delete(connection);
      const link = this.open(
        connection,
        peer,
        true,
        contentDeflate(response.headers),
        deflateOut,
        rest,
      );
      this.hosts.remember(peer.listen ?? address, peer.ultrapeer);
      return connectionInfo(link);
    } catch (error) {
      this.log('connect %s failed: %s', key, (error as Error).message);
      connection?.destroy();
      return undefined;
    } finally {
      if (connection) this.pending.delete(connection);
      this.dialing.delete(key);
      this.aborts.delete(abort);
    }
  }

  private accept(connection: Connection): void {
    if (this.stopped) {
      connection.destroy();
      return;
    }
    if (this.pending.size >= MAX_PENDING) {
      // A crowd of half-open handshakes (or a slowloris) costs one reset each, no more.
      connection.destroy();
      return;
    }
    this.pending.add(connection);
    // One port for everything, as Gnutella does: the first bytes say handshake, HTTP or GIV.
    let head = new Uint8Array(0);
    const clock = this.runtime.clock;
    const timer = clock.setTimeout(() => {
      connection.off('data', onData);
      connection.destroy();
      this.pending.delete(connection);
    }, this.o.handshakeTimeoutMs);
    const onData = (chunk: Uint8Array) => {
      const joined = new Uint8Array(head.length + chunk.length);
      joined.set(head);
      joined.set(chunk, head.length);
      head = joined;
      if (head.length < 4) return;
      connection.off('data', onData);
      clock.clearTimeout(timer);
      void this.dispatch(connection, head).finally(() => this.pending.delete(connection));
    };
    connection.on('data', onData);
  }

  private async dispatch(connection: Connection, head: Uint8Array): Promise<void> {
    const word = String.fromCharCode(head[0]!, head[1]!, head[2]!, head[3]!);
    if (word === 'GNUT') return this.acceptHandshake(connection, head);
    if ((word === 'GET ' || word === 'HEAD') && this.upload) {
      await serveHttp(connection, { runtime: this.runtime, handler: this.upload }, head);
      return;
    }
    if (word === 'GIV ') return this.pushes.acceptGiv(connection, head);
    connection.destroy();
  }

  /** A cancellable timer, for helpers that take one. */
  private timeout(ms: number, onTimeout: () => void): () => void {
    const t = this.runtime.clock.setTimeout(onTimeout, ms);
    return () => this.runtime.clock.clearTimeout(t);
  }

  private async acceptHandshake(connection: Connection, initial?: Uint8Array): Promise<void> {
    const reader = new BlockReader(
      connection,
      this.runtime.clock,
      this.o.handshakeTimeoutMs,
      initial,
    );
    try {
      const hello = await reader.next();
      if (hello.kind !== 'connect') throw new Error('expected GNUTELLA CONNECT');
      let peer = peerInfo(hello.headers);
      const refusal =
        this.role === 'leaf' ? 'I am a leaf' : this.neighbours.acceptable(this.role, peer);
      if (refusal) {
        reader.detach();
        refuse(connection, 503, refusal, this.tryUltrapeers());
        return;
      }
      const deflateOut = this.o.deflate && acceptsDeflate(hello.headers);
      const headers = offerHeaders(this.offer());
      headers.push(['Remote-IP', connection.remoteAddress.host]);
      if (peer.ultrapeer) {
        // Enough ultrapeer connections and room for leaves: invite the peer to be our leaf.
        const needed = this.neighbours.ultrapeerNeeded();
        headers.push(['X-Ultrapeer-Needed', needed ? 'True' : 'False']);
      }
      if (deflateOut) headers.push(['Content-Encoding', 'deflate']);
      const tried = this.tryUltrapeers();
      if (tried.length > 0)
        headers.push(['X-Try-Ultrapeers', tried.map((a) => `${a.host}:${a.port}`).join(',')]);
      connection.write(formatResponse(200, 'OK', headers));
      const final = expectResponse(await reader.next());
      const rest = reader.detach();
      if (final.code !== 200) {
        connection.destroy();
        return;
      }
      // A peer that took our `X-Ultrapeer-Needed: False` says so in its final block.
      const demoted = headerFlag(final.headers, 'x-ultrapeer') === false && peer.ultrapeer;
      if (demoted) peer = { ...peer, ultrapeer: false };
      if (this.stopped) {
        connection.destroy();
        return;
      }
      this.open(connection, peer, false, contentDeflate(final.headers), deflateOut, rest);
      if (peer.listen) this.hosts.remember(peer.listen, peer.ultrapeer);
    } catch (error) {
      this.log(
        'handshake from %s:%d failed: %s',
        connection.remoteAddress.host,
        connection.remoteAddress.port,
        (error as Error).message,
      );
      reader.detach();
      connection.destroy();
    }
  }

  private offer(): HandshakeOffer {
    return {
      userAgent: this.o.userAgent,
      ultrapeer: this.role === 'ultrapeer',
      pongCaching: this.o.pongCaching,
      deflate: this.o.deflate,
      ...(this.o.firewalled ? {} : { listen: this.advertisedAddress }),
      maxTtl: this.o.maxTtl,
      degree: this.o.maxUltrapeers,
      ultrapeerQueryRouting: this.role === 'ultrapeer' && this.o.ultrapeerQueryRouting,
    };
  }

  /** Up to 10 ultrapeers to try instead (X-Try-Ultrapeers): ours first, then cached ones. */
  private tryUltrapeers(): Address[] {
    return this.hosts.ultrapeers(this.neighbours.ultrapeerAddresses(), 10);
  }

  private open(
    connection: Connection,
    peer: ReturnType<typeof peerInfo>,
    outgoing: boolean,
    inflate: boolean,
    deflate: boolean,
    rest: Uint8Array,
  ): Link {
    const link = new Link({
      runtime: this.runtime,
      connection,
      peer,
      outgoing,
      inflate,
      deflate,
      maxQueuedBytes: this.o.maxQueuedBytes,
      log: this.log,
      onDescriptor: (l, h, m, raw) => this.router.handle(l, h, m, raw),
      onClose: (l) => this.closed(l),
    });
    this.links.set(link.id, link);
    this.log(
      'connected to %s:%d (%s, %s)',
      link.remoteAddress.host,
      link.remoteAddress.port,
      peer.ultrapeer ? 'ultrapeer' : 'leaf',
      outgoing ? 'out' : 'in',
    );
    // Ready for a leaf's QRP table before reading: it may have come with the final 200.
    this.qrp.opened(link);
    if (rest.length > 0) link.receive(rest);
    if (!link.isOpen) return link;
    this.qrp.greet(link);
    this.emit('connect', connectionInfo(link));
    return link;
  }

  private closed(link: Link): void {
    if (!this.links.delete(link.id)) return;
    this.qrp.closed(link);
    this.hosts.dropLink(link.id);
    this.emit('disconnect', connectionInfo(link));
  }

  /** Dials cached ultrapeers until we have enough connections. */
  private maintain(): void {
    if (this.stopped) return;
    const want = this.role === 'leaf' ? this.o.leafUltrapeers : this.o.targetUltrapeers;
    let missing = want - this.neighbours.count(true) - this.dialing.size;
    if (missing <= 0) return;
    const candidates = this.hosts.recent();
    for (const c of candidates) {
      if (missing <= 0) break;
      if (this.role === 'leaf' && !c.ultrapeer) continue;
      if (
        this.neighbours.connectedTo(c.address) ||
        this.dialing.has(`${c.address.host}:${c.address.port}`)
      )
        continue;
      missing--;
      void this.connect(c.address).then((ok) => {
        if (!ok) this.hosts.forget(c.address);
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  private sendTo(link: Link, bytes: Uint8Array): void {
    const name = typeName(bytes[16]!);
    if (link.send(bytes)) {
      this.stats.sent[name] = (this.stats.sent[name] ?? 0) + 1;
      this.stats.sentBytes[name] = (this.stats.sentBytes[name] ?? 0) + bytes.length;
    } else this.drop(name);
  }

  private drop(name: string): void {
    this.stats.dropped[name] = (this.stats.dropped[name] ?? 0) + 1;
  }

  /** Sends a Ping to every ultrapeer connection (pongs fill the host cache and pong cache). */
  ping(): void {
    this.router.pingNeighbours();
  }

  /** Addresses learnt from pongs and X-Try headers, most recent first. */
  knownHosts(): { address: Address; ultrapeer: boolean }[] {
    return this.hosts.recent();
  }

  // -------------------------------------------------------------------------------------------
  // Searching

  /**
   * Sends a Query for `criteria` (and/or urns) to every connection: to the ultrapeers, and to
   * leaves whose QRP table matches. Hits arrive on the returned Search until it is stopped.
   */
  search(criteria: string, options: { ttl?: number; urns?: readonly string[] } = {}): Search {
    return this.router.search(criteria, options);
  }

  /** Sends a Push asking the holder of a hit to connect back to `callback` (our address). */
  requestPush(hit: SearchHit, callback: Address): boolean {
    return this.router.requestPush(hit, callback);
  }

  // -------------------------------------------------------------------------------------------
  // Transfers

  /** Shares every file of `folder` (hashed, for urns) and answers queries for them. */
  async shareFolder(
    folder: SharedFolder,
    options: { signal?: AbortSignal } = {},
  ): Promise<SharedFile[]> {
    const listed = await folder.list({
      hash: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const files = listed.map((f, index) => ({
      index,
      name: f.name,
      size: f.size,
      ...(f.sha1 ? { urn: sha1Urn(f.sha1) } : {}),
    }));
    this.share(files);
    return files;
  }

  /**
   * Downloads a search hit into `options.folder`: a GET with Range (resuming a `.part` left by
   * an earlier attempt), or, when the holder is firewalled, a Push and a GET on the connection
   * it opens back to us. The result is checked against the hit's SHA-1 urn before it is kept.
   */
  async download(hit: SearchHit, options: DownloadOptions): Promise<DownloadResult> {
    const connection = hit.push ? await this.pushes.awaitGiv(hit, options.signal) : undefined;
    return fetchHit(this.runtime, hit, options, this.o.userAgent, connection);
  }
}

/** Creates a servent (call `start()`). */
export function createServent(options: ServentOptions): Servent {
  return new Servent(options);
}
