/**
 * One Kelips simulation as `p2pkit sim kelips` runs it (and `p2pkit compare` will): build a
 * system of N nodes in k ≈ √N groups, place F files, let gossip settle, measure the background
 * traffic at rest, optionally crash a fraction of the nodes or run churn, then time a batch of
 * lookups judged against an oracle that knows where every file is. The result object is the
 * CLI's JSON contract (issue 16).
 */
import { AbortError } from '@p2pkit/core';
import { constant, coordinates, Distribution, type LatencyModel, Simulation } from '@p2pkit/sim';
import { groupsFor, MEMBER_ENTRY_BYTES } from '../groups.js';
import { MessageType } from '../messages.js';
import type { KelipsNode } from '../node.js';
import { KelipsWorld, type NodeOptions } from './world.js';

export interface SimulateOptions {
  nodes: number;
  /** Lookups to run (default 1000). */
  lookups?: number;
  /** Files to place before the lookups (default: one per node). */
  files?: number;
  /** Affinity groups (default ⌈√nodes⌉). */
  groups?: number;
  /** Fraction of the nodes that crash at once just before the lookups (retries allowed). */
  fail?: number;
  /** Joins and failures per simulated second, each, while the lookups run. */
  churn?: number;
  /**
   * With `fail`: once the lookups ran, wait until the crashed nodes' entries have timed out
   * everywhere (the contact timeout and 5 rounds), then run the lookups again (`afterRepair`).
   */
  afterRepair?: boolean;
  seed?: number;
  /** How soft state is built: complete, from an oracle (default), or by real joins. */
  build?: 'oracle' | 'join' | string;
  /** How files are placed: by real inserts through contacts (default) or directly. */
  place?: 'insert' | 'oracle' | string;
  /**
   * One-way delay: a constant in ms, or (default) hosts in a plane with distance delays
   * (mean RTT ≈ 106 ms), where RTT-based contact choice and spatial gossip matter.
   */
  latencyMs?: number;
  /** Gossip rounds run after placement, before anything is measured (default 15). */
  settleRounds?: number;
  /** Extra node options (gossip period, rations, timeouts...). */
  node?: NodeOptions;
  /** Called now and then with (lookups done, lookups total). */
  onProgress?: (done: number, total: number) => void;
}

export interface Summary {
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SimulateResult {
  nodes: number;
  groups: number;
  files: number;
  lookups: number;
  /** Hops of successful lookups (1 = answered by a contact of the file's group). */
  hops: Summary;
  /** hopCounts[h]: successful lookups that took h hops. */
  hopCounts: number[];
  /** Simulated time of successful lookups, ms. */
  latencyMs: Summary;
  /** Successful lookups / lookups whose file's homenode was alive. */
  successRate: number;
  /** Lookups that failed although the file's homenode was alive (routing failures). */
  failedLookups: number;
  /** Lookups that named a node that does not hold the file. */
  wrongHome: number;
  /** Lookups for files whose homenode had crashed: failures the paper allows (K5). */
  homeCrashed: number;
  /** Requests that timed out during the lookups. */
  timeouts: number;
  /** LOOKUP messages (requests and replies) per lookup. */
  messagesPerLookup: number;
  /** Bytes of LOOKUP messages per lookup. */
  bytesPerLookup: number;
  /** Soft state per live node, as the paper counts it (40 B per member, 60 B per filetuple). */
  memoryPerNode: { entries: number; bytes: number; view: number; contacts: number; tuples: number };
  /**
   * Routing state per live node: the members a lookup or gossip can reach (view and contacts,
   * 40 B each as the paper counts them), without the filetuples (the index, not routes).
   */
  routingPerNode: { entries: number; bytes: number };
  /** Files stored per live node after placement (load balance: max / mean). */
  filesPerNode: { mean: number; max: number };
  /** Background traffic at rest (gossip and RTT probes), bytes sent per node per second. */
  gossipBytesPerNodePerSec: number;
  /** Files that could not be placed (an insert that failed every try). */
  insertFailures: number;
  failed?: number;
  /** With `fail` and `afterRepair`: the same number of lookups once the timeouts ran. */
  afterRepair?: {
    /** Simulated ms waited after the first lookups. */
    repairMs: number;
    successRate: number;
    failedLookups: number;
    wrongHome: number;
    homeCrashed: number;
    hops: Summary;
  };
  /**
   * Under churn: joins and failures, and the background traffic while the lookups ran
   * (everything but LOOKUP messages: gossip, probes, joins), bytes per live node per second.
   */
  churn?: { rate: number; joins: number; failures: number; backgroundBytesPerNodePerSec: number };
  simulatedMs: number;
  wallMs: number;
  seed: number;
}

/** Names of the files of a workload (shared with `p2pkit compare`). */
export function fileName(i: number): string {
  return `file-${i}`;
}

/** Envelope type of a datagram (bytes 2..3), for the simulator's per-type counters. */
function classify(data: Uint8Array): number | undefined {
  return data.length >= 4 ? (data[2]! << 8) | data[3]! : undefined;
}

export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const wall0 = performance.now();
  const seed = options.seed ?? 1;
  const n = options.nodes;
  const L = options.lookups ?? 1000;
  const F = options.files ?? n;
  const k = options.groups ?? groupsFor(n);
  const latency: LatencyModel =
    options.latencyMs !== undefined ? constant(options.latencyMs) : coordinates();
  const sim = new Simulation({ seed, latency, traceHash: 'off' });
  sim.metrics.classify(classify);
  const nodeOptions: NodeOptions = { groups: k, expectedSize: n, ...options.node };
  const world = new KelipsWorld(sim, nodeOptions, latency);
  const nodes = await world.spawn(n);
  const roundMs = nodes[0]?.options.roundMs ?? 2000;

