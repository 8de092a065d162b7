import type { Address } from '@p2pkit/core';
import {
  type DescriptorHeader,
  encodeDescriptor,
  type Message,
  PayloadType,
  type Push,
  type Query,
  QueryFlags,
  type QueryHit,
  type QueryHitResult,
} from './descriptors.js';
import { guidKey, newGuid } from './guid.js';
import type { HostCache } from './host-cache.js';
import type { Link } from './link.js';
import { qrpQueryWords, splitWords, wordsMatch } from './qrp.js';
import type { QrpExchange } from './qrp-exchange.js';
import { RouteTable } from './routing.js';
import { Search, type SearchHit } from './search.js';
import { type ServentContext, typeName } from './servent-context.js';

/** A TTL above this is dropped outright (spec sheet §2.6). */
const MAX_ACCEPTED_TTL = 15;
/** Queries longer than this are dropped (the draft: SHOULD drop > 4 KB). */
const MAX_QUERY_PAYLOAD = 4096;
/** Cached pongs per answer to a ping (LimeWire: ~10). */
const PONGS_PER_ANSWER = 10;
/** Results per Query Hit (the count field is one byte). */
const MAX_RESULTS_PER_HIT = 64;
/** The route of a descriptor we sent ourselves. */
const SELF = 0;

/** A copy of `raw` with TTL - 1 and hops + 1, for forwarding. */
function forwarded(raw: Uint8Array): Uint8Array {
  const out = raw.slice();
  out[17] = out[17]! - 1;
  out[18] = out[18]! + 1;
  return out;
}

/**
 * How a servent routes descriptors (spec §2.2): duplicates dropped by GUID, TTL and hops
 * checked, Pings and Queries flooded (queries to leaves only through their QRP tables), Pongs,
 * Query Hits and Pushes sent back along the reverse path; queries answered from our files and
 * searches of our own fed with their hits.
 */
export class DescriptorRouter {
  private readonly seen: RouteTable<number>;
  private readonly pingRoutes: RouteTable<number>;
  private readonly queryRoutes: RouteTable<number>;
  private readonly pushRoutes: RouteTable<number>;
  private readonly searches = new Map<string, Search>();
  /** The words of each shared file's name, split on first use. */
  private fileWords: string[][] = [];

  constructor(
    private readonly ctx: ServentContext,
    private readonly hosts: HostCache,
    private readonly qrp: QrpExchange,
    /** A Push addressed to us, when we serve files. */
    private readonly onPushToUs: (push: Push) => void,
  ) {
    const clock = ctx.runtime.clock;
    this.seen = new RouteTable(clock, { ttlMs: 5 * 60_000 });
    this.pingRoutes = new RouteTable(clock, { ttlMs: 60_000 });
    this.queryRoutes = new RouteTable(clock, { ttlMs: 10 * 60_000 });
    this.pushRoutes = new RouteTable(clock, { ttlMs: 10 * 60_000, maxEntries: 10_000 });
  }

  /** GUID routes held (duplicate filter, pings, queries, pushes). */
  get routes(): number {
    return this.seen.size + this.pingRoutes.size + this.queryRoutes.size + this.pushRoutes.size;
  }

  /** Our shared files changed: their words are split again on first use. */
  filesChanged(): void {
    this.fileWords = [];
  }

  stop(): void {
    for (const s of [...this.searches.values()]) s.stop();
    this.seen.clear();
    this.pingRoutes.clear();
    this.queryRoutes.clear();
    this.pushRoutes.clear();
  }

  /** Sends a Ping to every ultrapeer connection (pongs fill the host cache and pong cache). */
  pingNeighbours(): void {
    const { ctx } = this;
    if (ctx.stopped || ctx.links.size === 0) return;
    const guid = newGuid(ctx.runtime.random);
    this.seen.add(`${PayloadType.Ping}:${guidKey(guid)}`, SELF);
    this.pingRoutes.set(guidKey(guid), SELF);
    const bytes = encodeDescriptor({ guid, ttl: ctx.o.maxTtl, hops: 0, message: { kind: 'ping' } });
    for (const link of ctx.links.values()) {
      // Leaves ping only their ultrapeers; ultrapeers do not ping leaves (nothing behind them).
      if (link.peer.ultrapeer) ctx.sendTo(link, bytes);
    }
  }

  /** Starts a search of our own (see Servent.search). */
  search(criteria: string, options: { ttl?: number; urns?: readonly string[] }): Search {
    const { ctx } = this;
    const guid = newGuid(ctx.runtime.random);
    const key = guidKey(guid);
    const search = new Search(guid, criteria, (s) => this.searches.delete(guidKey(s.guid)));
    this.searches.set(key, search);
    this.seen.add(`${PayloadType.Query}:${key}`, SELF);
    this.queryRoutes.set(key, SELF);
    let minSpeed = QueryFlags.Modern | QueryFlags.GgepH;
    if (ctx.o.firewalled) minSpeed |= QueryFlags.Firewalled;
    const message: Query = { kind: 'query', minSpeed, criteria, urns: options.urns ?? [] };
    const ttl = Math.min(options.ttl ?? ctx.o.queryTtl, ctx.o.maxTtl);
    const bytes = encodeDescriptor({ guid, ttl, hops: 0, message });
    this.forwardQuery(undefined, bytes, message);
    return search;
  }

