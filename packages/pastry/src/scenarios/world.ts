/**
 * A Pastry overlay in the simulator: the generic overlay world of @p2pkit/sim/testing (hosts,
 * joins, faults, settle) with Pastry's adapter, plus what the experiments need: joins through
 * the nearest live node (the paper's assumption), tables built directly from an oracle, and
 * leaf-set consistency. Tests, experiments, benchmarks and `p2pkit sim pastry` all drive
 * overlays through this class.
 */
import type { Simulation } from '@p2pkit/sim';
import {
  type WorldMember as GenericMember,
  type OverlayAdapter,
  OverlayWorld,
} from '@p2pkit/sim/testing';
import { createPastryNode, type PastryNode } from '../node.js';
import type { PastryOptions } from '../options.js';
import { PastryOracle } from '../oracle.js';

/** Node options for every node of a world (the runtime comes from the world). */
export type NodeOptions = Omit<PastryOptions, 'runtime'>;

export type WorldMember = GenericMember<PastryNode>;

/** What the generic world needs to know about Pastry nodes. */
export function pastryAdapter(options: NodeOptions = {}): OverlayAdapter<PastryNode> {
  return {
    m: options.m ?? 128,
    create: (host) => createPastryNode({ ...options, runtime: host, port: options.port ?? 4000 }),
    start: (node) => node.start(),
    id: (node) => node.id,
    address: (node) => node.address,
    join: (node, via) => node.join(via),
    lookup: async (node, key) => {
      const r = await node.lookupId(key);
      return { owner: r.owner.address, hops: r.hops };
    },
    leave: (node) => node.leave(),
    stop: (node) => node.stop(),
    put: async (node, key, value) => {
      await node.put(key, value);
    },
    get: (node, key) => node.get(key),
  };
}

export class PastryWorld extends OverlayWorld<PastryNode> {
  readonly options: NodeOptions;
  /**
   * One-way delay between two hosts by index, when the latency model is a plane (the
   * coordinates model): joins go through the nearest node, and routes can be measured.
   */
  readonly distance: ((a: number, b: number) => number) | undefined;
  /** Members that are part of the overlay (joined, the first node, or oracle-built). */
  readonly #joined = new Set<PastryNode>();

  constructor(
    sim: Simulation,
    options: NodeOptions = {},
    distance?: (a: number, b: number) => number,
  ) {
    super(sim, pastryAdapter(options));
    this.options = options;
    this.distance = distance;
  }

  /** Live nodes that are part of the overlay (spawned ones not yet joined are not). */
  joined(): PastryNode[] {
    return this.nodes().filter((n) => this.#joined.has(n));
  }

  /** The simulator's index of a live node's host. */
  hostIndex(node: PastryNode): number {
    const member = this.members.get(node.state.self.key);
    if (member === undefined) throw new RangeError(`${node.state.self.key} is not a live member`);
    return member.host.index;
  }

  /**
   * The member of the overlay nearest to `node` by the latency model (a random one without a
   * plane): where the paper's new node starts its join.
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
  override async join(node: PastryNode, via?: PastryNode): Promise<void> {
    const bootstrap = via ?? this.nearest(node);
    if (bootstrap !== undefined) await this.settle(node.join(bootstrap.address));
    this.#joined.add(node);
  }

  override async joinAll(
    fresh: readonly PastryNode[],
    members: readonly PastryNode[],
  ): Promise<void> {
    await super.joinAll(fresh, members);
    for (const n of [...members, ...fresh]) this.#joined.add(n);
  }

  override crash(node: PastryNode): void {
    this.#joined.delete(node);
    super.crash(node);
  }

  override async leave(node: PastryNode): Promise<void> {
    this.#joined.delete(node);
    await super.leave(node);
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
