/**
 * The papers' experiments (spec sheet chord.md §5.3), parameterized by size: the tests run them
 * at CI size, `pnpm experiments` at the papers' sizes. Each returns plain numbers (and raw
 * samples for plots); judging them against the targets is the caller's job.
 */
import type { Id } from '@p2pkit/core';
import { constant, Simulation, uniform } from '@p2pkit/sim';
import type { ChordNode } from '../node.js';
import { RingOracle } from '../oracle.js';
import { pdf, type Summary, summarize } from './stats.js';
import { ChordWorld, exponentialLatency, randomKey } from './world.js';

const M = 160;

export interface PathResult {
  nodes: number;
  lookups: number;
  hops: Summary;
  /** Fraction of lookups by hop count, index = hops. */
  pdf: number[];
  wrong: number;
  failed: number;
}

/**
 * CH-PATH (SIGCOMM §6.3, ToN Fig. 10): N = 2^k nodes with a single successor (r = 1, as the
 * SIGCOMM simulator), fingers built directly, iterative lookups of random keys from random
 * nodes; hops = finger forwardings to the key's predecessor (spec §5.1).
 */
export async function pathLength(options: {
  k: number;
  lookups: number;
  seed?: number;
}): Promise<PathResult> {
  const n = 2 ** options.k;
  const sim = new Simulation({ seed: options.seed ?? 1, latency: constant(1), traceHash: 'off' });
  const world = new ChordWorld(sim, {
    m: M,
    successors: 1,
    maintenance: false,
    lookup: 'iterative',
    mergeMs: 0,
  });
  await world.spawn(n);
  world.buildOracle();
  const r = await runLookups(world, options.lookups, 'lookups', world.oracle());
  await stopAll(world);
  return {
    nodes: n,
    lookups: options.lookups,
    hops: summarize(r.hops),
    pdf: pdf(r.hops),
    wrong: r.wrong,
    failed: r.failed,
  };
}

export interface FailResult {
  nodes: number;
  successors: number;
  p: number;
  failedNodes: number;
  lookups: number;
  /** ToN Table II "path length": hops to the key's predecessor (spec §5.1). */
  path: Summary;
  timeouts: Summary;
  wrong: number;
  failed: number;
}

/**
 * CH-FAIL-SL (ToN Table II): N nodes with r = 2·log2 N successors, ring built and frozen
 * (no stabilization, dead fingers stay: found only by timeouts), each node fails with
 * probability p, then iterative lookups from live nodes judged against the live successor.
 */
export async function failWithSuccessorList(options: {
  nodes: number;
  p: number;
  lookups: number;
  successors?: number;
  seed?: number;
}): Promise<FailResult> {
  const sim = new Simulation({
    seed: options.seed ?? 1,
    // Bounded delays: a 500 ms timeout then means "dead", never "slow" (the counts, not the
    // timing, are what Table II reports).
    latency: uniform(10, 100),
    traceHash: 'off',
  });
  const r = options.successors ?? Math.round(2 * Math.log2(options.nodes));
  const world = new ChordWorld(sim, {
    m: M,
    successors: r,
    maintenance: false,
    evictOnTimeout: false,
    lookup: 'iterative',
    rpcTimeoutMs: 500,
    rpcRetries: 0,
    lookupTimeoutMs: 3_600_000,
    mergeMs: 0,
  });
  await world.spawn(options.nodes);
  world.buildOracle();
  const random = sim.random('fail');
  let failedNodes = 0;
  for (const node of world.nodes()) {
    if (random.chance(options.p)) {
      world.crash(node);
      failedNodes++;
    }
  }
  const res = await runLookups(world, options.lookups, 'lookups', world.oracle());
  await stopAll(world);
  return {
    nodes: options.nodes,
    successors: r,
    p: options.p,
    failedNodes,
    lookups: options.lookups,
    path: summarize(res.hops),
    timeouts: summarize(res.timeouts),
    wrong: res.wrong,
    failed: res.failed,
  };
}

export interface NoReplicationResult {
  nodes: number;
  keys: number;
  p: number;
  lookups: number;
  /** Fraction of all keys whose original owner failed. */
  lostKeys: number;
  /** Fraction of the looked-up keys whose original owner failed. */
  lostLookedUp: number;
  /** Fraction of lookups that did not reach the key's original owner. */
  failedFraction: number;
  convergeMs: number;
}

