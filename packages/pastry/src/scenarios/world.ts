/**
 * A Pastry overlay in the simulator: one node per simulated host, built by real joins (each
 * through the nearest live node, as the paper assumes) or directly from an oracle, with the
 * faults the experiments need. Tests, experiments, benchmarks and `p2pkit sim pastry` all drive
 * overlays through this class.
 */
import type { Address } from '@p2pkit/core';
import type { SimHost, Simulation } from '@p2pkit/sim';
import { createPastryNode, type PastryNode } from '../node.js';
import type { PastryOptions } from '../options.js';
import { PastryOracle } from '../oracle.js';

/** Node options for every node of a world (the runtime comes from the world). */
export type NodeOptions = Omit<PastryOptions, 'runtime'>;

export interface WorldMember {
  node: PastryNode;
  host: SimHost;
}

export class PastryWorld {
  readonly sim: Simulation;
  readonly options: NodeOptions;
  /** Live members, by address key `host:port`. */
  readonly members = new Map<string, WorldMember>();
  /** Members ever started. */
  started = 0;
  /**
   * One-way delay between two hosts by index, when the latency model is a plane (the
   * coordinates model): used to join through the nearest node and to measure route locality.
   */
  readonly distance: ((a: number, b: number) => number) | undefined;
  readonly #port: number;
  /** Members that are part of the overlay (joined, or the first node, or oracle-built). */
  readonly #joined = new Set<PastryNode>();

  constructor(
    sim: Simulation,
    options: NodeOptions = {},
    distance?: (a: number, b: number) => number,
  ) {
    this.sim = sim;
    this.options = options;
    this.distance = distance;
    this.#port = options.port ?? 4000;
  }

  /** Live nodes in insertion order. */
  nodes(): PastryNode[] {
    return [...this.members.values()].map((x) => x.node);
  }

  /** Live nodes that are part of the overlay (spawned ones not yet joined are not). */
  joined(): PastryNode[] {
    return this.nodes().filter((n) => this.#joined.has(n));
  }

  /** Starts `count` nodes on fresh hosts, not yet in the overlay. */
  async spawn(count: number, extra: NodeOptions = {}): Promise<PastryNode[]> {
    const out: PastryNode[] = [];
    for (let i = 0; i < count; i++) out.push(await this.startOn(this.sim.addHost(), extra));
    return out;
  }

  /** Starts one node on `host`. */
  async startOn(host: SimHost, extra: NodeOptions = {}): Promise<PastryNode> {
    const node = createPastryNode({ ...this.options, ...extra, runtime: host, port: this.#port });
    await node.start();
    this.members.set(node.state.self.key, { node, host });
    this.started++;
    return node;
  }

  /** The simulator's index of a node's host. */
  hostIndex(node: PastryNode): number {
    const member = this.members.get(node.state.self.key);
    if (member === undefined) throw new RangeError(`${node.state.self.key} is not a live member`);
    return member.host.index;
  }

  /**
   * The live member nearest to `node` by the latency model (a random one without a plane):
   * where the paper's new node starts its join.
   */
  nearest(node: PastryNode): PastryNode | undefined {
    const others = this.joined().filter((n) => n !== node);
    if (others.length === 0) return undefined;
    const distance = this.distance;
    if (distance === undefined) return others[this.sim.random('world:join').int(others.length)];
    const me = this.hostIndex(node);
    let best = others[0]!;
    let bestD = Number.POSITIVE_INFINITY;
    for (const other of others) {
      const d = distance(me, this.hostIndex(other));
      if (d < bestD) {
        bestD = d;
        best = other;
      }
    }
    return best;
  }

  /**
   * `node` joins through `via` (default: the nearest member of the overlay); runs until it has.
   * The first node of a world forms the overlay alone.
   */
  async join(node: PastryNode, via?: PastryNode): Promise<void> {
    const bootstrap = via ?? this.nearest(node);
    if (bootstrap !== undefined) await this.settle(node.join(bootstrap.address));
    this.#joined.add(node);
  }

  /** Gives every live node an ideal leaf set and a routing table of random qualifying nodes. */
  buildOracle(): void {
    const nodes = this.nodes();
    for (const n of nodes) this.#joined.add(n);
    this.oracle().build(
      nodes.map((n) => n.state),
      this.sim.random('world:oracle'),
    );
  }

  /** An oracle of the live nodes. */
  oracle(): PastryOracle {
    const nodes = this.nodes();
    const space = nodes[0]?.space;
    if (space === undefined) throw new RangeError('empty world');
    return new PastryOracle(
      space,
      nodes.map((n) => n.state.self),
    );
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

  /** Crashes a node's host: nothing is sent, its peers find out by timeouts. */
  crash(node: PastryNode): void {
    const member = this.members.get(node.state.self.key);
    if (member === undefined) return;
    this.members.delete(node.state.self.key);
    this.#joined.delete(node);
    this.sim.crash(member.host);
    // Only settles the node's own pending promises; the host is gone.
    node.stop().catch(() => {});
  }

  /** Graceful leave (runs the simulation until it is done). */
  async leave(node: PastryNode): Promise<void> {
    this.members.delete(node.state.self.key);
    this.#joined.delete(node);
    await this.settle(node.leave());
  }

  /** The member listening at `address`. */
  at(address: Address): PastryNode | undefined {
    return this.members.get(`${address.host}:${address.port}`)?.node;
  }

  /** Live nodes whose leaf set differs from the ideal one (0: every leaf set is right). */
  leafErrors(): number {
    const oracle = this.oracle();
    const p = oracle.peers;
    const n = p.length;
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const state = this.members.get(p[i]!.key)!.node.state;
      const half = state.leaf.half;
      const want = new Set<string>();
      for (let k = 1; k <= Math.min(half, n - 1); k++) {
        want.add(p[(i + k) % n]!.key);
        want.add(p[(i - k + n) % n]!.key);
      }
      const have = state.leaf.members();
      if (have.length !== want.size || have.some((q) => !want.has(q.key))) bad++;
    }
    return bad;
  }
}
