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
  /** The members and their host indices, for nearest(); undefined until needed or after a removal. */
  #scanned: { nodes: PastryNode[]; hosts: number[] } | undefined;

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
   * plane): where the paper's new node starts its join. With a plane, a scan of the members'
   * host indices (kept beside them: no array of the world's nodes per join, no map lookups).
   */
  nearest(node: PastryNode): PastryNode | undefined {
    const distance = this.distance;
    if (distance === undefined) {
      const others = this.joined().filter((n) => n !== node);
      if (others.length === 0) return undefined;
      return others[this.sim.random('world:join').int(others.length)];
    }
    const { nodes, hosts } = this.#scan();
    const me = this.hostIndex(node);
    let best: PastryNode | undefined;
    let bestD = Number.POSITIVE_INFINITY;
    for (let i = 0; i < nodes.length; i++) {
      if (nodes[i] === node) continue;
      const d = distance(me, hosts[i]!);
      if (d < bestD) {
        bestD = d;
        best = nodes[i];
      }
    }
    return best;
  }

  /** The overlay's members with their host indices (rebuilt after a crash or leave). */
  #scan(): { nodes: PastryNode[]; hosts: number[] } {
    let scan = this.#scanned;
    if (scan === undefined) {
      const nodes = this.joined();
      scan = { nodes, hosts: nodes.map((n) => this.hostIndex(n)) };
      this.#scanned = scan;
    }
    return scan;
  }

  /** A member joined the overlay (appended to the scan, if one is kept). */
  #add(node: PastryNode): void {
    if (this.#joined.has(node)) return;
    this.#joined.add(node);
    if (this.#scanned !== undefined) {
      this.#scanned.nodes.push(node);
      this.#scanned.hosts.push(this.hostIndex(node));
    }
  }

  /** A member left the overlay. */
  #remove(node: PastryNode): void {
    if (this.#joined.delete(node)) this.#scanned = undefined;
  }

  /**
   * `node` joins through `via` (default: the nearest member of the overlay); runs until it has.
   * The first node of a world forms the overlay alone.
   */
  override async join(node: PastryNode, via?: PastryNode): Promise<void> {
    const bootstrap = via ?? this.nearest(node);
    if (bootstrap !== undefined) await this.settle(node.join(bootstrap.address));
    this.#add(node);
  }

  override async joinAll(
    fresh: readonly PastryNode[],
    members: readonly PastryNode[],
  ): Promise<void> {
    await super.joinAll(fresh, members);
    for (const n of [...members, ...fresh]) this.#add(n);
  }

  override crash(node: PastryNode): void {
    this.#remove(node);
    super.crash(node);
  }

  override async leave(node: PastryNode): Promise<void> {
    this.#remove(node);
    await super.leave(node);
  }

  /** Gives every live node an ideal leaf set and a routing table of random qualifying nodes. */
  buildOracle(): void {
    const nodes = this.nodes();
    for (const n of nodes) this.#add(n);
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
