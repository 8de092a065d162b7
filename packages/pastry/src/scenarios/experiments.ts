/**
 * The paper's experiments (Rowstron & Druschel 2001, §5) on the simulator, as
 * ../shared/specs/pastry.md §5.3 sets them as reproduction targets:
 * - PA-HOPS (Fig. 4, 5): route length vs N, and its distribution at the largest N;
 * - PA-FAIL (Fig. 9, 10): hops before failures, after 10 % of the nodes fail silently without
 *   routing-table repair, and after lazy repair; RPCs per failed node;
 * - PA-LOC (Fig. 6, 7): route distance relative to the direct distance on the paper's plane,
 *   with proximity-aware joins (and without, the negative control); routing-table quality.
 * The experiment runner (experiments/run.js) and the tests call these with their own sizes.
 */
import { AbortError, type Id, sameAddress } from '@p2pkit/core';
import { coordinates, Distribution, Simulation, uniform } from '@p2pkit/sim';
import { Purpose } from '../messages.js';
import type { PastryNode } from '../node.js';
import type { JoinVariant } from '../options.js';
import { type HopSummary, simulate } from './simulate.js';
import { PastryWorld } from './world.js';

export interface HopsResult {
  nodes: number;
  lookups: number;
  hops: HopSummary;
  /** fractions[h]: share of the lookups that took h hops. */
  fractions: number[];
  /** Routing-table entries and leaf-set members per node (means). */
  state: { tableEntries: number; leafSet: number };
  misdeliveries: number;
  wallMs: number;
}

/** PA-HOPS: an overlay of `nodes` built from an oracle, `lookups` routes to live nodes' ids. */
export async function hopsRun(options: {
  nodes: number;
  lookups: number;
  seed?: number;
}): Promise<HopsResult> {
  const r = await simulate({ nodes: options.nodes, lookups: options.lookups, seed: options.seed });
  const total = r.hops.histogram.reduce((x, y) => x + y, 0);
  return {
    nodes: r.nodes,
    lookups: r.lookups,
    hops: r.hops,
    fractions: r.hops.histogram.map((c) => c / Math.max(1, total)),
    state: r.state,
    misdeliveries: r.misdeliveries,
    wallMs: r.wallMs,
  };
}

/** Lookups measured in one phase of a run. */
export interface PhaseResult {
  hops: { mean: number; p50: number; p99: number; max: number };
  lookups: number;
  misdeliveries: number;
  failedLookups: number;
}

export interface FailResult {
  nodes: number;
  failed: number;
  build: 'oracle' | 'join';
  /** Before any failure. */
  baseline: PhaseResult;
  /** After the failures, dead routing-table entries forgotten on use but not repaired. */
  noRepair: PhaseResult;
  /** After the failures, while lazy repair runs (the same run as `afterRepair`). */
  repairing: PhaseResult;
  /** Once lazy repair has run through the first batch. */
  afterRepair: PhaseResult;
  /** Repair RPCs (state requests and liveness checks) per failed node. */
  rpcsPerFailed: number;
  /** Routing-table entries put back by repair. */
  repairedEntries: number;
}

/**
 * PA-FAIL: two identical overlays (same seed, same failures), one with lazy routing-table
 * repair off and one with it on. Delays are bounded (10-100 ms) below the 500 ms RPC timeout, so
 * that a timeout always means a dead node.
 */
export async function failRun(options: {
  nodes: number;
  fail: number;
  lookups: number;
  seed?: number;
  build?: 'oracle' | 'join';
  onProgress?: (phase: string) => void;
}): Promise<FailResult> {
  const build = options.build ?? 'oracle';
  const run = async (repair: boolean) => {
    const { world, live } = await failWorld(options, build, repair);
    const baseline = await measure(world, live, options.lookups, 'fail:baseline');
    options.onProgress?.(repair ? 'baseline (repair on)' : 'baseline');
    const random = world.sim.random('fail:victims');
    const victims = random.shuffle([...live]).slice(0, options.fail);
    for (const v of victims) world.crash(v);
    const alive = world.joined();
    const rpcs0 = sum(alive, (n) => n.stats.repairRpcs);
    const first = await measure(world, alive, options.lookups, 'fail:first');
    options.onProgress?.(repair ? 'repairing' : 'no repair');
    const second = repair ? await measure(world, alive, options.lookups, 'fail:second') : first;
    const rpcs = sum(alive, (n) => n.stats.repairRpcs) - rpcs0;
    const repaired = sum(alive, (n) => n.stats.repaired);
    for (const n of world.nodes()) await n.stop();
    return { baseline, first, second, rpcs, repaired };
  };
  const off = await run(false);
  const on = await run(true);
  return {
    nodes: options.nodes,
    failed: options.fail,
    build,
    baseline: off.baseline,
    noRepair: off.first,
    repairing: on.first,
    afterRepair: on.second,
    rpcsPerFailed: on.rpcs / Math.max(1, options.fail),
    repairedEntries: on.repaired,
  };
}

