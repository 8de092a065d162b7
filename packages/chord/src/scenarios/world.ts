/**
 * A Chord ring in the simulator: the generic overlay world of @p2pkit/sim/testing (hosts, joins,
 * faults, settle) with Chord's adapter, plus what the experiments need. Tests, experiments,
 * benchmarks and `p2pkit sim chord` all drive rings through this class.
 */
import type { Id, Random } from '@p2pkit/core';
import type { LatencyModel, SimHost, Simulation } from '@p2pkit/sim';
import {
  type WorldMember as GenericMember,
  type OverlayAdapter,
  OverlayWorld,
} from '@p2pkit/sim/testing';
import { type ChordNode, createChordNode } from '../node.js';
import type { ChordOptions } from '../options.js';
import { RingOracle } from '../oracle.js';
import type { Peer } from '../peer.js';
import { spaceFor } from '../space.js';

/** Node options for every node of a world (the runtime comes from the world). */
export type NodeOptions = Omit<ChordOptions, 'runtime'>;

/** Exponentially distributed one-way delays (ToN §V-E: mean 50 ms). */
export function exponentialLatency(meanMs: number): LatencyModel {
  return {
    name: `exponential(${meanMs})`,
    delay: (_from, _to, random) => random.exponential(meanMs),
  };
}

export type WorldMember = GenericMember<ChordNode>;

/** What the generic world needs to know about Chord nodes. */
export function chordAdapter(options: NodeOptions = {}): OverlayAdapter<ChordNode> {
  return {
    m: options.m ?? 160,
    create: (host) => createChordNode({ ...options, runtime: host, port: options.port ?? 4000 }),
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

/**
 * The generic overlay world (@p2pkit/sim/testing) with what Chord's experiments add: virtual
 * nodes (v nodes per host on consecutive ports), rings built directly from an oracle, churn
 * arrivals, and ring consistency.
 */
export class ChordWorld extends OverlayWorld<ChordNode> {
  readonly options: NodeOptions;
  readonly #port: number;

  constructor(sim: Simulation, options: NodeOptions = {}) {
    super(sim, chordAdapter(options));
    this.options = options;
    this.#port = options.port ?? 4000;
  }

  /** Starts `count` nodes on fresh hosts (v per host on consecutive ports), not yet in a ring. */
  override async spawn(
    count: number,
    virtualNodes = 1,
    extra: NodeOptions = {},
  ): Promise<ChordNode[]> {
    const out: ChordNode[] = [];
    for (let i = 0; i < count; i++) {
      const host = this.sim.addHost();
      for (let v = 0; v < virtualNodes; v++)
        out.push(await this.startOn(host, this.#port + v, extra));
    }
    return out;
  }

  /** Starts one node on `host` at `port`. */
  startOn(host: SimHost, port: number, extra: NodeOptions = {}): Promise<ChordNode> {
    return this.add(createChordNode({ ...this.options, ...extra, runtime: host, port }), host);
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
export function randomKey(random: Random, m: number): Id {
  return spaceFor(m).random(random);
}

export type { Peer };
