/**
 * One Gnutella simulation as `p2pkit sim gnutella` runs it: build a network, let it settle,
 * then issue queries for replicated files and count what every servent sent. The result object
 * is the CLI's JSON contract (issue 13: nodes, queries, messagesPerQuery, successRate,
 * pingPongShare, hitsPerQuery, simulatedMs, wallMs, seed, and more).
 *
 * The workload (nodes, files, replication, queries, latency) is protocol-neutral, so the same
 * one can be run for FastTrack and compared (`p2pkit compare`).
 */
import { Distribution, type FileSharingWorkload } from '@p2pkit/sim';
import type { Search } from '../search.js';
import { fileQuery, GnutellaWorld, type WorldOptions } from './world.js';

/** The protocol-neutral part (what is shared, how widely, what is searched): @p2pkit/sim's. */
export type { FileSharingWorkload };

export interface SimulateOptions
  extends FileSharingWorkload,
    Omit<WorldOptions, keyof FileSharingWorkload> {
  onProgress?: (done: number, total: number) => void;
}

export interface LoadSummary {
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SimulateResult {
  protocol: 'gnutella';
  nodes: number;
  ultrapeers: number;
  leaves: number;
  degree: number;
  ttl: number;
  files: number;
  replication: number;
  queries: number;
  /** Query descriptors transmitted per query (every copy, duplicates included). */
  messagesPerQuery: number;
  /** d((d-1)^t - 1)/(d - 2): transmissions of a flood in a d-regular tree (no duplicates). */
  floodBound: number;
  /** Query Hit descriptors transmitted per query (every hop). */
  hitMessagesPerQuery: number;
  /** Every descriptor transmitted during the query phase, per query. */
  totalMessagesPerQuery: number;
  /** Queries with at least one result. */
  successRate: number;
  /** Results per query (mean). */
  hitsPerQuery: number;
  /** Ping + Pong among all descriptors transmitted during the query phase. */
  pingPongShare: number;
  pongCaching: boolean;
  /** Queries received per servent during the query phase. */
  queryLoad: LoadSummary;
  /** Descriptors transmitted during the query phase, by type. */
  messages: Record<string, number>;
  /** Bytes of Query and Query Hit descriptors transmitted per query (every hop, headers included). */
  bytesPerQuery: number;
  /** Bytes of every descriptor transmitted during the query phase, per query. */
  totalBytesPerQuery: number;
  /** Bytes transmitted during the query phase, by descriptor type. */
  bytes: Record<string, number>;
  /**
   * Routing state per servent at the end of the query phase (means): entries = connections +
   * GUID routes + QRP tables held; bytes as `Servent.routingState()` estimates them.
   */
  memoryPerNode: { entries: number; bytes: number };
  /** The same, split (means per servent; `ultrapeer` over the ultrapeers only). */
  routingPerNode: {
    connections: number;
    guidRoutes: number;
    qrpTables: number;
    bytes: number;
    ultrapeerBytes: number;
  };
  /** Hops of the first hit of each successful query. */
  hops: { mean: number; p50: number; p99: number };
  /** Time from a query to its first hit, simulated ms (successful queries). */
  latencyMs: { mean: number; p50: number; p99: number };
  /** Ping and Pong bytes sent per servent per simulated second during the query phase. */
  maintenanceBytesPerNodePerSec: number;
  simulatedMs: number;
  wallMs: number;
  seed: number;
}

/** d((d-1)^t - 1)/(d - 2), or 2t when d = 2. */
export function floodBound(d: number, t: number): number {
  if (d === 2) return 2 * t;
  return (d * ((d - 1) ** t - 1)) / (d - 2);
}

function totals(world: GnutellaWorld, what: 'sent' | 'sentBytes'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of world.servents) {
    for (const [k, v] of Object.entries(s.stats[what])) out[k] = (out[k] ?? 0) + v;
  }
  return out;
}

/** after - before, by key, zeros left out; and the sum. */
function difference(
  before: Record<string, number>,
  after: Record<string, number>,
): [Record<string, number>, number] {
  const out: Record<string, number> = {};
  let all = 0;
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const n = (after[k] ?? 0) - (before[k] ?? 0);
    if (n > 0) out[k] = n;
    all += n;
  }
  return [out, all];
}

function summary(d: Distribution): { mean: number; p50: number; p99: number } {
  return d.count === 0
    ? { mean: 0, p50: 0, p99: 0 }
    : { mean: d.mean, p50: d.percentile(50), p99: d.percentile(99) };
}