  if (options.build === 'join') {
    // Every node joins through the first, the paper's well-known introducer.
    for (const node of nodes) await world.join(node, node === nodes[0] ? undefined : nodes[0]);
  } else {
    world.buildOracle();
  }
  const names = Array.from({ length: F }, (_, i) => fileName(i));
  let insertFailures = 0;
  if (options.place === 'oracle') {
    world.placeFiles(names);
  } else {
    insertFailures = await insertAll(world, names);
  }
  await sim.runFor((options.settleRounds ?? 15) * roundMs);
  // The oracle: who stores each file (a retried insert may have left two copies).
  const holders = new Map<string, KelipsNode[]>();
  for (const node of world.nodes()) {
    for (const name of node.store.names()) {
      const list = holders.get(name);
      if (list) list.push(node);
      else holders.set(name, [node]);
    }
  }
  const homeAlive = (name: string) =>
    (holders.get(name) ?? []).some((h) => world.at(h.address) === h);

  // Background traffic at rest: ten rounds with nothing but gossip and probes.
  const quiet0 = sim.metrics.totals().datagrams.sent.bytes;
  const quietMs = 10 * roundMs;
  await sim.runFor(quietMs);
  const quietBytes = sim.metrics.totals().datagrams.sent.bytes - quiet0;
  const gossipBytesPerNodePerSec = quietBytes / world.members.size / (quietMs / 1000);
  const memory = world.meanState();
  let maxFiles = 0;
  let storedFiles = 0;
  for (const node of world.nodes()) {
    maxFiles = Math.max(maxFiles, node.store.size);
    storedFiles += node.store.size;
  }
  const filesPerNode = { mean: storedFiles / Math.max(1, world.members.size), max: maxFiles };

  let failed: number | undefined;
  if ((options.fail ?? 0) > 0) {
    const random = sim.random('simulate:fail');
    failed = 0;
    for (const node of world.nodes()) {
      if (random.chance(options.fail!)) {
        world.crash(node);
        failed++;
      }
    }
  }

