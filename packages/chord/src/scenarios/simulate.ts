/**
 * One Chord simulation as `p2pkit sim chord` runs it: build a ring, optionally place keys, fail
 * a fraction of the nodes or run churn, then time a batch of lookups judged against an oracle of
 * the live nodes. The result object is the CLI's JSON contract (issue: `p2pkit sim chord`).
 */
import { AbortError, type Id, P2PError } from '@p2pkit/core';
import { constant, Simulation, uniform } from '@p2pkit/sim';
import type { ChordNode } from '../node.js';
import type { RingOracle } from '../oracle.js';
import { type Summary, summarize } from './stats.js';
import { ChordWorld, exponentialLatency, type NodeOptions, randomKey } from './world.js';

export interface SimulateOptions {
  /** Real nodes (hosts). */
  nodes: number;
  /** Lookups to time (default 1000). */
  lookups?: number;
  /** Keys to place; reports keys per real node (default 0: no key statistics). */
  keys?: number;
  /** Virtual nodes per real node (default 1). */
  virtualNodes?: number;
  /** Fraction of the hosts that crash at once before the lookups, ring frozen (ToN Table II). */
  fail?: number;
  /** Joins and failures per simulated second each, with stabilization running (ToN Table III). */
  churn?: number;
  /** Successor list length r (default: the node's default, max(8, 2·log2 N)). */
  successors?: number;
  seed?: number;
  /** Id width (default 160). */
  m?: number;
  /** 'recursive' (default without faults) or 'iterative' (default with --fail or --churn). */
  mode?: 'iterative' | 'recursive' | string;
  /** How the ring is built: directly from an oracle (default) or by real joins. */
  build?: 'oracle' | 'join' | string;
  /** Mean one-way delay in ms (default: 0 for static rings, exponential 50 ms with faults). */
  latencyMs?: number;
  /** Mean stabilization period in ms under churn (default 30,000: ToN's [15, 45] s). */
  stabilizeMs?: number;
  /** Called now and then with (lookups done, lookups total). */
  onProgress?: (done: number, total: number) => void;
  /** Called as each phase starts ("placing 100000 nodes", "building the ring", "lookups"). */
  onPhase?: (phase: string) => void;
}

export interface SimulateResult {
  nodes: number;
  virtualNodes: number;
  lookups: number;
  hops: Summary;
  /**
   * Simulated time per successful lookup in ms, from its start to the answer at the origin
   * (timeouts and retries included): 0 on a static ring without `latencyMs`.
   */
  latencyMs: { mean: number; p50: number; p99: number };
  keysPerNode?: Omit<Summary, 'p50'>;
  failedLookups: number;
  wrongOwner: number;
  /**
   * Of `wrongOwner`, the lookups that answered a live node after skipping only nodes that joined
   * less than r stabilization periods before (r = successor-list length): their predecessor, or
   * a node further back whose successor list the lookup fell back on after a timeout, had not
   * yet learnt of them (a new node enters one list further back per stabilize round). The paper
   * allows these (ToN §IV-D: "the nodes in the affected region have incorrect successor
   * pointers"; Table III counts them as its churn failures). 0 on a static ring; any other wrong
   * owner is a bug.
   */
  staleOwner: number;
  timeouts: number;
  simulatedMs: number;
  events: number;
  setupMs: number;
  wallMs: number;
  eventsPerSec: number;
  lookupsPerSec: number;
  seed: number;
  mode: 'iterative' | 'recursive';
  failed?: number;
  churn?: { rate: number; joins: number; failures: number };
  /**
   * Routing state per live node after the lookups, mean: distinct peers known (successor list,
   * fingers, predecessor) and the bytes those peers take in Chord's wire format (PROTOCOL.md).
   */
  state: { entries: number; bytes: number };
  /**
   * Datagrams sent during the lookup phase per lookup, and their bytes (maintenance included
   * under churn).
   */
  messagesPerLookup: number;
  bytesPerLookup: number;
}

