/**
 * A generic simulated world for structured overlays (Chord, Pastry, Kelips): N nodes from a
 * factory on a seeded Simulation, joined through live members, with lookups, crash, partition,
 * heal, leave and put/get, each run in virtual time until it settles. An overlay supplies a
 * small adapter; the world gives back the harness core's overlay compliance suite runs.
 *
 * ## Plugging an overlay in (Pastry, Kelips)
 *
 * ```ts
 * import { hopBounds, numericallyClosest, overlayComplianceSuite } from '@p2pkit/core/testing';
 * import { createOverlayHarness, type OverlayAdapter } from '@p2pkit/sim/testing';
 *
 * const pastry: OverlayAdapter<PastryNode> = {
 *   m: 128,
 *   create: (host) => createPastryNode({ runtime: host, port: 4000 }),  // not started yet
 *   start: (node) => node.start(),
 *   id: (node) => node.id,                    // bigint, m bits
 *   address: (node) => node.address,
 *   join: (node, via) => node.join(via),
 *   lookup: async (node, key) => { const r = await node.route(key); return { owner: r.owner.address, hops: r.hops }; },
 *   leave: (node) => node.leave(),
 *   stop: (node) => node.stop(),
 *   put: (node, key, value) => node.put(key, value),   // optional: the storage scenario
 *   get: (node, key) => node.get(key),
 * };
 * overlayComplianceSuite('pastry', (seed) => createOverlayHarness(pastry, { seed }), {
 *   convergeMs: 60_000,
 *   responsible: numericallyClosest,     // Kelips: the home node of the key's affinity group
 *   hopBound: hopBounds.pastry(4),       // Kelips: hopBounds.kelips
 * });
 * ```
 *
 * `lookup` returns the node the overlay names as responsible and the hops it took, counted the
 * overlay's way (forwardings after the origin). Everything else (hosts, time, faults, the
 * trace hash the determinism test compares) is the world's.
 */
import type { Address } from '@p2pkit/core';
import type { OverlayHarness, OverlayNode } from '@p2pkit/core/testing';
import type { SimHost } from '../host.js';
import { Simulation, type SimulationOptions } from '../simulation.js';

/** What an overlay tells the world about its nodes. */
export interface OverlayAdapter<N> {
  /** Id width in bits (keys handed to lookup are m-bit ids). */
  readonly m: number;
  /** Creates a node on a fresh simulated host (the host is its Runtime); not started yet. */
  create(host: SimHost): N;
  start(node: N): Promise<void>;
  id(node: N): bigint;
  address(node: N): Address;
  /** Joins the overlay through a live member. */
  join(node: N, via: Address): Promise<void>;
  /** Routes key from node: the node the overlay says is responsible, and the hops taken. */
  lookup(node: N, key: bigint): Promise<{ owner: Address; hops: number }>;
  /** Graceful departure (hand-over). */
  leave(node: N): Promise<void>;
  /** Releases the node's timers and sockets (also after its host crashed). */
  stop(node: N): Promise<void>;
  put?(node: N, key: string, value: Uint8Array): Promise<void>;
  get?(node: N, key: string): Promise<Uint8Array | undefined>;
}

export interface WorldOptions {
  /**
   * How many nodes join at once when the harness adds many (default 1: one after the other).
   * Concurrent joins build a large overlay in fewer virtual seconds, but an overlay whose repair
   * is slow after concurrent joins (Chord's basic stabilization fixes one successor step per
   * round) then needs a longer convergence time: raise it only for overlays that converge fast.
   */
  joinConcurrency?: number;
}

export interface WorldMember<N> {
  node: N;
  host: SimHost;
}

/** Every live node of one overlay on one Simulation. */
export class OverlayWorld<N> {
  readonly sim: Simulation;
  readonly adapter: OverlayAdapter<N>;
  /** Live members, by address key `host:port`. */
  readonly members = new Map<string, WorldMember<N>>();
  /** Members ever started (for totals). */
  started = 0;
  /** Joins in flight at once when adding many nodes (see joinAll). */
  readonly joinConcurrency: number;

  constructor(sim: Simulation, adapter: OverlayAdapter<N>, options: WorldOptions = {}) {
    this.sim = sim;
    this.adapter = adapter;
    this.joinConcurrency = options.joinConcurrency ?? 1;
  }

  get m(): number {
    return this.adapter.m;
  }

  /** Live nodes in insertion order. */
  nodes(): N[] {
    return [...this.members.values()].map((x) => x.node);
  }

  /** The member listening at `address`. */
  at(address: Address): N | undefined {
    return this.members.get(`${address.host}:${address.port}`)?.node;
  }