  /** Sends a Push asking the holder of a hit to connect back to `callback` (our address). */
  requestPush(hit: SearchHit, callback: Address): boolean {
    const { ctx } = this;
    const linkId = this.pushRoutes.get(guidKey(hit.serventId));
    const link = linkId === undefined ? undefined : ctx.links.get(linkId);
    if (!link) return false;
    const message: Push = {
      kind: 'push',
      serventId: hit.serventId,
      index: hit.index,
      ip: callback.host,
      port: callback.port,
    };
    const guid = newGuid(ctx.runtime.random);
    this.seen.add(`${PayloadType.Push}:${guidKey(guid)}`, SELF);
    ctx.sendTo(link, encodeDescriptor({ guid, ttl: ctx.o.maxTtl, hops: 0, message }));
    return true;
  }

  /** A descriptor that arrived on `link` (decoded, with its raw bytes for forwarding). */
  handle(link: Link, header: DescriptorHeader, message: Message, raw: Uint8Array): void {
    const { ctx } = this;
    const name = typeName(header.type);
    ctx.stats.received[name] = (ctx.stats.received[name] ?? 0) + 1;
    switch (message.kind) {
      case 'bye':
        ctx.log('bye from %d: %d %s', link.id, message.code, message.reason);
        link.close();
        return;
      case 'qrp-reset':
      case 'qrp-patch':
        this.qrp.receive(link, message);
        return;
      case 'vendor':
      case 'unknown':
        return; // skipped, not fatal
    }
    // Routed descriptors: TTL rules first (spec §2.2).
    let { ttl } = header;
    const { hops } = header;
    if (ttl > MAX_ACCEPTED_TTL || (ttl === 0 && hops === 0)) {
      ctx.drop(name);
      return;
    }
    if (ttl + hops > ctx.o.maxTtl) ttl = Math.max(0, ctx.o.maxTtl - hops);
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
    this.ctx.drop(typeName(type));
    return false;
  }

  private ownPong(): Message {
    const { ctx } = this;
    const a = ctx.advertisedAddress;
    const kb = Math.min(0xffffffff, Math.floor(ctx.files.reduce((s, f) => s + f.size, 0) / 1024));
    return {
      kind: 'pong',
      port: ctx.o.firewalled ? 0 : a.port,
      ip: a.host,
      files: ctx.files.length,
      kilobytes: kb,
    };
  }

  private onPing(
    link: Link,
    header: DescriptorHeader,
    key: string,
    ttl: number,
    raw: Uint8Array,
  ): void {
    const { ctx } = this;
    if (!this.firstSeen(PayloadType.Ping, key, link)) return;
    const pong = (message: Message, ttlBack: number) =>
      ctx.sendTo(link, encodeDescriptor({ guid: header.guid, ttl: ttlBack, hops: 0, message }));
    const back = Math.max(1, header.hops + 1);
    if (ctx.role === 'leaf' && link.peer.ultrapeer) {
      pong(this.ownPong(), back); // a leaf answers about itself only
      return;
    }
    if (ctx.o.pongCaching) {
      pong(this.ownPong(), back);
      if (ttl <= 1) return; // a probe: about ourselves only
      for (const c of this.hosts.pongsFor(link.id, PONGS_PER_ANSWER)) {
        const out = c.bytes.slice();
        out.set(header.guid, 0);
        out[17] = back;
        out[18] = c.hops;
        ctx.sendTo(link, out);
      }
      return;
    }
    // No pong caching: the 0.4 scheme, pings flood and every servent answers.
    this.pingRoutes.set(key, link.id);
    pong(this.ownPong(), back);
    if (ttl > 1) {
      const out = forwarded(raw);
      for (const other of ctx.links.values())
        if (other !== link && other.peer.ultrapeer) ctx.sendTo(other, out);
    }
  }

  private onPong(
    link: Link,
    key: string,
    ttl: number,
    raw: Uint8Array,
    pong: Extract<Message, { kind: 'pong' }>,
  ): void {
    const { ctx } = this;
    if (pong.port > 0)
      this.hosts.remember({ host: pong.ip, port: pong.port }, link.peer.ultrapeer && raw[18] === 0);
    const route = this.pingRoutes.get(key);
    if (route === SELF || (ctx.o.pongCaching && route === undefined)) {
      // An answer to our own ping (or a cache refresh): keep it for answering others.
      if (pong.port > 0) this.hosts.cachePong(link.id, raw);
      return;
    }
    const target = route === undefined ? undefined : ctx.links.get(route);
    if (!target || ttl <= 1) {
      ctx.drop('pong');
      return;
    }
    ctx.sendTo(target, forwarded(raw));
  }