export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const wall0 = performance.now();
  const seed = options.seed ?? 1;
  const n = options.nodes;
  const v = options.virtualNodes ?? 1;
  const L = options.lookups ?? 1000;
  const faults = (options.fail ?? 0) > 0 || (options.churn ?? 0) > 0;
  const mode: 'iterative' | 'recursive' =
    options.mode === 'iterative' || options.mode === 'recursive'
      ? options.mode
      : faults
        ? 'iterative'
        : 'recursive';
  const churning = (options.churn ?? 0) > 0;
  const frozen = (options.fail ?? 0) > 0 && !churning;
  // Static rings: no delay (as PeerSim's benchmark). Churn: exponential delays, mean 50 ms
  // (ToN §V-E). Mass failure on a frozen ring: bounded delays, so that a 500 ms timeout means
  // "dead", never "slow" (ToN Table II counts timeouts to dead nodes only).
  const latencyMs = options.latencyMs ?? (churning ? 50 : 0);
  const sim = new Simulation({
    seed,
    latency: frozen
      ? uniform(10, 100)
      : latencyMs > 0
        ? exponentialLatency(latencyMs)
        : constant(0),
    traceHash: 'off',
  });
  const nodeOptions: NodeOptions = {
    m: options.m ?? 160,
    expectedSize: n * v,
    lookup: mode,
    maintenance: churning || options.build === 'join',
    stabilizeMs: options.stabilizeMs ?? (churning ? 30_000 : 1_000),
    // Frozen ring after mass failure (ToN Table II): dead entries are found only by timeouts,
    // and a lookup may take as many of them as it needs ("all lookups succeed after retries").
    evictOnTimeout: !frozen,
    ...(frozen ? { lookupTimeoutMs: 3_600_000 } : {}),
    mergeMs: 0,
    ...(options.successors !== undefined ? { successors: options.successors } : {}),
  };
  const world = new ChordWorld(sim, nodeOptions);
  options.onPhase?.(`starting ${n * v} nodes`);
  const nodes = await world.spawn(n, v);
  options.onPhase?.(options.build === 'join' ? 'joining the ring' : 'building the ring');
  if (options.build === 'join') {
    for (const node of nodes.slice(1)) await world.join(node, nodes[0]);
    await world.converge(nodeOptions.stabilizeMs ?? 1000, 3_600_000);
  } else {
    world.buildOracle();
  }

  const m = nodeOptions.m ?? 160;
  let keysPerNode: SimulateResult['keysPerNode'];
  if ((options.keys ?? 0) > 0) keysPerNode = placeKeys(world, options.keys!, seed, m, v);

  let failed: number | undefined;
  if ((options.fail ?? 0) > 0) {
    const random = sim.random('simulate:fail');
    const hosts = [...new Set([...world.members.values()].map((x) => x.host))];
    failed = 0;
    for (const host of hosts) {
      if (random.chance(options.fail!)) {
        const node = [...world.members.values()].find((x) => x.host === host)!.node;
        world.crash(node);
        failed++;
      }
    }
  }
  if (world.members.size === 0 && L > 0) {
    throw new P2PError(
      `every node failed (${failed} of ${n} with --fail ${options.fail}): no live node left to look up from`,
      'ERR_INVALID_ARGUMENT',
    );
  }
  const setupMs = performance.now() - wall0;
  options.onPhase?.(`${L} lookups`);

  // ---- lookups ----
  const random = sim.random('simulate:lookups');
  const hops: number[] = [];
  const latencies: number[] = [];
  let failedLookups = 0;
  let wrongOwner = 0;
  let staleOwner = 0;
  let timeouts = 0;
  let done = 0;
  let issued = 0;
  const oracle = world.oracle();
  let live = world.nodes();
  const churnStats = { rate: options.churn ?? 0, joins: 0, failures: 0 };
  // Nodes still joining are neither lookup origins nor counted as owners yet.
  const joining = new Set<ChordNode>();
  // When each churn arrival finished joining, and how long a successor list may not know it.
  const joinedAt = new Map<string, number>();
  const staleMs = (nodes[0]?.table.r ?? 1) * 1.5 * nodeOptions.stabilizeMs!;
  if (churning) {
    startChurn(world, options.churn!, churnStats, joining, joinedAt, (joined) => {
      live = world.nodes().filter((x) => !joining.has(x));
      // Kept in order as the ring changes (a sort of the whole ring per event took a tenth of
      // a 500-node churn run).
      if (joined === undefined) oracle.retain((p) => world.members.has(p.key));
      else if (world.members.has(joined.table.self.key)) oracle.add(joined.table.self);
    });
  }
  const gap = churning ? 1000 : 1; // ms between lookups: 1/s under churn (the papers' workload)
  const issue = () => {
    const from = live[random.int(live.length)]!;
    const key = randomKey(random, m);
    from.route(key, { mode }).then(
      (r) => {
        done++;
        hops.push(r.hops);
        latencies.push(r.ms ?? Number.NaN);
        timeouts += r.timeouts;
        // Judged against the live ring when the answer arrives (C7/C8: the current successor).
        if (r.owner.key !== ownerNow(oracle, key)) {
          wrongOwner++;
          if (skipsOnlyNewcomers(world, oracle, key, r.owner.key, joinedAt, sim.now - staleMs)) {
            staleOwner++;
          }
        }
      },
      (error: unknown) => {
        done++;
        // A lookup whose origin crashed meanwhile is abandoned, not failed.
        if (!(error instanceof AbortError)) failedLookups++;
      },
    );
    if (++issued < L) sim.after(gap, issue);
  };
  sim.after(gap, issue);

  const events0 = sim.eventCount;
  const sent0 = sim.metrics.totals().datagrams.sent;
  const sim0 = sim.now;
  const t0 = performance.now();
  const chunk = churning ? 60_000 : 1000;
  const synchronous = mode === 'recursive' && !faults;
  let lastProgress = 0;
  while (done < L) {
    if (synchronous) {
      sim.runSync({ for: chunk });
      await null;
      await null;
    } else {
      await sim.run({ for: chunk });
    }
    if (options.onProgress && done - lastProgress >= L / 200) {
      lastProgress = done;
      options.onProgress(done, L);
    }
    if (issued >= L && sim.pending === 0 && done < L) break;
  }
  options.onProgress?.(done, L);
  const wallMs = performance.now() - t0;
  const events = sim.eventCount - events0;
  const sent = sim.metrics.totals().datagrams.sent;
  const state = stateSize(world.nodes());
  for (const node of world.nodes()) await node.stop();

  const result: SimulateResult = {
    nodes: n,
    virtualNodes: v,
    lookups: L,
    hops: summarize(hops),
    latencyMs: latencySummary(latencies),
    failedLookups,
    wrongOwner,
    staleOwner,
    timeouts,
    simulatedMs: Math.round(sim.now - sim0),
    events,
    setupMs: Math.round(setupMs),
    wallMs: Math.round(performance.now() - wall0),
    eventsPerSec: Math.round((events / wallMs) * 1000),
    lookupsPerSec: Math.round((L / wallMs) * 1000),
    seed,
    mode,
    state,
    messagesPerLookup: L > 0 ? (sent.messages - sent0.messages) / L : 0,
    bytesPerLookup: L > 0 ? (sent.bytes - sent0.bytes) / L : 0,
  };
  if (keysPerNode) result.keysPerNode = keysPerNode;
  if (failed !== undefined) result.failed = failed;
  if (churning) result.churn = churnStats;
  return result;
}

