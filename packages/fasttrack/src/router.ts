/**
 * A supernode's half of searching: the index of its children's files (and its own), answers
 * from it, and the forwarding of queries to other supernodes: each query gets a random id at
 * the first supernode, travels at most `queryTtl` supernode hops, is answered once by each
 * supernode (a second copy gets an empty answer at once), and the answers are merged on the way
 * back, each hop waiting at most its share of the time budget.
 */
import { type Address, BoundedMap, P2PError, type Random } from '@p2pkit/core';
import { ShareIndex } from './index-store.js';
import type { Link } from './link.js';
import {
  decodeForward,
  decodeResults,
  decodeShare,
  decodeUnshare,
  encodeForward,
  encodeShareReply,
  type Forward,
  MessageType,
  type QuerySpec,
} from './messages.js';
import type { NodeStats, SearchAnswer } from './options.js';
import { hashToHex } from './uuhash.js';
import type { SearchResult } from './wire.js';

/** What the router reads from its node. */
export interface QuerySource {
  readonly id: Uint8Array;
  readonly advertise: Address;
  readonly firewalled: boolean;
  readonly peerLinks: Iterable<Link>;
}

/** An index entry is owned by a child's session, or by the supernode itself. */
export type Owner = Link | 'self';

export interface QueryRouterOptions {
  self: QuerySource;
  maxPerOwner: number;
  queryTtl: number;
  random: Random;
  onDuplicate(): void;
}

/** Query ids remembered for duplicate suppression. */
const SEEN_QUERIES = 10_000;
/** Of its budget, what a supernode gives the next hop (the rest covers the way back). */
const BUDGET_SHARE = 0.8;

export class QueryRouter {
  readonly index: ShareIndex<Owner>;
  readonly #o: QueryRouterOptions;
  readonly #seen = new BoundedMap<string, true>({ maxSize: SEEN_QUERIES });

  constructor(options: QueryRouterOptions) {
    this.#o = options;
    this.index = new ShareIndex<Owner>({ maxPerOwner: options.maxPerOwner });
  }

  onShare(link: Link, body: Uint8Array, stats: NodeStats): Uint8Array {
    if (link.kind !== 'child')
      throw new P2PError('SHARE from a node that is not a child', 'ERR_PROTOCOL');
    const files = decodeShare(body);
    const { accepted, limited } = this.index.add(link, files);
    stats.sharesRefused += files.length - accepted;
    return encodeShareReply({ accepted, total: this.index.countOf(link), limited });
  }

  onUnshare(link: Link, body: Uint8Array): Uint8Array {
    if (link.kind !== 'child')
      throw new P2PError('UNSHARE from a node that is not a child', 'ERR_PROTOCOL');
    const hashes = decodeUnshare(body);
    this.index.remove(link, hashes);
    return encodeShareReply({ accepted: 0, total: this.index.countOf(link), limited: false });
  }

  /** The results of this supernode's index. */
  local(spec: QuerySpec): SearchResult[] {
    const self = this.#o.self;
    return this.index.search(spec.words, spec.maxResults, spec.uuhash).map((e) => {
      const own = e.owner === 'self';
      const link = e.owner as Link;
      return {
        ...e.file,
        holder: own ? self.advertise : link.remote,
        holderId: own ? self.id : link.remoteId,
        firewalled: own ? self.firewalled : link.firewalled,
        supernode: self.advertise,
      };
    });
  }

  /** A query from a child or client: a new query id, then as a FORWARD with the full TTL. */
  resolve(spec: QuerySpec, from: Link | undefined, budgetMs: number): Promise<SearchAnswer> {
    const queryId = this.#o.random.bytes(16);
    this.#seen.set(hashToHex(queryId), true);
    return this.#answer({ ...spec, queryId, ttl: this.#o.queryTtl, budgetMs }, from);
  }

  /** A FORWARD from a supernode peer: empty at once when seen before. */
  async onForward(link: Link, body: Uint8Array): Promise<SearchAnswer> {
    const f = decodeForward(body);
    const key = hashToHex(f.queryId);
    if (this.#seen.has(key)) {
      this.#o.onDuplicate();
      return { results: [], supernodes: 0, truncated: false };
    }
    this.#seen.set(key, true);
    return this.#answer(f, link);
  }

  async #answer(f: Forward, from: Link | undefined): Promise<SearchAnswer> {
    const results = this.local(f);
    let supernodes = 1;
    let truncated = results.length >= f.maxResults;
    if (f.ttl > 1 && !truncated) {
      const next = { ...f, ttl: f.ttl - 1, budgetMs: Math.floor(f.budgetMs * BUDGET_SHARE) };
      const body = encodeForward(next);
      const peers = [...this.#o.self.peerLinks].filter((l) => l !== from && l.open);
      const answers = await Promise.all(
        peers.map((p) =>
          p
            .request(MessageType.FORWARD, body, { timeoutMs: Math.max(1, f.budgetMs) })
            .then((r) => decodeResults(r.body))
            .catch(() => undefined),
        ),
      );
      const have = new Set(results.map(resultKey));
      for (const a of answers) {
        if (!a) continue;
        supernodes += a.supernodes;
        truncated ||= a.truncated;
        for (const r of a.results) {
          const k = resultKey(r);
          if (have.has(k)) continue;
          if (results.length >= f.maxResults) {
            truncated = true;
            break;
          }
          have.add(k);
          results.push(r);
        }
      }
    }
    return { results, supernodes, truncated };
  }
}

function resultKey(r: SearchResult): string {
  return `${hashToHex(r.holderId)}/${hashToHex(r.uuhash)}`;
}