async function failWorld(
  options: { nodes: number; seed?: number },
  build: 'oracle' | 'join',
  repair: boolean,
): Promise<{ world: PastryWorld; live: PastryNode[] }> {
  const sim = new Simulation({
    seed: options.seed ?? 1,
    latency: uniform(10, 100),
    traceHash: 'off',
  });
  const world = new PastryWorld(sim, {
    maintenance: false,
    repair,
    proximity: false,
    join: 'wt',
    lookupTimeoutMs: 3_600_000,
  });
  const nodes = await world.spawn(options.nodes);
  if (build === 'join') for (const n of nodes) await world.join(n);
  else world.buildOracle();
  return { world, live: world.joined() };
}

/**
 * `count` lookups, each from a random live node to the id of another (the paper's workload),
 * issued one per simulated millisecond; judged against the live nodes.
 */
async function measure(
  world: PastryWorld,
  live: readonly PastryNode[],
  count: number,
  label: string,
): Promise<PhaseResult> {
  const sim = world.sim;
  const random = sim.random(label);
  const hops = new Distribution('hops');
  let misdeliveries = 0;
  let failedLookups = 0;
  let done = 0;
  let issued = 0;
  const issue = () => {
    const from = live[random.int(live.length)]!;
    let to: PastryNode;
    do to = live[random.int(live.length)]!;
    while (to === from);
    const key: Id = to.state.self.id;
    from.route(Purpose.LOOKUP, key).then(
      (answer) => {
        done++;
        hops.record(answer.hops);
        if (!sameAddress(answer.responder.address, to.address)) misdeliveries++;
      },
      (error: unknown) => {
        done++;
        if (!(error instanceof AbortError)) failedLookups++;
      },
    );
    if (++issued < count) sim.after(1, issue);
  };
  sim.after(1, issue);
  while (done < count) {
    await sim.run({ for: 10_000 });
    if (issued >= count && sim.pending === 0 && done < count) break;
  }
  const s = hops.summary();
  return {
    hops: { mean: s.mean, p50: s.p50, p99: s.p99, max: s.max },
    lookups: count,
    misdeliveries,
    failedLookups,
  };
}

export interface LocalityResult {
  nodes: number;
  join: JoinVariant;
  proximity: boolean;
  /** Mean of route latency / direct latency over the lookups. */
  relativeDistance: number;
  hops: number;
  /**
   * Routing-table quality (Fig. 7): per row, the mean number of entries that are the closest
   * node with that prefix (the oracle's choice), and the mean number of entries filled.
   */
  optimalPerRow: number[];
  filledPerRow: number[];
  /**
   * Datagrams per join, everyone's (the route, state messages, requests, probes and
   * announcements with their answers): maintenance is off, so every datagram is a join's.
   */
  messagesPerJoin: number;
  /**
   * Rounds of routing-table maintenance run after the joins, before the lookups (every node
   * asks a random entry of each row for that row and keeps the closer nodes it names), and
   * their datagrams per node. optimalPerRow/filledPerRow are measured before them (the
   * joins' own tables, as Fig. 7).
   */
  tableRounds: number;
  tableRoundMessagesPerNode: number;
  misdeliveries: number;
  wallMs: number;
}

/**
 * PA-LOC: nodes placed at random in the paper's 1000 × 1000 plane (Euclidean proximity, no
 * access delay) join one by one through the nearest node; a sample of `sample` nodes has its
 * table compared with the oracle's closest choice per slot; `tableRounds` rounds of routing-table
 * maintenance run; then `lookups` routes, each between two random nodes, are timed.
 */
