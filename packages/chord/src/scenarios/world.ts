/**
 * A Chord ring in the simulator: one node per simulated host (or v virtual nodes per host), built
 * by real joins or directly from an oracle, with the faults the experiments need. Tests,
 * experiments, benchmarks and `p2pkit sim chord` all drive rings through this class.
 */
import type { Address } from '@p2pkit/core';
import type { LatencyModel, SimHost, Simulation } from '@p2pkit/sim';
import { type Id, idAt } from '../id.js';
import { type ChordNode, createChordNode } from '../node.js';
import type { ChordOptions } from '../options.js';
import { RingOracle } from '../oracle.js';
import type { Peer } from '../peer.js';

/** Node options for every node of a world (the runtime comes from the world). */
export type NodeOptions = Omit<ChordOptions, 'runtime'>;

/** Exponentially distributed one-way delays (ToN §V-E: mean 50 ms). */
export function exponentialLatency(meanMs: number): LatencyModel {
  return {
    name: `exponential(${meanMs})`,
    delay: (_from, _to, random) => random.exponential(meanMs),
  };
}

export interface WorldMember {
  node: ChordNode;
  host: SimHost;
}

export class ChordWorld {
  readonly sim: Simulation;
  readonly options: NodeOptions;
  /** Live members, by address key `host:port`. */
  readonly members = new Map<string, WorldMember>();
  /** Members ever started (for totals). */
  started = 0;
  readonly #port: number;

  constructor(sim: Simulation, options: NodeOptions = {}) {
    this.sim = sim;
    this.options = options;
    this.#port = options.port ?? 4000;
  }

  get m(): number {
    return this.options.m ?? 160;
  }

  /** Live nodes in insertion order. */
  nodes(): ChordNode[] {
    return [...this.members.values()].map((x) => x.node);
  }

  /** Starts `count` nodes on fresh hosts (v per host on consecutive ports), not yet in a ring. */
  async spawn(count: number, virtualNodes = 1, extra: NodeOptions = {}): Promise<ChordNode[]> {
    const out: ChordNode[] = [];
    for (let i = 0; i < count; i++) {
      const host = this.sim.addHost();
      for (let v = 0; v < virtualNodes; v++)
        out.push(await this.startOn(host, this.#port + v, extra));
    }
    return out;
  }

  /** Starts one node on `host` at `port`. */
  async startOn(host: SimHost, port: number, extra: NodeOptions = {}): Promise<ChordNode> {
    const node = createChordNode({ ...this.options, ...extra, runtime: host, port });
    await node.start();
    this.members.set(node.table.self.key, { node, host });
    this.started++;
    return node;
  }

  /** Gives every live node its ideal successor list, predecessor and fingers. */
  buildOracle(options: { fingers?: boolean } = {}): void {
    this.oracle().build(
      this.nodes().map((n) => n.table),
      options,
    );
  }

  /** An oracle of the live nodes. */
  oracle(): RingOracle {
    return new RingOracle(this.nodes().map((n) => n.table.self));
  }

  /** Node `node` joins through a random live member (runs the simulation until it has). */
  async join(node: ChordNode, via?: ChordNode): Promise<void> {
    const others = this.nodes().filter((n) => n !== node);
    const bootstrap = via ?? others[this.sim.random('world:join').int(others.length)];
    if (bootstrap === undefined) return;
    await this.settle(node.join(bootstrap.address));
  }

  /**
   * A churn arrival, called from inside a running simulation: spawns a node and joins it
   * through `via`, keeping it in `joining` meanwhile (a joining node is neither a lookup origin
   * nor an owner yet). A node whose join fails is not in the ring, so it is crashed.
   */
  async arrive(via: ChordNode | undefined, joining: Set<ChordNode>): Promise<ChordNode> {
    const [node] = await this.spawn(1);
    joining.add(node!);
    const joined = via
      ? await node!.join(via.address).then(
          () => true,
          () => false,
        )
      : false;
    joining.delete(node!);
    if (!joined) this.crash(node!);
    return node!;
  }

  /** Runs the simulation until `promise` settles (or `limitMs` of virtual time passes). */
  async settle<T>(promise: Promise<T>, limitMs = 600_000): Promise<T> {
    let done = false;
    const tracked = promise.finally(() => {
      done = true;
    });
    tracked.catch(() => {});
    await this.sim.runUntil(() => done, { timeoutMs: limitMs });
    return tracked;
  }

  /** Crashes the host of a node (every virtual node on it). */
  crash(node: ChordNode): void {
    const member = this.members.get(node.table.self.key);
    if (member === undefined) return;
    const victims: ChordNode[] = [];
    for (const [key, m] of this.members) {
      if (m.host !== member.host) continue;
      this.members.delete(key);
      victims.push(m.node);
    }
    this.sim.crash(member.host);
    // The host is gone; stopping its node objects only settles their pending promises (lookups
    // they started reject with AbortError) and frees memory. Nothing is sent: the host is dead.
    for (const node of victims) node.stop().catch(() => {});
  }

  /** Graceful leave (runs the simulation until it is done). */
  async leave(node: ChordNode): Promise<void> {
    this.members.delete(node.table.self.key);
    await this.settle(node.leave());
  }

  /** The member listening at `address`. */
  at(address: Address): ChordNode | undefined {
    return this.members.get(`${address.host}:${address.port}`)?.node;
  }

  /**
   * Ring consistency against the oracle: how many live nodes have the wrong successor or
   * predecessor. 0 means the ring has converged (fingers aside).
   */
  inconsistency(): number {
    const oracle = this.oracle();
    const peers = oracle.peers;
    const n = peers.length;
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const node = this.members.get(peers[i]!.key)!.node;
      const t = node.table;
      const succ = n > 1 ? peers[(i + 1) % n]! : t.self;
      const pred = n > 1 ? peers[(i - 1 + n) % n] : undefined;
      if (t.successor().key !== succ.key || t.predecessor?.key !== pred?.key) bad++;
    }
    return bad;
  }

  /** Runs until the ring is consistent, checking every `stepMs` (throws after `limitMs`). */
  async converge(stepMs: number, limitMs: number): Promise<number> {
    const start = this.sim.now;
    while (this.inconsistency() > 0) {
      if (this.sim.now - start > limitMs) {
        throw new Error(
          `ring did not converge within ${limitMs} ms (${this.inconsistency()} nodes wrong, seed ${String(this.sim.seed)})`,
        );
      }
      await this.sim.runFor(stepMs);
    }
    return this.sim.now - start;
  }
}

/** A uniformly random m-bit id from a host-independent stream. */
export function randomKey(random: { bytes(n: number): Uint8Array }, m: number): Id {
  const n = (m + 7) >>> 3;
  const bytes = random.bytes(n);
  const spare = m & 7;
  if (spare !== 0) bytes[0] = bytes[0]! & ((1 << spare) - 1);
  return idAt(bytes, 0, n);
}

export type { Peer };
