/**
 * The paper's experiments (Gupta et al. 2003, §3; targets KE-MEM, KE-LOOKUP, KE-FAIL,
 * KE-INSERT in ../shared/specs/kelips.md §5.5) as functions that return plain data: the
 * experiments runner (experiments/run.js) runs them at the published sizes and draws them, the
 * tests run them small and check the same properties.
 */
import { coordinates, Distribution, type LatencyModel, Simulation } from '@p2pkit/sim';
import type { KelipsNode } from '../node.js';
import { fileName, insertAll } from './simulate.js';
import { KelipsWorld, type NodeOptions } from './world.js';

export interface Sample {
  /** Simulated seconds since the start of the run (or since the crash, for KE-FAIL). */
  t: number;
  view: number;
  contacts: number;
  tuples: number;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Mean view, contacts and filetuples over the live nodes of a world. */
function sample(world: KelipsWorld, t: number): Sample {
  const s = world.meanState();
  return { t, view: s.view, contacts: s.contacts, tuples: s.tuples };
}

function newWorld(seed: number, options: NodeOptions, loss = 0) {
  const latency: LatencyModel = coordinates();
  const sim = new Simulation({ seed, latency, loss, traceHash: 'off' });
  return { sim, world: new KelipsWorld(sim, options, latency) };
}

// ---- KE-MEM: soft state per node, measured against S(k, n) ---------------------------------

export interface MemoryOptions {
  nodes: number;
  groups: number;
  files: number;
  seed?: number;
  /** Gossip rounds after the last join and after the inserts (default 40 each). */
  rounds?: number;
  node?: NodeOptions;
}

export interface MemoryResult {
  nodes: number;
  groups: number;
  files: number;
  /** What each node should hold: its group's other members, c(k−1) contacts, F/k filetuples. */
  expected: { view: number; contacts: number; tuples: number };
  measured: { view: number; contacts: number; tuples: number; entries: number; bytes: number };
  /** Mean soft state per round, from the first join on. */
  series: Sample[];
  simulatedMs: number;
}

/**
 * Every node joins through one introducer (one join each 100 ms), gossip runs `rounds` rounds,
 * `files` files are inserted through contacts, gossip runs `rounds` more; the mean view,
 * contacts and filetuples per node are then compared with n/k, c·(k−1) and F/k.
 */
export async function memoryRun(o: MemoryOptions): Promise<MemoryResult> {
  const { sim, world } = newWorld(o.seed ?? 1, {
    groups: o.groups,
    expectedSize: o.nodes,
    ...o.node,
  });
  const rounds = o.rounds ?? 40;
  const nodes = await world.spawn(o.nodes);
  const roundMs = nodes[0]!.options.roundMs;
  const series: Sample[] = [];
  const tick = async (ms: number) => {
    const end = sim.now + ms;
    while (sim.now < end) {
      await sim.runFor(Math.min(roundMs, end - sim.now));
      series.push(sample(world, sim.now / 1000));
    }
  };
  for (const node of nodes) {
    await world.join(node, node === nodes[0] ? undefined : nodes[0]);
    await sim.runFor(100);
  }
  await tick(rounds * roundMs);
  await insertAll(
    world,
    Array.from({ length: o.files }, (_, i) => fileName(i)),
  );
  await tick(rounds * roundMs);
  const m = world.meanState();
  const sizes = new Map<number, number>();
  for (const n of world.nodes()) sizes.set(n.group, (sizes.get(n.group) ?? 0) + 1);
  const c = nodes[0]!.options.contacts;
  // Expected per node, from the actual group sizes (a node's view is its group minus itself).
  const expectedView = mean(world.nodes().map((n) => sizes.get(n.group)! - 1));
  const occupied = mean(
    world.nodes().map((n) => {
      let sum = 0;
      for (const [g, size] of sizes) if (g !== n.group) sum += Math.min(c, size);
      return sum;
    }),
  );
  return {
    nodes: o.nodes,
    groups: o.groups,
    files: o.files,
    expected: { view: expectedView, contacts: occupied, tuples: o.files / o.groups },
    measured: m,
    series,
    simulatedMs: sim.now,
  };
}

// ---- KE-FAIL: lookups while half the nodes crash ----------------------------------------------

export interface FailOptions {
  nodes: number;
  groups: number;
  files: number;
  seed?: number;
  /** Fraction of the nodes that crash at once (default 0.5: 500 of 1000). */
  crash?: number;
  /** Rounds of lookups before the crash (default 20) and after it (default 60). */
  before?: number;
  after?: number;
  /** Lookups per simulated second (default 2, the paper's). */
  rate?: number;
  node?: NodeOptions;
}

export interface FailLookup {
  /** Seconds relative to the crash. */
  t: number;
  outcome: 'ok' | 'failed' | 'home-crashed' | 'wrong-home';
  hops: number;
  /** Nodes asked, and of those how many did not answer. */
  tries: number;
  timeouts: number;
  /** Simulated ms the lookup took. */
  ms: number;
}

export interface FailResult {
  nodes: number;
  groups: number;
  crashed: number;
  lookups: FailLookup[];
  /** Mean soft state of the live nodes each round, t in seconds relative to the crash. */
  series: Sample[];
  /** The live view a node should settle to: its live group members. */
  expectedViewAfter: number;
  /** Seconds after the crash until the mean view is within 5 % of expectedViewAfter. */
  settledAfterS: number | undefined;
  roundMs: number;
}

/**
 * The paper's K5: complete soft state, files inserted through contacts, lookups at `rate` per
 * second from random live nodes; at t = 0 half the nodes crash. Each lookup is judged against
 * where the file really is; a lookup for a file whose home crashed is the failure the paper
 * allows, any other is a routing failure.
 */
export async function failRun(o: FailOptions): Promise<FailResult> {
  const { sim, world } = newWorld(o.seed ?? 1, {
    groups: o.groups,
    expectedSize: o.nodes,
    ...o.node,
  });
  const nodes = await world.spawn(o.nodes);
  const roundMs = nodes[0]!.options.roundMs;
  world.buildOracle();
  await insertAll(
    world,
    Array.from({ length: o.files }, (_, i) => fileName(i)),
  );
  await sim.runFor(20 * roundMs);
  const holders = new Map<string, KelipsNode>();
  for (const n of world.nodes()) for (const name of n.store.names()) holders.set(name, n);
  const random = sim.random('fail:lookups');
  const lookups: FailLookup[] = [];
  let crashAt = Number.POSITIVE_INFINITY;
  const series: Sample[] = [];
  const rate = o.rate ?? 2;
  const issue = () => {
    const live = world.nodes();
    const from = live[random.int(live.length)]!;
    const name = fileName(random.int(o.files));
    const t = sim.now;
    from.lookup(name).then(
      (answer) => {
        const holder = holders.get(name);
        const alive = holder !== undefined && world.at(holder.address) === holder;
        const outcome: FailLookup['outcome'] = !alive
          ? 'home-crashed'
          : answer.home === undefined
            ? 'failed'
            : world.at(answer.home)?.store.has(name)
              ? 'ok'
              : 'wrong-home';
        lookups.push({
          t: (t - crashAt) / 1000,
          outcome,
          hops: answer.hops,
          tries: answer.tries,
          timeouts: answer.timeouts,
          ms: sim.now - t,
        });
      },
      () => {
        // The querier itself crashed meanwhile: abandoned, not judged.
      },
    );
  };
  const timer = setEvery(sim, 1000 / rate, issue);
  const before = o.before ?? 20;
  const after = o.after ?? 60;
  for (let r = 0; r < before; r++) {
    await sim.runFor(roundMs);
    series.push(sample(world, sim.now / 1000));
  }
  crashAt = sim.now;
  for (const s of series) s.t -= crashAt / 1000;
  for (const l of lookups) l.t -= crashAt / 1000;
  const crashRandom = sim.random('fail:crash');
  const victims = crashRandom
    .shuffle(world.nodes())
    .slice(0, Math.round((o.crash ?? 0.5) * o.nodes));
  for (const v of victims) world.crash(v);
  const sizes = new Map<number, number>();
  for (const n of world.nodes()) sizes.set(n.group, (sizes.get(n.group) ?? 0) + 1);
  const expectedViewAfter = mean(world.nodes().map((n) => sizes.get(n.group)! - 1));
  let settledAfterS: number | undefined;
  for (let r = 0; r < after; r++) {
    await sim.runFor(roundMs);
    const s = sample(world, (sim.now - crashAt) / 1000);
    series.push(s);
    if (settledAfterS === undefined && s.view <= expectedViewAfter * 1.05) settledAfterS = s.t;
  }
  timer.stop();
  await sim.runFor(10_000); // the last lookups finish
  await world.close();
  return {
    nodes: o.nodes,
    groups: o.groups,
    crashed: victims.length,
    lookups,
    series,
    expectedViewAfter,
    settledAfterS,
    roundMs,
  };
}

/** Runs `action` every `ms` of virtual time until stopped. */
function setEvery(sim: Simulation, ms: number, action: () => void): { stop(): void } {
  let stopped = false;
  const next = () => {
    sim.after(ms, () => {
      if (stopped) return;
      action();
      next();
    });
  };
  next();
  return {
    stop() {
      stopped = true;
    },
  };
}

// ---- KE-INSERT: tries per insert, and where files land ----------------------------------------

export interface InsertOptions {
  nodes: number;
  groups: number;
  files: number;
  seed?: number;
  /** Datagram loss probability: what makes a try fail in a stable system (default 0). */
  loss?: number;
  node?: NodeOptions;
}

export interface InsertResult {
  nodes: number;
  groups: number;
  files: number;
  loss: number;
  /** tries[i]: inserts that succeeded in i + 1 tries. */
  tries: number[];
  failed: number;
  /** Insert turnaround divided by the mean RTT between nodes. */
  turnaroundRtts: ReturnType<Distribution['summary']>;
  /** Files stored per node (the paper's load balance, K2/K3). */
  filesPerNode: { mean: number; max: number; histogram: number[] };
}

/** Inserts in flight at once in insertRun. */
const INSERT_BATCH = 50;

/**
 * The paper's K4: complete soft state, then `files` inserts from random nodes, 50 at a time,
 * each through the closest contact of its group, retried through the next contact up
 * to 4 tries. In a stable system a try fails only when a message is lost (`loss`).
 */
export async function insertRun(o: InsertOptions): Promise<InsertResult> {
  const loss = o.loss ?? 0;
  const { sim, world } = newWorld(
    o.seed ?? 1,
    { groups: o.groups, expectedSize: o.nodes, ...o.node },
    0,
  );
  const nodes = await world.spawn(o.nodes);
  world.buildOracle();
  await sim.runFor(2 * nodes[0]!.options.roundMs);
  sim.loss = loss;
  const rtt = new Distribution('rtt');
  for (const n of nodes)
    for (const c of n.view().contacts) if (c.rttMs !== undefined) rtt.record(c.rttMs);
  const meanRtt = rtt.mean;
  const random = sim.random('insert:origins');
  const tries: number[] = [];
  const turnaround = new Distribution('turnaround');
  let failed = 0;
  const value = new Uint8Array(0);
  // Inserts go out in batches (the paper inserted 2 per second into a live system; the tries
  // an insert needs do not depend on how many others run meanwhile).
  for (let i = 0; i < o.files; i += INSERT_BATCH) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(o.files, i + INSERT_BATCH); j++) {
      const from = nodes[random.int(nodes.length)]!;
      const started = sim.now;
      batch.push(
        from.insert(fileName(j), value).then(
          (answer) => {
            tries[answer.tries - 1] = (tries[answer.tries - 1] ?? 0) + 1;
            turnaround.record((sim.now - started) / meanRtt);
          },
          () => {
            failed++;
          },
        ),
      );
    }
    await world.settle(Promise.all(batch));
  }
  for (let i = 0; i < tries.length; i++) tries[i] ??= 0;
  const perNode = nodes.map((n) => n.store.size);
  const histogram: number[] = [];
  for (const x of perNode) histogram[x] = (histogram[x] ?? 0) + 1;
  for (let i = 0; i < histogram.length; i++) histogram[i] ??= 0;
  await world.close();
  return {
    nodes: o.nodes,
    groups: o.groups,
    files: o.files,
    loss,
    tries,
    failed,
    turnaroundRtts: turnaround.summary(),
    filesPerNode: { mean: mean(perNode), max: Math.max(...perNode), histogram },
  };
}
