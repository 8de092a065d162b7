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
  simulatedMs: number;
  wallMs: number;
  seed: number;
}

/** d((d-1)^t - 1)/(d - 2), or 2t when d = 2. */
export function floodBound(d: number, t: number): number {
  if (d === 2) return 2 * t;
  return (d * ((d - 1) ** t - 1)) / (d - 2);
}

function totals(world: GnutellaWorld): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of world.servents) {
    for (const [k, v] of Object.entries(s.stats.sent)) out[k] = (out[k] ?? 0) + v;
  }
  return out;
}

export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const wallStart = performance.now();
  const world = new GnutellaWorld(options);
  const o = world.options;
  const queries = options.queries;
  const interval = options.queryIntervalMs ?? 100;
  const timeout = options.queryTimeoutMs ?? 10_000;
  try {
    await world.build();
    const before = totals(world);
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
    const after = totals(world);
    const messages: Record<string, number> = {};
    let all = 0;
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const n = (after[k] ?? 0) - (before[k] ?? 0);
      if (n > 0) messages[k] = n;
      all += n;
    }
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
      simulatedMs: sim.now,
      wallMs: Math.round(performance.now() - wallStart),
      seed: o.seed,
    };
  } finally {
    await world.stop();
  }
}
