/**
 * One FastTrack simulation as `p2pkit sim fasttrack` runs it: build the two-tier network, let
 * it settle, issue the workload's queries (the same ones `p2pkit sim gnutella` issues for the
 * same seed), optionally crash a fraction of the supernodes meanwhile, and count what every
 * node sent. The result is the CLI's JSON contract (issue 17: nodes, supernodes,
 * messagesPerQuery, successRate, supernodeLoad, reparentMs, simulatedMs, wallMs, seed, and more).
 */
import { Distribution, type FileSharingWorkload, fileQuery } from '@p2pkit/sim';
import type { SearchAnswer } from '../options.js';
import { FastTrackWorld, type WorldOptions } from './world.js';

export interface SimulateOptions extends FileSharingWorkload, WorldOptions {
  /** Fraction of the supernodes that crash during the query phase (default 0). */
  churn?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface Summary {
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SimulateResult {
  protocol: 'fasttrack';
  nodes: number;
  supernodes: number;
  ordinary: number;
  freeriders: number;
  ttl: number;
  files: number;
  replication: number;
  queries: number;
  /** QUERY and FORWARD messages sent per query (every copy, duplicates included). */
  messagesPerQuery: number;
  /** Answers (Results) sent per query, every hop. */
  resultMessagesPerQuery: number;
  /** Every message sent during the query phase (refresh, pings, re-parenting too), per query. */
  totalMessagesPerQuery: number;
  /** Bytes of those messages (bodies + 4-byte frame + 36-byte envelope), per query. */
  bytesPerQuery: number;
  /** FORWARDs that reached a supernode that had seen the query, per query. */
  duplicatesPerQuery: number;
  successRate: number;
  hitsPerQuery: number;
  /** Supernodes whose index answered, per query (mean). */
  supernodesPerQuery: number;
  /**
   * Simulated ms from a successful query's start to the answer at the asking node: the parent
   * answers once every supernode within the TTL answered (results travel back the flood tree).
   */
  latencyMs: Summary;
  /** Children and queries received (QUERY + FORWARD) per supernode during the query phase. */
  supernodeLoad: { children: Summary; queries: Summary };
  /** Messages received per ordinary node during the query phase. */
  ordinaryLoad: Summary;
  /** Routing state: sessions + cached supernodes (+ index entries on supernodes), and bytes. */
  routingEntries: { supernode: number; ordinary: number };
  routingBytes: { supernode: number; ordinary: number };
  /** Supernodes crashed, queries that found nothing because of it, and re-parenting times. */
  churn: { crashed: number; reparents: number; orphans: number };
  reparentMs: { p50: number; p99: number; max: number };
  messages: Record<string, number>;
  simulatedMs: number;
  wallMs: number;
  seed: number;
}

/** Bytes a message costs besides its body: u32 frame + envelope with a 16-byte id, IPv4. */
const MESSAGE_OVERHEAD = 4 + 32;
/** Bytes of one index entry (hashes, size, an 18-byte name) and of one cached supernode. */
const ENTRY_BYTES = 20 + 20 + 4 + 1 + 18 + 1;
const CACHE_ENTRY_BYTES = 9;
const SESSION_BYTES = 64;

function summary(d: Distribution): Summary {
  if (d.count === 0) return { mean: 0, p50: 0, p99: 0, max: 0 };
  return { mean: d.mean, p50: d.percentile(50), p99: d.percentile(99), max: d.max };
}

function sum(records: Iterable<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const wallStart = performance.now();
  const world = new FastTrackWorld(options);
  const o = world.options;
  const { sim, nodes } = world;
  const queries = options.queries;
  const interval = o.queryIntervalMs;
  const timeout = o.queryTimeoutMs;
  const reparent = new Distribution('reparent ms');
  const answerMs = new Distribution('answer ms');
  try {
    await world.build();
    for (const n of nodes) n.on('reparent', (e) => reparent.record(e.ms));
    const before = nodes.map((n) => ({ ...n.stats.sent }));
    const receivedBefore = nodes.map((n) => sum([n.stats.received]));
    const bytesBefore = nodes.map((n) => n.bytesSent);
    const dupBefore = nodes.reduce((a, n) => a + n.stats.duplicates, 0);
    const start = sim.now;
    // The same stream Gnutella's scenario draws its queries from: the same queries.
    const pick = sim.random('gnutella-queries');
    const churnRandom = sim.random('fasttrack-churn');
    const s = world.supernodeCount;
    const crashCount = Math.min(s - 1, Math.round((options.churn ?? 0) * s));
    const span = Math.max(1, queries * interval);
    const victims = churnRandom
      .shuffle(Array.from({ length: s }, (_, i) => i))
      .slice(0, crashCount);
    let orphans = 0;
    for (const v of victims) {
      sim.at(start + churnRandom.float() * span, () => {
        orphans += nodes[v]!.children;
        sim.crash(world.hosts[v]!);
      });
    }
    let succeeded = 0;
    let hits = 0;
    let searched = 0;
    let done = 0;
    const finish = (answer: SearchAnswer | undefined, startedAt = sim.now) => {
      if (answer && answer.results.length > 0) {
        succeeded++;
        answerMs.record(sim.now - startedAt);
      }
      hits += answer?.results.length ?? 0;
      searched += answer?.supernodes ?? 0;
      done++;
      options.onProgress?.(done, queries);
    };
    for (let q = 0; q < queries; q++) {
      sim.at(start + q * interval, () => {
        const { file, from } = world.catalogue.pickQuery(pick);
        const node = nodes[from]!;
        if (!world.hosts[from]!.alive) return finish(undefined);
        const startedAt = sim.now;
        node.search(fileQuery(file), { timeoutMs: timeout, maxResults: 100 }).then(
          (answer) => finish(answer, startedAt),
          () => finish(undefined),
        );
      });
    }
    await sim.runUntil(() => done === queries, {
      timeoutMs: queries * interval + timeout + 60_000,
    });
    const sent = sum(nodes.map((n, i) => diff(n.stats.sent, before[i]!)));
    const all = Object.values(sent).reduce((a, b) => a + b, 0);
    const bytes = nodes.reduce((a, n, i) => a + n.bytesSent - bytesBefore[i]!, 0);
    const children = new Distribution('children');
    const queryLoad = new Distribution('queries');
    const ordinaryLoad = new Distribution('ordinary');
    let snEntries = 0;
    let snBytes = 0;
    let onEntries = 0;
    let onBytes = 0;
    nodes.forEach((n, i) => {
      if (!world.hosts[i]!.alive) return;
      const received = diff(sum([n.stats.received]), receivedBefore[i]!);
      const sessions = n.sessions;
      const cached = n.knownSupernodes.length;
      if (n.role === 'supernode') {
        children.record(n.children);
        queryLoad.record((received.query ?? 0) + (received.forward ?? 0));
        snEntries += sessions + cached + n.indexSize;
        snBytes +=
          sessions * SESSION_BYTES + cached * CACHE_ENTRY_BYTES + n.indexSize * ENTRY_BYTES;
      } else {
        ordinaryLoad.record(Object.values(received).reduce((a, b) => a + b, 0));
        onEntries += sessions + cached;
        onBytes += sessions * SESSION_BYTES + cached * CACHE_ENTRY_BYTES;
      }
    });
    const sns = Math.max(1, children.count);
    const ons = Math.max(1, ordinaryLoad.count);
    const per = (n: number) => (queries > 0 ? n / queries : 0);
    const dups = nodes.reduce((a, n) => a + n.stats.duplicates, 0) - dupBefore;
    return {
      protocol: 'fasttrack',
      nodes: o.nodes,
      supernodes: world.supernodeCount,
      ordinary: o.nodes - world.supernodeCount,
      freeriders: world.freeriders.size,
      ttl: o.ttl,
      files: o.files,
      replication: o.replication,
      queries,
      messagesPerQuery: per((sent.query ?? 0) + (sent.forward ?? 0)),
      resultMessagesPerQuery: per(sent.results ?? 0),
      totalMessagesPerQuery: per(all),
      bytesPerQuery: per(bytes + all * MESSAGE_OVERHEAD),
      duplicatesPerQuery: per(dups),
      successRate: per(succeeded),
      hitsPerQuery: per(hits),
      supernodesPerQuery: per(searched),
      latencyMs: summary(answerMs),
      supernodeLoad: { children: summary(children), queries: summary(queryLoad) },
      ordinaryLoad: summary(ordinaryLoad),
      routingEntries: { supernode: snEntries / sns, ordinary: onEntries / ons },
      routingBytes: { supernode: snBytes / sns, ordinary: onBytes / ons },
      churn: { crashed: crashCount, reparents: reparent.count, orphans },
      reparentMs: {
        p50: reparent.count > 0 ? reparent.percentile(50) : 0,
        p99: reparent.count > 0 ? reparent.percentile(99) : 0,
        max: reparent.count > 0 ? reparent.max : 0,
      },
      messages: sent,
      simulatedMs: sim.now,
      wallMs: Math.round(performance.now() - wallStart),
      seed: o.seed,
    };
  } finally {
    await world.stop();
  }
}

function diff(
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const n = v - (before[k] ?? 0);
    if (n > 0) out[k] = n;
  }
  return out;
}