/**
 * CH-FAIL-NOREP (SIGCOMM §6.4, Fig. 11): N nodes, K keys, a fraction p fails at once; the ring
 * then stabilizes; lookups of the keys count as correct only if they reach the node originally
 * responsible (no replication).
 */
export async function failWithoutReplication(options: {
  nodes: number;
  keys: number;
  p: number;
  lookups: number;
  seed?: number;
  onProgress?: (what: string) => void;
}): Promise<NoReplicationResult> {
  const sim = new Simulation({
    seed: options.seed ?? 1,
    latency: uniform(10, 100),
    traceHash: 'off',
  });
  const world = new ChordWorld(sim, {
    m: M,
    lookup: 'recursive',
    stabilizeMs: 2000,
    fixFingersMs: 2000,
    mergeMs: 0,
    expectedSize: options.nodes,
  });
  await world.spawn(options.nodes);
  world.buildOracle();
  const before = world.oracle();
  const random = sim.random('keys');
  const keys: Id[] = [];
  for (let i = 0; i < options.keys; i++) keys.push(randomKey(random, M));
  const originalOwner = keys.map((k) => before.owner(k).key);
  const fail = sim.random('fail');
  for (const node of world.nodes()) if (fail.chance(options.p)) world.crash(node);
  const alive = new Set(world.members.keys());
  let lost = 0;
  for (const o of originalOwner) if (!alive.has(o)) lost++;
  options.onProgress?.('stabilizing');
  const convergeMs = await world.converge(2000, 3_600_000);
  options.onProgress?.('looking up');
  const live = world.nodes();
  const pick = sim.random('lookups');
  let failed = 0;
  let lostLookedUp = 0;
  let done = 0;
  for (let i = 0; i < options.lookups; i++) {
    const k = pick.int(keys.length);
    const from = live[pick.int(live.length)]!;
    if (!alive.has(originalOwner[k]!)) lostLookedUp++;
    from.route(keys[k]!, { mode: 'recursive' }).then(
      (r) => {
        done++;
        if (r.owner.key !== originalOwner[k]) failed++;
      },
      () => {
        done++;
        failed++;
      },
    );
    if (i % 1000 === 999) await sim.run({ for: 1000 });
  }
  while (done < options.lookups) await sim.run({ for: 1000 });
  await stopAll(world);
  return {
    nodes: options.nodes,
    keys: options.keys,
    p: options.p,
    lookups: options.lookups,
    lostKeys: lost / options.keys,
    lostLookedUp: lostLookedUp / options.lookups,
    failedFraction: failed / options.lookups,
    convergeMs,
  };
}

export interface ChurnResult {
  nodes: number;
  rate: number;
  lookups: number;
  path: Summary;
  timeouts: Summary;
  /** Lookups that failed or named a node other than the current successor, per 10^4. */
  failuresPer10k: number;
  joins: number;
  leaves: number;
  liveAtEnd: number;
  simulatedMs: number;
  events: number;
  wallMs: number;
}

/**
 * CH-CHURN (ToN Table III): N nodes, r = 20, joins and voluntary leaves each a Poisson process
 * at rate R per second, stabilization every [15, 45] s refreshing the successor list and one
 * finger, exponential 50 ms delays, 500 ms timeouts, one lookup per second for the whole
 * system, judged against the current successor. `warmupMs` of churn run before measuring.
 */