function routing(world: GnutellaWorld): SimulateResult['routingPerNode'] {
  let connections = 0;
  let guidRoutes = 0;
  let qrpTables = 0;
  let bytes = 0;
  let ultrapeerBytes = 0;
  let ultrapeers = 0;
  for (const s of world.servents) {
    const r = s.routingState();
    connections += r.connections;
    guidRoutes += r.guidRoutes;
    qrpTables += r.qrpTables;
    bytes += r.bytes;
    if (s.role === 'ultrapeer') {
      ultrapeerBytes += r.bytes;
      ultrapeers++;
    }
  }
  const n = Math.max(1, world.servents.length);
  return {
    connections: connections / n,
    guidRoutes: guidRoutes / n,
    qrpTables: qrpTables / n,
    bytes: bytes / n,
    ultrapeerBytes: ultrapeers > 0 ? ultrapeerBytes / ultrapeers : 0,
  };
}

export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const wallStart = performance.now();
  const world = new GnutellaWorld(options);
  try {
    await world.build();
    return await queryPhase(world, options, wallStart);
  } finally {
    await world.stop();
  }
}

/** What one query phase on a built world takes (the experiments run several on one world). */
export interface QueryPhaseOptions {
  queries: number;
  /** TTL of these queries (default: the world's). */
  ttl?: number;
  queryIntervalMs?: number;
  queryTimeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Issues `queries` queries on a built world and measures them; the world stays up, so another
 * phase (another TTL) can follow on the same network. The same query stream every time.
 */
export async function queryPhase(
  world: GnutellaWorld,
  options: QueryPhaseOptions,
  wallStart = performance.now(),
): Promise<SimulateResult> {
  const o = { ...world.options, ttl: options.ttl ?? world.options.ttl };
  const queries = options.queries;
  const interval = options.queryIntervalMs ?? 100;
  const timeout = options.queryTimeoutMs ?? 10_000;
  const before = totals(world, 'sent');
  const bytesBefore = totals(world, 'sentBytes');
  const firstHops = new Distribution('hops of the first hit');
  const firstLatency = new Distribution('ms to the first hit');
  const received = world.servents.map((s) => s.stats.received.query ?? 0);
  const { sim } = world;
  const start = sim.now;
  const pick = sim.random('gnutella-queries');
  let succeeded = 0;
  let results = 0;
  let done = 0;
  for (let q = 0; q < queries; q++) {
    sim.at(start + q * interval, () => {
      const { file: k, from } = world.catalogue.pickQuery(pick);
      const search: Search = world.servents[from]!.search(fileQuery(k), { ttl: o.ttl });
      const sentAt = sim.now;
      search.once('hit', (hit) => {
        firstHops.record(hit.hops);
        firstLatency.record(sim.now - sentAt);
      });
      sim.after(timeout, () => {
        if (search.hits.length > 0) succeeded++;
        results += search.hits.length;
        search.stop();
        done++;
        options.onProgress?.(done, queries);
      });
    });
  }
  await sim.runUntil(() => done === queries, {
    timeoutMs: queries * interval + timeout + 60_000,
  });
  const [messages, all] = difference(before, totals(world, 'sent'));
  const [bytes, allBytes] = difference(bytesBefore, totals(world, 'sentBytes'));
  const routingPerNode = routing(world);
  const seconds = (sim.now - start) / 1000;
  const load = new Distribution('queries received');
  world.servents.forEach((s, i) => {
    load.record((s.stats.received.query ?? 0) - received[i]!);
  });
  const per = (n: number) => (queries > 0 ? n / queries : 0);
  return {
    protocol: 'gnutella',
    nodes: o.nodes,
    ultrapeers: o.ultrapeers > 0 ? world.ultrapeerCount : 0,
    leaves: o.ultrapeers > 0 ? o.nodes - world.ultrapeerCount : 0,
    degree: o.degree,
    ttl: o.ttl,
    files: o.files,
    replication: o.replication,
    queries,
    messagesPerQuery: per(messages.query ?? 0),
    floodBound: floodBound(o.degree, o.ttl),
    hitMessagesPerQuery: per(messages.queryhit ?? 0),
    totalMessagesPerQuery: per(all),
    successRate: per(succeeded),
    hitsPerQuery: per(results),
    pingPongShare: all > 0 ? ((messages.ping ?? 0) + (messages.pong ?? 0)) / all : 0,
    pongCaching: o.pongCaching,
    queryLoad: {
      mean: load.mean,
      p50: load.percentile(50),
      p99: load.percentile(99),
      max: load.max,
    },
    messages,
    bytesPerQuery: per((bytes.query ?? 0) + (bytes.queryhit ?? 0)),
    totalBytesPerQuery: per(allBytes),
    bytes,
    memoryPerNode: {
      entries: routingPerNode.connections + routingPerNode.guidRoutes + routingPerNode.qrpTables,
      bytes: routingPerNode.bytes,
    },
    routingPerNode,
    hops: summary(firstHops),
    latencyMs: summary(firstLatency),
    maintenanceBytesPerNodePerSec:
      seconds > 0 ? ((bytes.ping ?? 0) + (bytes.pong ?? 0)) / o.nodes / seconds : 0,
    simulatedMs: sim.now,
    wallMs: Math.round(performance.now() - wallStart),
    seed: o.seed,
  };
}
