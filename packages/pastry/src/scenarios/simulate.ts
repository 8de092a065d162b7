/**
 * One Pastry simulation as `p2pkit sim pastry` runs it: build an overlay (from an oracle, or by
 * real proximity-aware joins with --locality), optionally crash a fraction of the nodes, then
 * time a batch of lookups judged against an oracle of the live nodes. The result object is the
 * CLI's JSON contract (issue: `p2pkit sim pastry`).
 *
 * The workload is the paper's (§5.1): each lookup goes from a random live node to the id of
 * another random live node, so 0 hops never occurs; hops count forwardings.
 */
import { AbortError, type Id, sameAddress } from '@p2pkit/core';
import {
  type CoordinatesModel,
  constant,
  coordinates,
  Distribution,
  Simulation,
} from '@p2pkit/sim';
import { Purpose } from '../messages.js';
import type { PastryNode } from '../node.js';
import type { PastryOracle } from '../oracle.js';
import { type NodeOptions, PastryWorld } from './world.js';

export interface SimulateOptions {
  /** Nodes (one per simulated host). */
  nodes: number;
  /** Lookups to time (default 1000). */
  lookups?: number;
  /** Fraction of the nodes that crash at once before the lookups (lazy repair on). */
  fail?: number;
  /**
   * Route locality: hosts in the coordinates plane, the overlay built by real proximity-aware
   * joins, and relativeDistance reported (route latency / direct latency).
   */
  locality?: boolean;
  /** How the overlay is built: 'oracle' (default without --locality) or 'join'. */
  build?: 'oracle' | 'join' | string;
  /**
   * Rounds of routing-table maintenance after a join-built setup: in each, every node asks a
   * random entry of each row for its copy of that row and keeps the closer nodes it names
   * (PastryNode.exchangeRows, what the periodic maintenance does). Default 3 with --locality
   * (tables of nodes that joined early then know the closer nodes that joined after them),
   * 0 otherwise.
   */
  tableRounds?: number;
  /** Lookup keys: 'node' (a random live node's id, the paper's, default) or 'random'. */
  keys?: 'node' | 'random' | string;
  /** Bits per digit (default 4). */
  b?: number;
  /** Leaf set size (default 16). */
  leafSet?: number;
  /**
   * One-way delay of every datagram, simulated ms (default 0; 10 with --fail or joins, so that
   * "no answer" means "dead"). Ignored with --locality, whose plane gives the delays.
   */
  latency?: number;
  seed?: number;
  /**
   * Called after every 100 simulated ms of lookups, and at the end, with (lookups done, lookups
   * total): throttle what it prints. The run waits for a returned promise: the lookups never
   * leave the microtask queue, so a caller that must see its signals (Ctrl-C) or timers yields
   * to the event loop there.
   */
  onProgress?: (done: number, total: number) => void | Promise<void>;
  /** Called once the overlay is built, right before the first lookup (benchmarks start here). */
  onLookups?: () => void;
  /** Called during a join-built setup with (nodes joined, nodes total); awaited as onProgress. */
  onSetup?: (done: number, total: number) => void | Promise<void>;
}

export interface HopSummary {
  mean: number;
  p50: number;
  p99: number;
  max: number;
  /** histogram[h]: lookups that took h hops. */
  histogram: number[];
}

export interface SimulateResult {
  nodes: number;
  lookups: number;
  hops: HopSummary;
  /** Lookups answered by a node other than the live node numerically closest to the key. */
  misdeliveries: number;
  /** Lookups that got no answer (timed out). */
  failedLookups: number;
  /** Forwardings that found their next hop dead and were rerouted. */
  reroutes: number;
  /**
   * Simulated ms from a lookup's start to its answer at the origin (the route plus the answer's
   * one-way trip), over the answered lookups. 0 with the default zero delay: see --latency.
   */
  latencyMs: { mean: number; p50: number; p99: number };
  /** Mean of route latency / direct latency (only with --locality). */
  relativeDistance?: number;
  /** Crashed nodes (only with --fail). */
  failed?: number;
  /**
   * Routing state per live node, means: routing-table entries, leaf-set members, distinct
   * peers known (table, leaf set and neighbourhood set), and the bytes those peers take in
   * Pastry's wire format (PROTOCOL.md, "Peer").
   */
  state: { tableEntries: number; leafSet: number; entries: number; bytes: number };
  /** Datagrams sent during the lookup phase per lookup, and their bytes (envelopes included). */
  messagesPerLookup: number;
  bytesPerLookup: number;
  build: 'oracle' | 'join';
  /** Rounds of routing-table maintenance run after the joins (see SimulateOptions). */
  tableRounds: number;
  simulatedMs: number;
  events: number;
  setupMs: number;
  wallMs: number;
  lookupsPerSec: number;
  seed: number;
}