/** Mean distinct peers per node (successors, fingers, predecessor) and their encoded bytes. */
function stateSize(nodes: readonly ChordNode[]): SimulateResult['state'] {
  let entries = 0;
  let bytes = 0;
  // One set for every node, cleared between them (at 10^5 nodes, a Map and two spread arrays
  // per node took 5 s).
  const seen = new Set<string>();
  const count = (p: { key: string; wire: Uint8Array }) => {
    if (seen.has(p.key)) return;
    seen.add(p.key);
    entries++;
    bytes += p.wire.length;
  };
  for (const node of nodes) {
    const t = node.table;
    seen.clear();
    seen.add(t.self.key);
    for (const p of t.successors) count(p);
    for (const p of t.fingers) count(p);
    if (t.predecessor) count(t.predecessor);
  }
  const n = Math.max(1, nodes.length);
  return { entries: entries / n, bytes: bytes / n };
}

function latencySummary(values: readonly number[]): SimulateResult['latencyMs'] {
  const s = summarize(values);
  return { mean: s.mean, p50: s.p50, p99: s.p99 };
}

function ownerNow(oracle: RingOracle, key: Id): string {
  return oracle.owner(key).key;
}

/**
 * Whether `answer` is a live ring member that follows the key's owner, with only nodes that
 * joined after `since` between them (clockwise from the owner): the nodes a stale successor list
 * may legitimately lack.
 */