  /** Starts `node` (on `host`) and counts it as a live member; not yet in the overlay. */
  async add(node: N, host: SimHost): Promise<N> {
    await this.adapter.start(node);
    const a = this.adapter.address(node);
    this.members.set(`${a.host}:${a.port}`, { node, host });
    this.started++;
    return node;
  }

  /** Starts `count` nodes, each on a fresh host, not yet in the overlay. */
  async spawn(count: number): Promise<N[]> {
    const out: N[] = [];
    for (let i = 0; i < count; i++) {
      const host = this.sim.addHost();
      out.push(await this.add(this.adapter.create(host), host));
    }
    return out;
  }

  /** `node` joins through `via`, or a random other live member (runs time until it has). */
  async join(node: N, via?: N): Promise<void> {
    const others = this.nodes().filter((n) => n !== node);
    const bootstrap = via ?? others[this.sim.random('world:join').int(others.length)];
    if (bootstrap === undefined) return;
    await this.settle(this.adapter.join(node, this.adapter.address(bootstrap)));
  }

  /**
   * Joins `fresh` nodes to the overlay formed by `members` (none: the first fresh node creates
   * it), in rounds: each round joins at most `joinConcurrency` nodes, and never more than are
   * already in, concurrently, each through a random member.
   */
  async joinAll(fresh: readonly N[], members: readonly N[]): Promise<void> {
    const ring = [...members];
    const pending = [...fresh];
    if (ring.length === 0 && pending.length > 0) ring.push(pending.shift()!);
    const random = this.sim.random('world:join');
    while (pending.length > 0) {
      const batch = pending.splice(0, Math.min(ring.length, this.joinConcurrency));
      await this.settle(
        Promise.all(
          batch.map((n) =>
            this.adapter.join(n, this.adapter.address(ring[random.int(ring.length)]!)),
          ),
        ),
      );
      ring.push(...batch);
    }
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

  /** Crashes the host of a node (every node on that host); nothing is sent. */
  crash(node: N): void {
    const a = this.adapter.address(node);
    const member = this.members.get(`${a.host}:${a.port}`);
    if (member === undefined) return;
    const victims: N[] = [];
    for (const [key, m] of this.members) {
      if (m.host !== member.host) continue;
      this.members.delete(key);
      victims.push(m.node);
    }
    this.sim.crash(member.host);
    // The host is gone; stopping its node objects only settles their pending promises and
    // frees memory. Nothing is sent: the host is dead.
    for (const victim of victims) this.adapter.stop(victim).catch(() => {});
  }

  /** Graceful leave (runs time until it is done). */
  async leave(node: N): Promise<void> {
    const a = this.adapter.address(node);
    this.members.delete(`${a.host}:${a.port}`);
    await this.settle(this.adapter.leave(node));
  }

  /** Stops every live node. */
  async close(): Promise<void> {
    for (const node of this.nodes()) await this.adapter.stop(node);
    this.members.clear();
  }

  /** The harness core's overlay compliance suite drives. */
  harness(): OverlayHarness {
    const adapter = this.adapter;
    const node = (n: OverlayNode): N => {
      const found = this.at(n.address);
      if (found === undefined)
        throw new Error(`no live node at ${n.address.host}:${n.address.port}`);
      return found;
    };
    const view = (n: N): OverlayNode => ({ id: adapter.id(n), address: adapter.address(n) });
    const h: OverlayHarness = {
      m: adapter.m,
      addNodes: async (count) => {
        const members = this.nodes();
        const fresh = await this.spawn(count);
        await this.joinAll(fresh, members);
        return fresh.map(view);
      },
      advance: (ms) => this.sim.runFor(ms),
      lookup: (from, key) => this.settle(adapter.lookup(node(from), key)),
      leave: (n) => this.leave(node(n)),
      crash: (n) => this.crash(node(n)),
      partition: (groups) => this.sim.partition(...groups.map((g) => g.map((n) => n.address.host))),
      heal: () => this.sim.heal(),
      traceHash: () => this.sim.traceHash,
      close: () => this.close(),
    };
    const { put, get } = adapter;
    if (put) h.put = async (from, key, value) => this.settle(put(node(from), key, value));
    if (get) h.get = (from, key) => this.settle(get(node(from), key));
    return h;
  }
}

/** A fresh seeded Simulation, an OverlayWorld on it, and the suite's harness. */
export function createOverlayHarness<N>(
  adapter: OverlayAdapter<N>,
  options: { seed: number } & Partial<SimulationOptions> & WorldOptions,
): Promise<OverlayHarness> {
  const { joinConcurrency, ...simulation } = options;
  const world = new OverlayWorld(
    new Simulation(simulation),
    adapter,
    joinConcurrency === undefined ? {} : { joinConcurrency },
  );
  return Promise.resolve(world.harness());
}