export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const wall0 = performance.now();
  const seed = options.seed ?? 1;
  const n = options.nodes;
  const total = options.lookups ?? 1000;
  const locality = options.locality ?? false;
  const failing = (options.fail ?? 0) > 0;
  const build: 'oracle' | 'join' =
    options.build === 'join' || (options.build === undefined && locality) ? 'join' : 'oracle';
  // The paper's topology (§5.2): hosts at random in a 1000 × 1000 plane, Euclidean distance as
  // the proximity metric, no per-host access delay.
  const plane: CoordinatesModel | undefined = locality
    ? coordinates({ access: [0, 0] })
    : undefined;
  // A static overlay needs no delay (as PeerSim's benchmark); failures need delays bounded
  // below the RPC timeout, so that "no answer" means "dead", never "slow".
  const sim = new Simulation({
    seed,
    latency: plane ?? constant(options.latency ?? (failing || build === 'join' ? 10 : 0)),
    traceHash: 'off',
  });
  const nodeOptions: NodeOptions = {
    maintenance: false,
    ...(options.b !== undefined ? { b: options.b } : {}),
    ...(options.leafSet !== undefined ? { leafSet: options.leafSet } : {}),
    // Without faults nothing needs acknowledging: half the messages per hop.
    hopAcks: failing,
    proximity: locality,
    lookupTimeoutMs: 60_000,
  };
  // The plane's delays are deterministic (no jitter): the random stream is not drawn from.
  const still = sim.random('simulate:plane');
  const world = new PastryWorld(
    sim,
    nodeOptions,
    plane ? (a, b) => plane.delay(a, b, still) : undefined,
  );
  const nodes = await world.spawn(n);
  if (build === 'join') {
    for (let i = 0; i < nodes.length; i++) {
      await world.join(nodes[i]!);
      await options.onSetup?.(i + 1, n);
    }
  } else {
    world.buildOracle();
  }
  const tableRounds = build === 'join' ? (options.tableRounds ?? (locality ? 3 : 0)) : 0;
  for (let round = 0; round < tableRounds; round++) {
    const members = world.joined();
    await world.settle(Promise.all(members.map((node) => node.exchangeRows())));
  }
  let failed: number | undefined;
  if (failing) {
    const random = sim.random('simulate:fail');
    failed = 0;
    for (const node of world.nodes()) {
      if (random.chance(options.fail!) && world.members.size > 1) {
        world.crash(node);
        failed++;
      }
    }
  }
  const live = world.joined();
  const state = stateSizes(live);
  const setupMs = performance.now() - wall0;

  // ---- lookups ----
  const oracle: PastryOracle = world.oracle();
  const random = sim.random('simulate:lookups');
  const hops = new Distribution('hops');
  const latencies = new Distribution('latency');
  const histogram: number[] = [];
  let misdeliveries = 0;
  let failedLookups = 0;
  let relative = 0;
  let relativeCount = 0;
  let done = 0;
  let issued = 0;
  const space = live[0]!.space;
  const byNodeKeys = options.keys !== 'random';
  const reroutes0 = live.reduce((sum, x) => sum + x.stats.reroutes, 0);
  const one = () => {
    const from = live[random.int(live.length)]!;
    let key: Id;
    let to: PastryNode | undefined;
    if (byNodeKeys && live.length > 1) {
      do to = live[random.int(live.length)]!;
      while (to === from);
      key = to.state.self.id;
    } else {
      key = space.random(random);
    }
    from.route(Purpose.LOOKUP, key).then(
      (answer) => {
        done++;
        hops.record(answer.hops);
        latencies.record(answer.ms);
        histogram[answer.hops] = (histogram[answer.hops] ?? 0) + 1;
        // A live node's id belongs to that node; any other key, to the oracle's closest.
        const owner = to?.state.self ?? oracle.closest(key);
        if (!sameAddress(answer.responder.address, owner.address)) misdeliveries++;
        if (plane !== undefined && answer.hops > 0) {
          const a = world.hostIndex(from);
          const b = world.members.get(owner.key)!.host.index;
          const direct = plane.delay(a, b, still);
          // The answer's own trip (owner -> origin) is not part of the route.
          if (direct > 0) {
            relative += (answer.ms - direct) / direct;
            relativeCount++;
          }
        }
      },
      (error: unknown) => {
        done++;
        if (!(error instanceof AbortError)) failedLookups++;
      },
    );
  };
  // One timer event starts a batch of lookups (a timer per lookup would cost the simulator
  // one more event per lookup than the protocol does).
  const batch = failing ? 10 : 100;
  const issue = () => {
    for (let i = 0; i < batch && issued < total; i++, issued++) one();
    if (issued < total) sim.after(1, issue);
  };
  if (total > 0) sim.after(1, issue);

  options.onLookups?.();
  const sent0 = sim.metrics.totals().datagrams.sent;
  const events0 = sim.eventCount;
  const sim0 = sim.now;
  const t0 = performance.now();
  while (done < total) {
    // Slices of 100 simulated ms (about 10^4 lookups): progress, and the caller's turn at the
    // event loop, come that often.
    if (failing) await sim.run({ for: 100 });
    else {
      sim.runSync({ for: 100 });
      // Let the lookups' promise callbacks run.
      await null;
      await null;
    }
    if (options.onProgress && done < total) await options.onProgress(done, total);
    if (issued >= total && sim.pending === 0 && done < total) break;
  }
  await options.onProgress?.(done, total);
  const wallMs = performance.now() - t0;
  const events = sim.eventCount - events0;
  const reroutes = live.reduce((sum, x) => sum + x.stats.reroutes, 0) - reroutes0;
  const sent = sim.metrics.totals().datagrams.sent;
  for (const node of world.nodes()) await node.stop();

  const result: SimulateResult = {
    nodes: n,
    lookups: total,
    hops: {
      mean: hops.mean,
      p50: hops.percentile(50),
      p99: hops.percentile(99),
      max: hops.max,
      histogram: Array.from(histogram, (x) => x ?? 0),
    },
    latencyMs: {
      mean: latencies.mean,
      p50: latencies.percentile(50),
      p99: latencies.percentile(99),
    },
    misdeliveries,
    failedLookups,
    reroutes,
    state,
    messagesPerLookup: total > 0 ? (sent.messages - sent0.messages) / total : 0,
    bytesPerLookup: total > 0 ? (sent.bytes - sent0.bytes) / total : 0,
    build,
    tableRounds,
    simulatedMs: Math.round(sim.now - sim0),
    events,
    setupMs: Math.round(setupMs),
    wallMs: Math.round(performance.now() - wall0),
    lookupsPerSec: Math.round((total / wallMs) * 1000),
    seed,
  };
  if (plane !== undefined) result.relativeDistance = relative / Math.max(1, relativeCount);
  if (failed !== undefined) result.failed = failed;
  return result;
}

function stateSizes(nodes: readonly PastryNode[]): SimulateResult['state'] {
  let table = 0;
  let leaf = 0;
  let entries = 0;
  let bytes = 0;
  for (const node of nodes) {
    table += node.state.table.size;
    leaf += node.state.leaf.size;
    for (const peer of node.state.known()) {
      entries++;
      bytes += peer.wire(node.space).length;
    }
  }
  const count = Math.max(1, nodes.length);
  return {
    tableEntries: table / count,
    leafSet: leaf / count,
    entries: entries / count,
    bytes: bytes / count,
  };
}