  private onQuery(
    link: Link,
    header: DescriptorHeader,
    key: string,
    ttl: number,
    raw: Uint8Array,
    query: Query,
  ): void {
    const { ctx } = this;
    if (raw.length - 23 > MAX_QUERY_PAYLOAD) {
      ctx.drop('query');
      return;
    }
    if (link.flowControlled) {
      ctx.drop('query'); // §3.1: in flow control, incoming queries from that link are dropped
      return;
    }
    if (!this.firstSeen(PayloadType.Query, key, link)) return;
    this.queryRoutes.set(key, link.id);
    this.answer(link, header, query);
    // Leaves never relay; ultrapeers forward to peers (TTL permitting) and QRP-matching leaves.
    if (ctx.role === 'leaf') return;
    this.forwardQuery(link, forwarded(raw), query, ttl > 1);
  }

  /** Query to every ultrapeer but `from` (when `toPeers`) and to every leaf whose table matches. */
  private forwardQuery(
    from: Link | undefined,
    bytes: Uint8Array,
    query: Query,
    toPeers = true,
  ): void {
    const { ctx } = this;
    let words: string[] | undefined; // split once, hashed per table
    for (const link of ctx.links.values()) {
      if (link === from) continue;
      if (link.peer.ultrapeer) {
        if (!toPeers) continue;
        // Last hop (the copy arrives with TTL 1): only to a peer whose table matches.
        const table = bytes[17] === 1 ? this.qrp.tableOf(link.id) : undefined;
        if (table) words ??= qrpQueryWords(query.criteria);
        if (!table || table.matchesWords(words!, query.urns)) ctx.sendTo(link, bytes);
        continue;
      }
      const table = this.qrp.tableOf(link.id);
      // No complete table yet: forward everything (QRP §"after a RESET").
      if (table) words ??= qrpQueryWords(query.criteria);
      if (!table || table.matchesWords(words!, query.urns)) ctx.sendTo(link, bytes);
    }
  }

  /** Answers a query from our shared files (§2.2.5: hit GUID = query GUID, TTL >= its hops). */
  private answer(link: Link, header: DescriptorHeader, query: Query): void {
    const { ctx } = this;
    if (
      ctx.o.firewalled &&
      query.minSpeed & QueryFlags.Modern &&
      query.minSpeed & QueryFlags.Firewalled
    )
      return;
    const files = ctx.files;
    if (files.length === 0) return;
    const matches: QueryHitResult[] = [];
    const wanted = new Set(query.urns.filter((u) => u.length > 4).map((u) => u.toLowerCase()));
    const queryWords = splitWords(query.criteria);
    for (const [i, f] of files.entries()) {
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
    const a = ctx.advertisedAddress;
    for (let i = 0; i < matches.length; i += MAX_RESULTS_PER_HIT) {
      const hit: QueryHit = {
        kind: 'queryhit',
        port: ctx.options.httpPort ?? a.port,
        ip: a.host,
        speed: ctx.o.speedKbps,
        results: matches.slice(i, i + MAX_RESULTS_PER_HIT),
        trailer: {
          vendor: ctx.o.vendor,
          push: ctx.o.firewalled,
          busy: false,
          uploaded: false,
          measuredSpeed: false,
        },
        serventId: ctx.serventId,
      };
      const ttl = Math.min(header.hops + 2, MAX_ACCEPTED_TTL);
      ctx.sendTo(link, encodeDescriptor({ guid: header.guid, ttl, hops: 0, message: hit }));
    }
    ctx.emit('answered', query.criteria, matches.length);
  }

  private onQueryHit(
    link: Link,
    header: DescriptorHeader,
    key: string,
    ttl: number,
    raw: Uint8Array,
    hit: QueryHit,
  ): void {
    const { ctx } = this;
    this.pushRoutes.set(guidKey(hit.serventId), link.id);
    const route = this.queryRoutes.get(key);
    if (route === SELF) {
      const search = this.searches.get(key);
      if (!search) {
        ctx.drop('queryhit');
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
    const target = route === undefined ? undefined : ctx.links.get(route);
    if (!target || ttl <= 1) {
      ctx.drop('queryhit'); // a hit for a query we never saw (or routed out of TTL)
      return;
    }
    ctx.sendTo(target, forwarded(raw));
  }

  private onPush(link: Link, key: string, ttl: number, raw: Uint8Array, push: Push): void {
    const { ctx } = this;
    if (!this.firstSeen(PayloadType.Push, key, link)) return;
    const target = guidKey(push.serventId);
    if (target === guidKey(ctx.serventId)) {
      ctx.emit('push', { index: push.index, host: push.ip, port: push.port });
      this.onPushToUs(push);
      return;
    }
    const route = this.pushRoutes.get(target);
    const next = route === undefined ? undefined : ctx.links.get(route);
    if (!next || ttl <= 1) {
      ctx.drop('push');
      return;
    }
    ctx.sendTo(next, forwarded(raw));
  }
}