export async function churnRun(options: {
  nodes: number;
  rate: number;
  lookups: number;
  warmupMs?: number;
  successors?: number;
  seed?: number;
  leave?: 'graceful' | 'crash';
  onProgress?: (done: number, total: number) => void;
}): Promise<ChurnResult> {
  const t0 = performance.now();
  const sim = new Simulation({
    seed: options.seed ?? 1,
    latency: exponentialLatency(50),
    traceHash: 'off',
  });
  const world = new ChordWorld(sim, {
    m: M,
    successors: options.successors ?? 20,
    stabilizeMs: 30_000,
    fixFingersMs: 30_000,
    checkPredecessorMs: 30_000,
    jitter: 0.5,
    lookup: 'iterative',
    rpcTimeoutMs: 500,
    rpcRetries: 0,
    mergeMs: 0,
    expectedSize: options.nodes,
  });
  await world.spawn(options.nodes);
  world.buildOracle();
  const joining = new Set<ChordNode>();
  let live = world.nodes();
  let oracle = world.oracle();
  const refresh = () => {
    live = world.nodes().filter((x) => !joining.has(x));
    oracle = new RingOracle(live.map((x) => x.table.self));
  };
  const random = sim.random('churn');
  let joins = 0;
  let leaves = 0;
  const rate = options.rate;
  const graceful = (options.leave ?? 'graceful') === 'graceful';
  const departure = () => {
    sim.after(random.exponential(1000 / rate), () => {
      departure();
      const candidates = live;
      if (candidates.length <= 2) return;
      const node = candidates[random.int(candidates.length)]!;
      leaves++;
      if (graceful) {
        const member = world.members.get(node.table.self.key)!;
        world.members.delete(node.table.self.key);
        refresh();
        // The node hands over and stops; its host is then gone for good.
        node.leave().finally(() => {
          if (member.host.alive) sim.crash(member.host);
        });
      } else {
        world.crash(node);
        refresh();
      }
    });
  };
  const arrival = () => {
    sim.after(random.exponential(1000 / rate), async () => {
      arrival();
      const via = live[random.int(live.length)];
      joins++;
      await world.arrive(via, joining);
      refresh();
    });
  };
  departure();
  arrival();
  await sim.run({ for: options.warmupMs ?? 0 });
  refresh();

  const hops: number[] = [];
  const timeouts: number[] = [];
  let failures = 0;
  let done = 0;
  const pick = sim.random('lookups');
  const events0 = sim.eventCount;
  const sim0 = sim.now;
  let issued = 0;
  const issue = () => {
    issued++;
    const from = live[pick.int(live.length)]!;
    const key = randomKey(pick, M);
    from.route(key).then(
      (r) => {
        done++;
        hops.push(r.hops);
        timeouts.push(r.timeouts);
        if (r.owner.key !== oracle.owner(key).key) failures++;
      },
      (error: { code?: string }) => {
        done++;
        // A lookup whose origin left meanwhile is abandoned, not failed.
        if (error.code !== 'ERR_ABORTED') failures++;
      },
    );
    if (issued < options.lookups) sim.after(1000, issue);
  };
  sim.after(1000, issue);
  while (done < options.lookups) {
    await sim.run({ for: 60_000 });
    options.onProgress?.(done, options.lookups);
  }
  const result: ChurnResult = {
    nodes: options.nodes,
    rate,
    lookups: options.lookups,
    path: summarize(hops),
    timeouts: summarize(timeouts),
    failuresPer10k: (failures / options.lookups) * 10_000,
    joins,
    leaves,
    liveAtEnd: world.members.size,
    simulatedMs: sim.now - sim0,
    events: sim.eventCount - events0,
    wallMs: Math.round(performance.now() - t0),
  };
  await stopAll(world);
  return result;
}

async function runLookups(
  world: ChordWorld,
  lookups: number,
  label: string,
  oracle: RingOracle,
): Promise<{ hops: number[]; timeouts: number[]; wrong: number; failed: number }> {
  const sim = world.sim;
  const random = sim.random(label);
  const live = world.nodes();
  const hops: number[] = [];
  const timeouts: number[] = [];
  let wrong = 0;
  let failed = 0;
  let done = 0;
  for (let i = 0; i < lookups; i++) {
    const from = live[random.int(live.length)]!;
    const key = randomKey(random, world.m);
    from.route(key).then(
      (r) => {
        done++;
        hops.push(r.hops);
        timeouts.push(r.timeouts);
        if (r.owner.key !== oracle.owner(key).key) wrong++;
      },
      () => {
        done++;
        failed++;
      },
    );
    // Keep a bounded number of lookups in flight.
    if (i % 200 === 199) await sim.run({ for: 60_000 });
  }
  while (done < lookups) await sim.run({ for: 60_000 });
  return { hops, timeouts, wrong, failed };
}

async function stopAll(world: ChordWorld): Promise<void> {
  for (const node of world.nodes()) await node.stop();
}