export async function localityRun(options: {
  nodes: number;
  lookups: number;
  seed?: number;
  join?: JoinVariant;
  proximity?: boolean;
  sample?: number;
  /** Default 3 with proximity (as `sim pastry --locality`), 0 without. */
  tableRounds?: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<LocalityResult> {
  const wall0 = performance.now();
  const join = options.join ?? 'wtf';
  const proximity = options.proximity ?? true;
  const plane = coordinates({ access: [0, 0] });
  const sim = new Simulation({ seed: options.seed ?? 1, latency: plane, traceHash: 'off' });
  const still = sim.random('locality:plane');
  const distance = (a: number, b: number) => plane.delay(a, b, still);
  const world = new PastryWorld(
    sim,
    { maintenance: false, join, proximity, hopAcks: false, lookupTimeoutMs: 60_000 },
    distance,
  );
  const nodes = await world.spawn(options.nodes);
  // Every datagram sent while the joins run (maintenance is off: they are all the joins').
  const sent0 = sim.metrics.totals().datagrams.sent.messages;
  for (let i = 0; i < nodes.length; i++) {
    await world.join(nodes[i]!);
    options.onProgress?.(i + 1, nodes.length);
  }
  const messages = sim.metrics.totals().datagrams.sent.messages - sent0;
  const live = world.joined();
  const quality = tableQuality(world, live, options.sample ?? 200, distance);
  const tableRounds = options.tableRounds ?? (proximity ? 3 : 0);
  const sent1 = sim.metrics.totals().datagrams.sent.messages;
  for (let round = 0; round < tableRounds; round++) {
    await world.settle(Promise.all(live.map((n) => n.exchangeRows())));
  }
  const roundMessages = sim.metrics.totals().datagrams.sent.messages - sent1;
  const random = sim.random('locality:lookups');
  let relative = 0;
  let hops = 0;
  let misdeliveries = 0;
  for (let i = 0; i < options.lookups; i++) {
    const from = live[random.int(live.length)]!;
    let to: PastryNode;
    do to = live[random.int(live.length)]!;
    while (to === from);
    const answer = await world.settle(from.route(Purpose.LOOKUP, to.state.self.id));
    if (!sameAddress(answer.responder.address, to.address)) misdeliveries++;
    const direct = distance(world.hostIndex(from), world.hostIndex(to));
    // The answer's own trip back (owner -> origin, one direct delay) is not part of the route.
    relative += (answer.ms - direct) / direct;
    hops += answer.hops;
  }
  for (const n of world.nodes()) await n.stop();
  return {
    nodes: options.nodes,
    join,
    proximity,
    relativeDistance: relative / Math.max(1, options.lookups),
    hops: hops / Math.max(1, options.lookups),
    ...quality,
    messagesPerJoin: messages / Math.max(1, nodes.length - 1),
    tableRounds,
    tableRoundMessagesPerNode: roundMessages / Math.max(1, live.length),
    misdeliveries,
    wallMs: Math.round(performance.now() - wall0),
  };
}

/** Fig. 7: per row, entries that are the closest node (by the plane) with their slot's prefix. */
function tableQuality(
  world: PastryWorld,
  live: readonly PastryNode[],
  sample: number,
  distance: (a: number, b: number) => number,
): { optimalPerRow: number[]; filledPerRow: number[] } {
  const space = live[0]!.space;
  const chosen = world.sim
    .random('locality:sample')
    .shuffle([...live])
    .slice(0, sample);
  const index = new Map(live.map((n) => [n, world.hostIndex(n)]));
  const optimal: number[] = [];
  const filled: number[] = [];
  for (const node of chosen) {
    const table = node.state.table;
    const me = index.get(node)!;
    for (let l = 0; l < table.height; l++) {
      const row = table.row(l);
      for (let d = 0; d < row.length; d++) {
        const entry = row[d];
        if (entry === undefined) continue;
        filled[l] = (filled[l] ?? 0) + 1;
        // The closest live node with this slot's prefix.
        let best: PastryNode | undefined;
        let bestD = Number.POSITIVE_INFINITY;
        for (const other of live) {
          if (other === node) continue;
          const id = other.state.self.id;
          if (space.sharedPrefixLength(id, node.state.self.id) !== l || space.digit(id, l) !== d) {
            continue;
          }
          const dd = distance(me, index.get(other)!);
          if (dd < bestD) {
            bestD = dd;
            best = other;
          }
        }
        if (best !== undefined && best.state.self.key === entry.key) {
          optimal[l] = (optimal[l] ?? 0) + 1;
        }
      }
    }
  }
  const rows = filled.length;
  return {
    optimalPerRow: Array.from({ length: rows }, (_, l) => (optimal[l] ?? 0) / chosen.length),
    filledPerRow: Array.from({ length: rows }, (_, l) => (filled[l] ?? 0) / chosen.length),
  };
}

/**
 * Datagrams per join: `joins` new nodes join, one at a time, an overlay of `nodes` built from an
 * oracle, with maintenance off, so that every datagram sent meanwhile is a join's (the route,
 * the state messages, the locality stage's requests and probes, the announcements and their
 * answers).
 */
export async function joinCostRun(options: {
  nodes: number;
  joins: number;
  join?: JoinVariant;
  seed?: number;
}): Promise<{
  nodes: number;
  join: JoinVariant;
  datagramsPerJoin: number;
  stateAfterJoin: number;
}> {
  const join = options.join ?? 'wtf';
  const sim = new Simulation({
    seed: options.seed ?? 1,
    latency: uniform(10, 100),
    traceHash: 'off',
  });
  const world = new PastryWorld(sim, { maintenance: false, join, lookupTimeoutMs: 60_000 });
  await world.spawn(options.nodes);
  world.buildOracle();
  const fresh = await world.spawn(options.joins);
  const sent0 = sim.metrics.totals().datagrams.sent.messages;
  for (const node of fresh) await world.join(node);
  const datagrams = sim.metrics.totals().datagrams.sent.messages - sent0;
  const state = sum(
    fresh,
    (n) => n.state.table.size + n.state.leaf.size + n.state.neighborhood.size,
  );
  for (const n of world.nodes()) await n.stop();
  return {
    nodes: options.nodes,
    join,
    datagramsPerJoin: datagrams / options.joins,
    stateAfterJoin: state / options.joins,
  };
}

function sum(nodes: readonly PastryNode[], f: (n: PastryNode) => number): number {
  let s = 0;
  for (const n of nodes) s += f(n);
  return s;
}