  // ---- lookups ----
  const churning = (options.churn ?? 0) > 0;
  const churnStats = {
    rate: options.churn ?? 0,
    joins: 0,
    failures: 0,
    backgroundBytesPerNodePerSec: 0,
  };
  const joining = new Set<KelipsNode>();
  if (churning) startChurn(world, options.churn!, churnStats, joining);
  const lookupType = sim.metrics.byType().get(MessageType.LOOKUP);
  const lookup0 = lookupType ? lookupType.sent.messages : 0;
  const lookupBytes0 = lookupType ? lookupType.sent.bytes : 0;
  const sent0 = sim.metrics.totals().datagrams.sent.bytes;
  const sim0 = sim.now;
  const batch = await lookupBatch(world, names, L, {
    random: sim.random('simulate:lookups'),
    gap: churning ? 1000 : 1,
    step: churning ? 10_000 : 1000,
    homeAlive,
    busy: joining,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const { hops, hopCounts, latencyMs, failedLookups, wrongHome, homeCrashed, timeouts } = batch;
  const simulatedMs = Math.round(sim.now - sim0);
  const lookupAfter = sim.metrics.byType().get(MessageType.LOOKUP);
  const lookupMessages = (lookupAfter?.sent.messages ?? 0) - lookup0;
  const lookupBytes = (lookupAfter?.sent.bytes ?? 0) - lookupBytes0;
  if (churning && simulatedMs > 0) {
    const background = sim.metrics.totals().datagrams.sent.bytes - sent0 - lookupBytes;
    const perSec = background / Math.max(1, world.members.size) / (simulatedMs / 1000);
    churnStats.backgroundBytesPerNodePerSec = Math.round(perSec * 10) / 10;
  }

  // After the failure: the crashed nodes' entries time out everywhere, then the same lookups
  // again (`p2pkit compare`'s "after repair").
  let afterRepair: SimulateResult['afterRepair'];
  if (failed !== undefined && options.afterRepair === true) {
    const o = nodes[0]!.options;
    const repairMs = o.contactTimeoutMs + 5 * o.roundMs;
    await sim.runFor(repairMs);
    const again = await lookupBatch(world, names, L, {
      random: sim.random('simulate:repaired'),
      gap: 1,
      step: 1000,
      homeAlive,
      busy: joining,
    });
    const judgedAgain = L - again.homeCrashed;
    afterRepair = {
      repairMs,
      successRate: judgedAgain > 0 ? again.hops.count / judgedAgain : 1,
      failedLookups: again.failedLookups,
      wrongHome: again.wrongHome,
      homeCrashed: again.homeCrashed,
      hops: summary(again.hops),
    };
  }
  await world.close();

  const judged = L - homeCrashed;
  const result: SimulateResult = {
    nodes: n,
    groups: k,
    files: F,
    lookups: L,
    hops: summary(hops),
    hopCounts: Array.from(hopCounts, (x) => x ?? 0),
    latencyMs: summary(latencyMs),
    successRate: judged > 0 ? hops.count / judged : 1,
    failedLookups,
    wrongHome,
    homeCrashed,
    timeouts,
    messagesPerLookup: L > 0 ? lookupMessages / L : 0,
    bytesPerLookup: L > 0 ? lookupBytes / L : 0,
    memoryPerNode: {
      entries: memory.entries,
      bytes: memory.bytes,
      view: memory.view,
      contacts: memory.contacts,
      tuples: memory.tuples,
    },
    routingPerNode: {
      entries: memory.view + memory.contacts,
      bytes: (memory.view + memory.contacts) * MEMBER_ENTRY_BYTES,
    },
    filesPerNode,
    gossipBytesPerNodePerSec: Math.round(gossipBytesPerNodePerSec * 10) / 10,
    insertFailures,
    simulatedMs,
    wallMs: Math.round(performance.now() - wall0),
    seed,
  };
  if (failed !== undefined) result.failed = failed;
  if (afterRepair !== undefined) result.afterRepair = afterRepair;
  if (churning) result.churn = churnStats;
  return result;
}

interface BatchOptions {
  random: ReturnType<Simulation['random']>;
  /** Simulated ms between two lookups. */
  gap: number;
  /** Simulated ms run between two progress checks. */
  step: number;
  /** Whether a live node stores the file (else a failure is the crash's, not routing's). */
  homeAlive: (name: string) => boolean;
  /** Nodes not to start a lookup from (joining ones). */
  busy: ReadonlySet<KelipsNode>;
  onProgress?: (done: number, total: number) => void;
}

interface Batch {
  hops: Distribution;
  hopCounts: number[];
  latencyMs: Distribution;
  failedLookups: number;
  wrongHome: number;
  homeCrashed: number;
  timeouts: number;
}

/** `count` lookups from random live nodes for random files, judged against the world. */
async function lookupBatch(
  world: KelipsWorld,
  names: readonly string[],
  count: number,
  o: BatchOptions,
): Promise<Batch> {
  const sim = world.sim;
  const b: Batch = {
    hops: new Distribution('hops'),
    hopCounts: [],
    latencyMs: new Distribution('latency'),
    failedLookups: 0,
    wrongHome: 0,
    homeCrashed: 0,
    timeouts: 0,
  };
  let done = 0;
  let issued = 0;
  const issue = () => {
    const live = world.nodes().filter((x) => !o.busy.has(x));
    const from = live[o.random.int(live.length)]!;
    const name = names[o.random.int(names.length)]!;
    const started = sim.now;
    from.lookup(name).then(
      (answer) => {
        done++;
        b.timeouts += answer.timeouts;
        if (!o.homeAlive(name)) {
          b.homeCrashed++;
        } else if (answer.home === undefined) {
          b.failedLookups++;
        } else if (world.at(answer.home)?.store.has(name) !== true) {
          b.wrongHome++;
        } else {
          b.hops.record(answer.hops);
          b.hopCounts[answer.hops] = (b.hopCounts[answer.hops] ?? 0) + 1;
          b.latencyMs.record(sim.now - started);
        }
      },
      (error: unknown) => {
        done++;
        // A lookup whose origin crashed meanwhile is abandoned, not failed.
        if (error instanceof AbortError) return;
        if (!o.homeAlive(name)) b.homeCrashed++;
        else b.failedLookups++;
      },
    );
    if (++issued < count) sim.after(o.gap, issue);
  };
  if (count > 0) sim.after(o.gap, issue);
  let lastProgress = 0;
  while (done < count) {
    await sim.runFor(o.step);
    if (o.onProgress && done - lastProgress >= count / 200) {
      lastProgress = done;
      o.onProgress(done, count);
    }
  }
  o.onProgress?.(done, count);
  return b;
}

function summary(d: Distribution): Summary {
  if (d.count === 0) return { mean: 0, p50: 0, p99: 0, max: 0 };
  return { mean: d.mean, p50: d.percentile(50), p99: d.percentile(99), max: d.max };
}

/** Inserts every file from a random live node, 100 at a time; returns how many failed. */
export async function insertAll(world: KelipsWorld, names: readonly string[]): Promise<number> {
  const random = world.sim.random('simulate:insert');
  const value = new Uint8Array(0);
  let failures = 0;
  for (let i = 0; i < names.length; i += 100) {
    const nodes = world.nodes();
    const batch = names.slice(i, i + 100).map((name) =>
      nodes[random.int(nodes.length)]!.insert(name, value).then(
        () => {},
        () => {
          failures++;
        },
      ),
    );
    await world.settle(Promise.all(batch));
  }
  return failures;
}

/**
 * Joins and failures, each a Poisson process at `rate` per second: a failure crashes a random
 * live node; a join starts a node on a new host through a random live node.
 */
function startChurn(
  world: KelipsWorld,
  rate: number,
  stats: { joins: number; failures: number },
  joining: Set<KelipsNode>,
): void {
  const sim = world.sim;
  const random = sim.random('simulate:churn');
  const nextFailure = () => {
    sim.after(random.exponential(1000 / rate), () => {
      const live = world.nodes().filter((x) => !joining.has(x));
      if (live.length > 2) {
        world.crash(live[random.int(live.length)]!);
        stats.failures++;
      }
      nextFailure();
    });
  };
  const nextJoin = () => {
    sim.after(random.exponential(1000 / rate), async () => {
      nextJoin();
      const live = world.nodes().filter((x) => !joining.has(x));
      const via = live[random.int(live.length)];
      const [node] = await world.spawn(1);
      stats.joins++;
      if (via === undefined) return;
      joining.add(node!);
      try {
        await node!.join(via.address);
      } catch {
        world.crash(node!);
      } finally {
        joining.delete(node!);
      }
    });
  };
  nextFailure();
  nextJoin();
}
