/**
 * The lecture's Gnutella experiments as functions of their parameters, each a batch of
 * `simulate` runs: `pnpm experiments` runs them at full size and draws them (report module),
 * `test/experiments.test.ts` at CI size with tolerances.
 */
import { floodBound, queryPhase, type SimulateResult, simulate } from './simulate.js';
import { GnutellaWorld, type WorldOptions } from './world.js';

export interface ExperimentBase {
  nodes: number;
  queries: number;
  seed?: number;
  onRun?: (label: string, result: SimulateResult) => void;
}

export interface FloodRow {
  degree: number;
  ttl: number;
  messagesPerQuery: number;
  bound: number;
  successRate: number;
}

/**
 * One network, one query phase per TTL (the same queries each time): the topology is built
 * once, which is most of a run's cost.
 */
async function overTtls(
  world: WorldOptions,
  ttls: readonly number[],
  queries: number,
): Promise<SimulateResult[]> {
  const w = new GnutellaWorld({ ...world, ttl: Math.max(...ttls) });
  try {
    await w.build();
    const out: SimulateResult[] = [];
    for (const ttl of ttls) out.push(await queryPhase(w, { queries, ttl }));
    return out;
  } finally {
    await w.stop();
  }
}

/** Messages per query against the flooding bound d((d−1)^t − 1)/(d − 2), for each d and t. */
export async function floodingVsBound(
  options: ExperimentBase & { degrees: number[]; ttls: number[]; replication?: number },
): Promise<FloodRow[]> {
  const rows: FloodRow[] = [];
  for (const degree of options.degrees) {
    const runs = await overTtls(
      {
        nodes: options.nodes,
        degree,
        pingIntervalMs: 0,
        replication: options.replication ?? 0.01,
        seed: options.seed ?? 1,
      },
      options.ttls,
      options.queries,
    );
    for (const [i, ttl] of options.ttls.entries()) {
      const r = runs[i]!;
      options.onRun?.(`flood d=${degree} t=${ttl}`, r);
      rows.push({
        degree,
        ttl,
        messagesPerQuery: r.messagesPerQuery,
        bound: floodBound(degree, ttl),
        successRate: r.successRate,
      });
    }
  }
  return rows;
}

export interface SuccessRow {
  ttl: number;
  replication: number;
  successRate: number;
  hitsPerQuery: number;
  messagesPerQuery: number;
}

/** Success rate against TTL, for several replication ratios (flat network). */
export async function successVsTtl(
  options: ExperimentBase & { degree: number; ttls: number[]; replications: number[] },
): Promise<SuccessRow[]> {
  const rows: SuccessRow[] = [];
  for (const replication of options.replications) {
    const runs = await overTtls(
      {
        nodes: options.nodes,
        degree: options.degree,
        replication,
        pingIntervalMs: 0,
        seed: options.seed ?? 1,
      },
      options.ttls,
      options.queries,
    );
    for (const [i, ttl] of options.ttls.entries()) {
      const r = runs[i]!;
      options.onRun?.(`success t=${ttl} r=${replication}`, r);
      rows.push({
        ttl,
        replication,
        successRate: r.successRate,
        hitsPerQuery: r.hitsPerQuery,
        messagesPerQuery: r.messagesPerQuery,
      });
    }
  }
  return rows;
}

export interface PingPongRow {
  pongCaching: boolean;
  pingPongShare: number;
  messages: Record<string, number>;
}

/** The share of Ping and Pong in all traffic, with and without pong caching. */
export async function pingPongShare(
  options: ExperimentBase & {
    degree: number;
    ttl: number;
    pingIntervalMs: number;
    queryIntervalMs: number;
  },
): Promise<PingPongRow[]> {
  const rows: PingPongRow[] = [];
  for (const pongCaching of [false, true]) {
    const r = await simulate({
      nodes: options.nodes,
      queries: options.queries,
      degree: options.degree,
      ttl: options.ttl,
      pongCaching,
      pingIntervalMs: options.pingIntervalMs,
      queryIntervalMs: options.queryIntervalMs,
      queryTimeoutMs: 5000,
      seed: options.seed ?? 1,
    });
    options.onRun?.(`ping/pong caching=${pongCaching}`, r);
    rows.push({ pongCaching, pingPongShare: r.pingPongShare, messages: r.messages });
  }
  return rows;
}

export interface TieringRow {
  nodes: number;
  /** 'ultrapeers-no-up-qrp': two-tier, without last-hop QRP between ultrapeers. */
  shape: 'flat' | 'ultrapeers' | 'ultrapeers-no-up-qrp';
  messagesPerQuery: number;
  successRate: number;
  hitsPerQuery: number;
  queryLoadMean: number;
  queryLoadP99: number;
  queryLoadMax: number;
}

/** Ultrapeers + QRP against flat flooding at the same N, TTL and degree. */
export async function ultrapeersVsFlat(
  options: Omit<ExperimentBase, 'nodes'> & {
    sizes: number[];
    degree: number;
    ttl: number;
    ultrapeers: number;
    replication?: number;
    /** Also run the two-tier network without last-hop QRP between ultrapeers. */
    withoutUltrapeerQrp?: boolean;
  },
): Promise<TieringRow[]> {
  const rows: TieringRow[] = [];
  const shapes: TieringRow['shape'][] = options.withoutUltrapeerQrp
    ? ['flat', 'ultrapeers-no-up-qrp', 'ultrapeers']
    : ['flat', 'ultrapeers'];
  for (const nodes of options.sizes) {
    for (const shape of shapes) {
      const r = await simulate({
        nodes,
        queries: options.queries,
        degree: options.degree,
        ttl: options.ttl,
        ultrapeers: shape === 'flat' ? 0 : options.ultrapeers,
        ultrapeerQueryRouting: shape === 'ultrapeers',
        replication: options.replication ?? 0.01,
        pingIntervalMs: 0,
        seed: options.seed ?? 1,
      });
      options.onRun?.(`${shape} N=${nodes}`, r);
      rows.push({
        nodes,
        shape,
        messagesPerQuery: r.messagesPerQuery,
        successRate: r.successRate,
        hitsPerQuery: r.hitsPerQuery,
        queryLoadMean: r.queryLoad.mean,
        queryLoadP99: r.queryLoad.p99,
        queryLoadMax: r.queryLoad.max,
      });
    }
  }
  return rows;
}
