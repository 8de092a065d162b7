/**
 * A Gnutella 0.6 servent: ultrapeer or leaf. It keeps connections (handshake, deflate), routes
 * descriptors (duplicates, TTL/hops, reverse paths, Push by servent id), caches pongs, exchanges
 * QRP tables between leaves and ultrapeers, answers queries from its shared files, and runs the
 * searches its user starts. Everything it needs from the outside comes from its Runtime.
 */
import {
  type Address,
  type Connection,
  Emitter,
  type Listener,
  type Logger,
  ProtocolError,
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
import {
  type DescriptorHeader,
  encodeDescriptor,
  type Message,
  PayloadType,
  type Push,
  type QrpPatch,
  type QrpReset,
  type Query,
  QueryFlags,
  type QueryHit,
  type QueryHitResult,
} from './descriptors.js';
import { type Guid, guidKey, newGuid } from './guid.js';
import { formatConnect, formatResponse, headerFlag, parseTryHeader } from './handshake.js';
import { Link } from './link.js';
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
import {
  QrpReceiver,
  QueryRouteTable,
  qrpQueryWords,
  qrpUpdate,
  splitWords,
  wordsMatch,
} from './qrp.js';
import { RouteTable } from './routing.js';
import { Search, type SearchHit } from './search.js';
import { fetchHit, formatGiv, type Giv, readGiv, uploadHandler } from './transfer.js';
import { sha1Urn } from './urn.js';

const TYPE_NAMES: Record<number, string> = {
  [PayloadType.Ping]: 'ping',
  [PayloadType.Pong]: 'pong',
  [PayloadType.Bye]: 'bye',
  [PayloadType.RouteTableUpdate]: 'qrp',
  [PayloadType.VendorExperimental]: 'vendor',
  [PayloadType.Vendor]: 'vendor',
  [PayloadType.Push]: 'push',
  [PayloadType.Query]: 'query',
  [PayloadType.QueryHit]: 'queryhit',
};

function typeName(type: number): string {
  return TYPE_NAMES[type] ?? 'unknown';
}

/** A TTL above this is dropped outright (spec sheet §2.6). */
const MAX_ACCEPTED_TTL = 15;
/** Queries longer than this are dropped (the draft: SHOULD drop > 4 KB). */
const MAX_QUERY_PAYLOAD = 4096;
/** Pongs in the cache and per answer (LimeWire: ~10 per answer). */
const PONG_CACHE_SIZE = 100;
const PONGS_PER_ANSWER = 10;
/** Host cache size: addresses learnt from pongs and X-Try headers. */
const HOST_CACHE_SIZE = 1000;
/** Results per Query Hit (the count field is one byte). */
const MAX_RESULTS_PER_HIT = 64;
/** Incoming connections still in their handshake (or first request) at once. */
const MAX_PENDING = 64;
const SELF = 0;

interface CachedPong {
  readonly link: number;
  readonly bytes: Uint8Array;
  readonly hops: number;
}

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
  private readonly o: Required<
    Omit<
      ServentOptions,
      'runtime' | 'role' | 'host' | 'port' | 'advertise' | 'files' | 'peers' | 'httpPort' | 'folder'
    >
  >;
  private readonly options: ServentOptions;
  private listener: Listener | undefined;
  private readonly links = new Map<number, Link>();
  private readonly pending = new Set<Connection>();
  private readonly qrp = new Map<number, QrpReceiver>();
  private readonly sentTables = new Map<number, QueryRouteTable>();
  /** The RESET + PATCH that bring an empty table to ours, kept for the next ultrapeer. */
  private firstUpdate: { table: QueryRouteTable; messages: (QrpReset | QrpPatch)[] } | undefined;
  /** Ultrapeer: our keywords and our leaves', for our peers' last hop (undefined: recompute). */
  private peerTable: QueryRouteTable | undefined;
  private peerTableTimer: TimerHandle | undefined;
  private files: readonly SharedFile[] = [];
  /** The words of each shared file's name, split on first use. */
  private fileWords: string[][] = [];
  private table: QueryRouteTable;
  private readonly seen: RouteTable<number>;
  private readonly pingRoutes: RouteTable<number>;
  private readonly queryRoutes: RouteTable<number>;
  private readonly pushRoutes: RouteTable<number>;
  private readonly searches = new Map<string, Search>();
  private readonly pongCache: CachedPong[] = [];
  private readonly hostCache = new Map<string, { address: Address; ultrapeer: boolean }>();
  private readonly dialing = new Set<string>();
  private readonly timers: TimerHandle[] = [];
  private readonly aborts = new Set<AbortController>();
  private started = false;
  private stopped = false;
  private readonly upload: ReturnType<typeof uploadHandler> | undefined;
  /** Downloads waiting for a GIV, by `<servent hex>:<index>`. */
  private readonly givWaiters = new Map<
    string,
    (connection: Connection, rest: Uint8Array) => void
  >();

  constructor(options: ServentOptions) {
    super();
    this.options = options;
    this.runtime = options.runtime;
    this.log = options.runtime.log.extend('gnutella');
    const firewalled = options.firewalled ?? false;
    this.o = {
      capable: options.capable ?? true,
      firewalled,
      maxUltrapeers: options.maxUltrapeers ?? 32,
      targetUltrapeers: options.targetUltrapeers ?? 6,
      maxLeaves: options.maxLeaves ?? 30,
      leafUltrapeers: options.leafUltrapeers ?? 3,
      maintain: options.maintain ?? true,
      maxTtl: options.maxTtl ?? 7,
      queryTtl: options.queryTtl ?? 7,
      pongCaching: options.pongCaching ?? true,
      pingIntervalMs: options.pingIntervalMs ?? 3000,
      deflate: options.deflate ?? true,
      qrpBits: options.qrpBits ?? 16,
      ultrapeerQueryRouting: options.ultrapeerQueryRouting ?? true,
      ultrapeerTableDelayMs: options.ultrapeerTableDelayMs ?? 1000,
      userAgent: options.userAgent ?? 'p2pkit-gnutella/0.1',
      vendor: options.vendor ?? 'P2PK',
      speedKbps: options.speedKbps ?? 1000,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 15_000,
      maxQueuedBytes: options.maxQueuedBytes ?? 256 * 1024,
      maxUploads: options.maxUploads ?? 8,
      pushTimeoutMs: options.pushTimeoutMs ?? 30_000,
    };
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
    const clock = this.runtime.clock;
    this.seen = new RouteTable(clock, { ttlMs: 5 * 60_000 });
    this.pingRoutes = new RouteTable(clock, { ttlMs: 60_000 });
    this.queryRoutes = new RouteTable(clock, { ttlMs: 10 * 60_000 });
    this.pushRoutes = new RouteTable(clock, { ttlMs: 10 * 60_000, maxEntries: 10_000 });
    this.table = new QueryRouteTable(this.o.qrpBits);
    this.share(options.files ?? []);
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
    return [...this.links.values()].map(info);
  }

  /** What this servent holds to route: connections, GUID routes, leaves' QRP tables. */
  routingState(): RoutingState {
    const guidRoutes =
      this.seen.size + this.pingRoutes.size + this.queryRoutes.size + this.pushRoutes.size;
    let qrpTables = 0;
    let qrpSlots = 0;
    for (const r of this.qrp.values()) {
      if (r.table === undefined) continue;
      qrpTables++;
      qrpSlots += r.table.size;
    }
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
      this.timers.push(clock.setInterval(() => this.pingNeighbours(), this.o.pingIntervalMs));
    }
    if (this.o.maintain) this.timers.push(clock.setInterval(() => this.maintain(), 2000));
    for (const peer of this.options.peers ?? []) {
      this.remember(peer, true);
      void this.connect(peer);
    }
  }

  /** Closes every connection, the listener and every timer. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) this.runtime.clock.clearTimeout(t);
    if (this.peerTableTimer !== undefined) this.runtime.clock.clearTimeout(this.peerTableTimer);
    this.peerTableTimer = undefined;
    this.timers.length = 0;
    for (const a of this.aborts) a.abort();
    for (const s of [...this.searches.values()]) s.stop();
    for (const link of [...this.links.values()]) link.close();
    for (const c of this.pending) c.destroy();
    this.pending.clear();
    await this.listener?.close();
    this.seen.clear();
    this.pingRoutes.clear();
    this.queryRoutes.clear();
    this.pushRoutes.clear();
  }

  /** Replaces the shared files; leaves send the new QRP table to their ultrapeers. */
  share(files: readonly SharedFile[]): void {
    this.files = files;
    this.fileWords = [];
    const table = new QueryRouteTable(this.o.qrpBits);
    for (const f of files) table.addFile(f.name, f.urn);
    this.table = table;
    if (this.role === 'leaf') for (const link of this.links.values()) this.sendTable(link, table);
    else if (this.started) this.leafTableChanged();
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
    if (this.dialing.has(key) || this.connectedTo(address)) return undefined;
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
        this.remember(a, true);
      if (response.code !== 200) {
        this.log('%s refused us: %d %s', key, response.code, response.message);
        reader.detach();
        connection.destroy();
        return undefined;
      }
      const peer = peerInfo(response.headers);
      const refusal = this.acceptable(peer);
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
      this.remember(peer.listen ?? address, peer.ultrapeer);
      return info(link);
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
    if (word === 'GIV ') {
      try {
        const { giv, rest } = await readGiv(
          connection,
          head,
          (ms, f) => this.timeout(ms, f),
          this.o.handshakeTimeoutMs,
        );
        const waiter = this.givWaiters.get(`${guidKey(giv.serventId)}:${giv.index}`);
        if (waiter) {
          waiter(connection, rest);
          return;
        }
        this.log('unexpected GIV %d from %s', giv.index, connection.remoteAddress.host);
      } catch (error) {
        this.log('bad GIV: %s', (error as Error).message);
      }
    }
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
      const refusal = this.role === 'leaf' ? 'I am a leaf' : this.acceptable(peer);
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
        const needed =
          this.count(true) < this.o.targetUltrapeers || this.count(false) >= this.o.maxLeaves;
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
      if (peer.listen) this.remember(peer.listen, peer.ultrapeer);
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

  /** Undefined when we take this peer, else the refusal text. */
  private acceptable(peer: { ultrapeer: boolean }): string | undefined {
    const ups = this.count(true);
    if (this.role === 'leaf') {
      if (!peer.ultrapeer) return 'Leaves only connect to ultrapeers';
      return ups >= this.o.leafUltrapeers ? 'Enough ultrapeers' : undefined;
    }
    if (peer.ultrapeer) return ups >= this.o.maxUltrapeers ? 'Busy' : undefined;
    return this.count(false) >= this.o.maxLeaves ? 'No more leaves' : undefined;
  }

  private count(ultrapeer: boolean): number {
    let n = 0;
    for (const l of this.links.values()) if (l.peer.ultrapeer === ultrapeer) n++;
    return n;
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

  private tryUltrapeers(): Address[] {
    const out: Address[] = [];
    for (const l of this.links.values())
      if (l.peer.ultrapeer && l.peer.listen) out.push(l.peer.listen);
    for (const h of this.hostCache.values()) {
      if (out.length >= 10) break;
      if (h.ultrapeer && !out.some((a) => a.host === h.address.host && a.port === h.address.port))
        out.push(h.address);
    }
    return out.slice(0, 10);
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
      onDescriptor: (l, h, m, raw) => this.handle(l, h, m, raw),
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
    if (!peer.ultrapeer || this.tablesWith(peer)) this.qrp.set(link.id, new QrpReceiver());
    if (rest.length > 0) link.receive(rest);
    if (!link.isOpen) return link;
    if (this.role === 'leaf' && peer.ultrapeer) this.sendTable(link, this.table);
    else if (this.tablesWith(peer)) this.sendTable(link, this.ultrapeerTable());
    this.emit('connect', info(link));
    return link;
  }

  private closed(link: Link): void {
    if (!this.links.delete(link.id)) return;
    if (!link.peer.ultrapeer && this.qrp.get(link.id)?.table) this.leafTableChanged();
    this.qrp.delete(link.id);
    this.sentTables.delete(link.id);
    for (let i = this.pongCache.length - 1; i >= 0; i--)
      if (this.pongCache[i]!.link === link.id) this.pongCache.splice(i, 1);
    this.emit('disconnect', info(link));
  }

  private connectedTo(address: Address): boolean {
    for (const l of this.links.values()) {
      const a = l.peer.listen ?? l.remoteAddress;
      if (a.host === address.host && a.port === address.port) return true;
    }
    return false;
  }

  private remember(address: Address, ultrapeer: boolean): void {
    if (address.port === 0) return;
    const self = this.listener?.address;
    if (self && self.host === address.host && self.port === address.port) return;
    const key = `${address.host}:${address.port}`;
    this.hostCache.delete(key);
    this.hostCache.set(key, { address, ultrapeer });
    if (this.hostCache.size > HOST_CACHE_SIZE)
      this.hostCache.delete(this.hostCache.keys().next().value!);
  }

  /** Dials cached ultrapeers until we have enough connections. */
  private maintain(): void {
    if (this.stopped) return;
    const want = this.role === 'leaf' ? this.o.leafUltrapeers : this.o.targetUltrapeers;
    let missing = want - this.count(true) - this.dialing.size;
    if (missing <= 0) return;
    const candidates = [...this.hostCache.values()].reverse();
    for (const c of candidates) {
      if (missing <= 0) break;
      if (this.role === 'leaf' && !c.ultrapeer) continue;
      if (this.connectedTo(c.address) || this.dialing.has(`${c.address.host}:${c.address.port}`))
        continue;
      missing--;
      void this.connect(c.address).then((ok) => {
        if (!ok) this.hostCache.delete(`${c.address.host}:${c.address.port}`);
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

  /** A copy of `raw` with TTL - 1 and hops + 1, for forwarding. */
  private static forwarded(raw: Uint8Array): Uint8Array {
    const out = raw.slice();
    out[17] = out[17]! - 1;
    out[18] = out[18]! + 1;
    return out;
  }

  /** Sends `table` as RESET + PATCH, or as a PATCH from what this link last got. */
  private sendTable(link: Link, table: QueryRouteTable): void {
    const previous = this.sentTables.get(link.id);
    // Every ultrapeer of a leaf gets the same first update: compress it once.
    let update = this.firstUpdate?.table === table ? this.firstUpdate.messages : undefined;
    if (previous !== undefined || update === undefined) {
      update = qrpUpdate(table, previous);
      if (previous === undefined) this.firstUpdate = { table, messages: update };
    }
    for (const message of update) {
      this.sendTo(
        link,
        encodeDescriptor({ guid: newGuid(this.runtime.random), ttl: 1, hops: 0, message }),
      );
    }
    this.sentTables.set(link.id, table);
  }

  // -------------------------------------------------------------------------------------------
  // Last-hop QRP between ultrapeers (X-Ultrapeer-Query-Routing)

  /** Do we exchange tables with this peer? Both ultrapeers, both announced it. */
  private tablesWith(peer: { ultrapeer: boolean; ultrapeerQueryRouting: boolean }): boolean {
    return (
      this.role === 'ultrapeer' &&
      this.o.ultrapeerQueryRouting &&
      peer.ultrapeer &&
      peer.ultrapeerQueryRouting
    );
  }

  /**
   * What our peers may send us on a query's last hop: our own keywords and every leaf's (one
   * hop further). A leaf whose table has not arrived yet is left out until it does.
   */
  private ultrapeerTable(): QueryRouteTable {
    if (this.peerTable) return this.peerTable;
    const t = new QueryRouteTable(this.o.qrpBits);
    t.slots.set(this.table.slots);
    for (const [id, receiver] of this.qrp) {
      const link = this.links.get(id);
      if (link && !link.peer.ultrapeer && receiver.table) t.absorb(receiver.table);
    }
    this.peerTable = t;
    return t;
  }

  /** A leaf's table (or our files) changed: our peers get the new union after a short delay. */
  private leafTableChanged(): void {
    this.peerTable = undefined;
    if (this.stopped || this.role !== 'ultrapeer' || this.peerTableTimer !== undefined) return;
    this.peerTableTimer = this.runtime.clock.setTimeout(() => {
      this.peerTableTimer = undefined;
      if (this.stopped) return;
      for (const link of this.links.values()) {
        if (link.isOpen && this.tablesWith(link.peer)) this.sendTable(link, this.ultrapeerTable());
      }
    }, this.o.ultrapeerTableDelayMs);
  }

  private ownPong(): Message {
    const a = this.advertisedAddress;
    const kb = Math.min(0xffffffff, Math.floor(this.files.reduce((s, f) => s + f.size, 0) / 1024));
    return {
      kind: 'pong',
      port: this.o.firewalled ? 0 : a.port,
      ip: a.host,
      files: this.files.length,
      kilobytes: kb,
    };
  }

  /** Sends a Ping to every ultrapeer connection (pongs fill the host cache and pong cache). */
  ping(): void {
    this.pingNeighbours();
  }

  /** Addresses learnt from pongs and X-Try headers, most recent first. */
  knownHosts(): { address: Address; ultrapeer: boolean }[] {
    return [...this.hostCache.values()].reverse();
  }

  private pingNeighbours(): void {
    if (this.stopped || this.links.size === 0) return;
    const guid = newGuid(this.runtime.random);
    this.seen.add(`${PayloadType.Ping}:${guidKey(guid)}`, SELF);
    this.pingRoutes.set(guidKey(guid), SELF);
    const bytes = encodeDescriptor({
      guid,
      ttl: this.o.maxTtl,
      hops: 0,
      message: { kind: 'ping' },
    });
    for (const link of this.links.values()) {
      // Leaves ping only their ultrapeers; ultrapeers do not ping leaves (nothing behind them).
      if (link.peer.ultrapeer) this.sendTo(link, bytes);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Searching

  /**
   * Sends a Query for `criteria` (and/or urns) to every connection: to the ultrapeers, and to
   * leaves whose QRP table matches. Hits arrive on the returned Search until it is stopped.
   */
  search(criteria: string, options: { ttl?: number; urns?: readonly string[] } = {}): Search {
    const guid = newGuid(this.runtime.random);
    const key = guidKey(guid);
    const search = new Search(guid, criteria, (s) => this.searches.delete(guidKey(s.guid)));
    this.searches.set(key, search);
    this.seen.add(`${PayloadType.Query}:${key}`, SELF);
    this.queryRoutes.set(key, SELF);
    let minSpeed = QueryFlags.Modern | QueryFlags.GgepH;
    if (this.o.firewalled) minSpeed |= QueryFlags.Firewalled;
    const message: Query = { kind: 'query', minSpeed, criteria, urns: options.urns ?? [] };
    const ttl = Math.min(options.ttl ?? this.o.queryTtl, this.o.maxTtl);
    const bytes = encodeDescriptor({ guid, ttl, hops: 0, message });
    this.forwardQuery(undefined, bytes, message);
    return search;
  }

  /** Sends a Push asking the holder of a hit to connect back to `callback` (our address). */
  requestPush(hit: SearchHit, callback: Address): boolean {
    const linkId = this.pushRoutes.get(guidKey(hit.serventId));
    const link = linkId === undefined ? undefined : this.links.get(linkId);
    if (!link) return false;
    const message: Push = {
      kind: 'push',
      serventId: hit.serventId,
      index: hit.index,
      ip: callback.host,
      port: callback.port,
    };
    const guid = newGuid(this.runtime.random);
    this.seen.add(`${PayloadType.Push}:${guidKey(guid)}`, SELF);
    this.sendTo(link, encodeDescriptor({ guid, ttl: this.o.maxTtl, hops: 0, message }));
    return true;
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
    const connection = hit.push ? await this.awaitGiv(hit, options.signal) : undefined;
    return fetchHit(this.runtime, hit, options, this.o.userAgent, connection);
  }

  /** Sends a Push for `hit` and waits for the holder's GIV connection. */
  private awaitGiv(hit: SearchHit, signal?: AbortSignal): Promise<Connection> {
    const key = `${guidKey(hit.serventId)}:${hit.index}`;
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        cancel();
        this.givWaiters.delete(key);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        cleanup();
        reject(signal!.reason);
      };
      const cancel = this.timeout(this.o.pushTimeoutMs, () => {
        cleanup();
        reject(
          new ProtocolError(`no GIV from the firewalled holder within ${this.o.pushTimeoutMs} ms`),
        );
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.givWaiters.set(key, (connection, rest) => {
        cleanup();
        // Bytes after the GIV (there should be none before our GET) would be a protocol error.
        if (rest.length > 0) {
          connection.destroy();
          reject(new ProtocolError('data after the GIV'));
          return;
        }
        resolve(connection);
      });
      if (!this.requestPush(hit, this.advertisedAddress)) {
        cleanup();
        reject(
          new ProtocolError(
            'no route to the firewalled holder (its Query Hit came on a closed connection)',
          ),
        );
      }
    });
  }

  /** A Push for us: connect to the requester, say GIV, then serve its GET on that socket. */
  private async answerPush(push: Push): Promise<void> {
    const file = this.files.find((f) => f.index === push.index);
    if (!file || !this.upload) return;
    const abort = new AbortController();
    this.aborts.add(abort);
    try {
      const connection = await this.runtime.net.dial(
        { host: push.ip, port: push.port },
        { signal: abort.signal, timeoutMs: this.o.handshakeTimeoutMs },
      );
      const giv: Giv = { index: file.index, serventId: this.serventId, name: file.name };
      connection.write(formatGiv(giv));
      await serveHttp(connection, { runtime: this.runtime, handler: this.upload });
    } catch (error) {
      this.log('push to %s:%d failed: %s', push.ip, push.port, (error as Error).message);
    } finally {
      this.aborts.delete(abort);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Receiving

  private handle(link: Link, header: DescriptorHeader, message: Message, raw: Uint8Array): void {
    const name = typeName(header.type);
    this.stats.received[name] = (this.stats.received[name] ?? 0) + 1;
    switch (message.kind) {
      case 'bye':
        this.log('bye from %d: %d %s', link.id, message.code, message.reason);
        link.close();
        return;
      case 'qrp-reset':
      case 'qrp-patch':
        this.onQrp(link, message);
        return;
      case 'vendor':
      case 'unknown':
        return; // skipped, not fatal
    }
    // Routed descriptors: TTL rules first (spec §2.2).
    let { ttl } = header;
    const { hops } = header;
    if (ttl > MAX_ACCEPTED_TTL || (ttl === 0 && hops === 0)) {
      this.drop(name);
      return;
    }
    if (ttl + hops > this.o.maxTtl) ttl = Math.max(0, this.o.maxTtl - hops);
    if (ttl !== header.ttl) {
      raw = raw.slice();
      raw[17] = ttl;
    }
    const key = guidKey(header.guid);
    switch (message.kind) {
      case 'ping':
        this.onPing(link, header, key, ttl, raw);
        return;
      case 'pong':
        this.onPong(link, key, ttl, raw, message);
        return;
      case 'query':
        this.onQuery(link, header, key, ttl, raw, message);
        return;
      case 'queryhit':
        this.onQueryHit(link, header, key, ttl, raw, message);
        return;
      case 'push':
        this.onPush(link, key, ttl, raw, message);
        return;
    }
  }

  private firstSeen(type: number, key: string, link: Link): boolean {
    if (this.seen.add(`${type}:${key}`, link.id)) return true;
    this.drop(typeName(type));
    return false;
  }

  private onPing(
    link: Link,
    header: DescriptorHeader,
    key: string,
    ttl: number,
    raw: Uint8Array,
  ): void {
    if (!this.firstSeen(PayloadType.Ping, key, link)) return;
    const pong = (message: Message, ttlBack: number) =>
      this.sendTo(link, encodeDescriptor({ guid: header.guid, ttl: ttlBack, hops: 0, message }));
    const back = Math.max(1, header.hops + 1);
    if (this.role === 'leaf' && link.peer.ultrapeer) {
      pong(this.ownPong(), back); // a leaf answers about itself only
      return;
    }
    if (this.o.pongCaching) {
      pong(this.ownPong(), back);
      if (ttl <= 1) return; // a probe: about ourselves only
      let n = 0;
      for (let i = this.pongCache.length - 1; i >= 0 && n < PONGS_PER_ANSWER; i--) {
        const c = this.pongCache[i]!;
        if (c.link === link.id) continue;
        const out = c.bytes.slice();
        out.set(header.guid, 0);
        out[17] = back;
        out[18] = c.hops;
        this.sendTo(link, out);
        n++;
      }
      return;
    }
    // No pong caching: the 0.4 scheme, pings flood and every servent answers.
    this.pingRoutes.set(key, link.id);
    pong(this.ownPong(), back);
    if (ttl > 1) {
      const out = Servent.forwarded(raw);
      for (const other of this.links.values())
        if (other !== link && other.peer.ultrapeer) this.sendTo(other, out);
    }
  }

  private onPong(
    link: Link,
    key: string,
    ttl: number,
    raw: Uint8Array,
    pong: Extract<Message, { kind: 'pong' }>,
  ): void {
    if (pong.port > 0)
      this.remember({ host: pong.ip, port: pong.port }, link.peer.ultrapeer && raw[18] === 0);
    const route = this.pingRoutes.get(key);
    if (route === SELF || (this.o.pongCaching && route === undefined)) {
      // An answer to our own ping (or a cache refresh): keep it for answering others.
      if (pong.port > 0) {
        this.pongCache.push({
          link: link.id,
          bytes: raw.slice(),
          hops: Math.min(255, raw[18]! + 1),
        });
        if (this.pongCache.length > PONG_CACHE_SIZE) this.pongCache.shift();
      }
      return;
    }
    const target = route === undefined ? undefined : this.links.get(route);
    if (!target || ttl <= 1) {
      this.drop('pong');
      return;
    }
    this.sendTo(target, Servent.forwarded(raw));
  }

  private onQuery(
    link: Link,
    header: DescriptorHeader,
    key: string,
    ttl: number,
    raw: Uint8Array,
    query: Query,
  ): void {
    if (raw.length - 23 > MAX_QUERY_PAYLOAD) {
      this.drop('query');
      return;
    }
    if (link.flowControlled) {
      this.drop('query'); // §3.1: in flow control, incoming queries from that link are dropped
      return;
    }
    if (!this.firstSeen(PayloadType.Query, key, link)) return;
    this.queryRoutes.set(key, link.id);
    this.answer(link, header, query);
    // Leaves never relay; ultrapeers forward to peers (TTL permitting) and QRP-matching leaves.
    if (this.role === 'leaf') return;
    this.forwardQuery(link, Servent.forwarded(raw), query, ttl > 1);
  }

  /** Query to every ultrapeer but `from` (when `toPeers`) and to every leaf whose table matches. */
  private forwardQuery(
    from: Link | undefined,
    bytes: Uint8Array,
    query: Query,
    toPeers = true,
  ): void {
    let words: string[] | undefined; // split once, hashed per table
    for (const link of this.links.values()) {
      if (link === from) continue;
      if (link.peer.ultrapeer) {
        if (!toPeers) continue;
        // Last hop (the copy arrives with TTL 1): only to a peer whose table matches.
        const table = bytes[17] === 1 ? this.qrp.get(link.id)?.table : undefined;
        if (table) words ??= qrpQueryWords(query.criteria);
        if (!table || table.matchesWords(words!, query.urns)) this.sendTo(link, bytes);
        continue;
      }
      const table = this.qrp.get(link.id)?.table;
      // No complete table yet: forward everything (QRP §"after a RESET").
      if (table) words ??= qrpQueryWords(query.criteria);
      if (!table || table.matchesWords(words!, query.urns)) this.sendTo(link, bytes);
    }
  }

  /** Answers a query from our shared files (§2.2.5: hit GUID = query GUID, TTL >= its hops). */
  private answer(link: Link, header: DescriptorHeader, query: Query): void {
    if (
      this.o.firewalled &&
      query.minSpeed & QueryFlags.Modern &&
      query.minSpeed & QueryFlags.Firewalled
    )
      return;
    if (this.files.length === 0) return;
    const matches: QueryHitResult[] = [];
    const wanted = new Set(query.urns.filter((u) => u.length > 4).map((u) => u.toLowerCase()));
    const queryWords = splitWords(query.criteria);
    for (const [i, f] of this.files.entries()) {
      const byUrn = f.urn !== undefined && wanted.has(f.urn.toLowerCase());
      if (byUrn || wordsMatch((this.fileWords[i] ??= splitWords(f.name)), queryWords)) {
        matches.push({
          index: f.index,
          size: Math.min(f.size, 0xffffffff),
          name: f.name,
          urns: f.urn ? [f.urn] : [],
        });
      }
    }
    if (matches.length === 0) return;
    const a = this.advertisedAddress;
    for (let i = 0; i < matches.length; i += MAX_RESULTS_PER_HIT) {
      const hit: QueryHit = {
        kind: 'queryhit',
        port: this.options.httpPort ?? a.port,
        ip: a.host,
        speed: this.o.speedKbps,
        results: matches.slice(i, i + MAX_RESULTS_PER_HIT),
        trailer: {
          vendor: this.o.vendor,
          push: this.o.firewalled,
          busy: false,
          uploaded: false,
          measuredSpeed: false,
        },
        serventId: this.serventId,
      };
      const ttl = Math.min(header.hops + 2, MAX_ACCEPTED_TTL);
      this.sendTo(link, encodeDescriptor({ guid: header.guid, ttl, hops: 0, message: hit }));
    }
    this.emit('answered', query.criteria, matches.length);
  }

  private onQueryHit(
    link: Link,
    header: DescriptorHeader,
    key: string,
    ttl: number,
    raw: Uint8Array,
    hit: QueryHit,
  ): void {
    this.pushRoutes.set(guidKey(hit.serventId), link.id);
    const route = this.queryRoutes.get(key);
    if (route === SELF) {
      const search = this.searches.get(key);
      if (!search) {
        this.drop('queryhit');
        return;
      }
      for (const r of hit.results) {
        search.deliver(
          {
            name: r.name,
            size: r.size,
            index: r.index,
            host: hit.ip,
            port: hit.port,
            ...(r.urns[0]
              ? { urn: r.urns.find((u) => u.toLowerCase().startsWith('urn:sha1:')) ?? r.urns[0] }
              : {}),
            serventId: hit.serventId,
            push: hit.trailer?.push ?? false,
            ...(hit.trailer ? { vendor: hit.trailer.vendor } : {}),
            hops: header.hops + 1,
          },
          hit,
        );
      }
      return;
    }
    const target = route === undefined ? undefined : this.links.get(route);
    if (!target || ttl <= 1) {
      this.drop('queryhit'); // a hit for a query we never saw (or routed out of TTL)
      return;
    }
    this.sendTo(target, Servent.forwarded(raw));
  }

  private onPush(link: Link, key: string, ttl: number, raw: Uint8Array, push: Push): void {
    if (!this.firstSeen(PayloadType.Push, key, link)) return;
    const target = guidKey(push.serventId);
    if (target === guidKey(this.serventId)) {
      this.emit('push', { index: push.index, host: push.ip, port: push.port });
      if (this.upload) void this.answerPush(push);
      return;
    }
    const route = this.pushRoutes.get(target);
    const next = route === undefined ? undefined : this.links.get(route);
    if (!next || ttl <= 1) {
      this.drop('push');
      return;
    }
    this.sendTo(next, Servent.forwarded(raw));
  }

  private onQrp(link: Link, message: Extract<Message, { kind: 'qrp-reset' | 'qrp-patch' }>): void {
    const receiver = this.qrp.get(link.id);
    if (!receiver) return; // only leaves (and ultrapeers that offered it) send us tables
    try {
      const before = receiver.table;
      receiver.apply(message);
      if (receiver.table !== before && !link.peer.ultrapeer) this.leafTableChanged();
    } catch (error) {
      this.log('bad QRP from %d: %s', link.id, (error as Error).message);
      link.bye(400, 'Bad QRP table');
    }
  }
}

function info(link: Link): ConnectionInfo {
  return {
    id: link.id,
    remote: link.peer.listen ?? link.remoteAddress,
    ultrapeer: link.peer.ultrapeer,
    outgoing: link.outgoing,
    userAgent: link.peer.userAgent,
    deflate: link.deflating,
  };
}

/** Creates a servent (call `start()`). */
export function createServent(options: ServentOptions): Servent {
  return new Servent(options);
}