function skipsOnlyNewcomers(
  world: ChordWorld,
  oracle: RingOracle,
  key: Id,
  answer: string,
  joinedAt: ReadonlyMap<string, number>,
  since: number,
): boolean {
  if (!world.members.has(answer)) return false;
  const peers = oracle.peers;
  const n = peers.length;
  for (let i = oracle.successorIndex(key), k = 0; k < n; i = (i + 1) % n, k++) {
    const p = peers[i]!;
    if (p.key === answer) return true;
    if (!((joinedAt.get(p.key) ?? Number.NEGATIVE_INFINITY) > since)) return false;
  }
  return false;
}

/** Keys per real host, from the ring's own ids (placement, no messages). */
function placeKeys(world: ChordWorld, keys: number, seed: number, m: number, v: number) {
  const oracle = world.oracle();
  const hostOf = new Map<string, number>();
  const hostIndex = new Map<unknown, number>();
  for (const [key, member] of world.members) {
    let i = hostIndex.get(member.host);
    if (i === undefined) hostIndex.set(member.host, (i = hostIndex.size));
    hostOf.set(key, i);
  }
  const counts = new Uint32Array(hostIndex.size);
  const random = world.sim.random(`simulate:keys:${seed}`);
  for (let k = 0; k < keys; k++) counts[hostOf.get(oracle.owner(randomKey(random, m)).key)!]!++;
  void v;
  const s = summarize(counts);
  return { mean: s.mean, p1: s.p1, p99: s.p99, max: s.max };
}

/**
 * Joins and failures, each a Poisson process at `rate` per second (SIGCOMM §6.5, ToN §V-E):
 * a failure crashes a random live node; a join starts a node on a new host through a random
 * live node.
 */
function startChurn(
  world: ChordWorld,
  rate: number,
  stats: { joins: number; failures: number },
  joining: Set<ChordNode>,
  joinedAt: Map<string, number>,
  /** After a failure (no argument) or a join attempt (the node, live or not). */
  changed: (joined?: ChordNode) => void,
): void {
  const sim = world.sim;
  const random = sim.random('simulate:churn');
  const nextFailure = () => {
    sim.after(random.exponential(1000 / rate), () => {
      const live = world.nodes().filter((x) => !joining.has(x));
      if (live.length > 2) {
        world.crash(live[random.int(live.length)]!);
        stats.failures++;
        changed();
      }
      nextFailure();
    });
  };
  const nextJoin = () => {
    sim.after(random.exponential(1000 / rate), async () => {
      nextJoin();
      const live = world.nodes().filter((x) => !joining.has(x));
      const via: ChordNode | undefined = live[random.int(live.length)];
      stats.joins++;
      const node = await world.arrive(via, joining);
      if (world.members.has(node.table.self.key)) joinedAt.set(node.table.self.key, sim.now);
      changed(node);
    });
  };
  nextFailure();
  nextJoin();
}
