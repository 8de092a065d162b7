/**
 * A Kelips system in the simulator: one node per simulated host, built by real joins or with
 * complete soft state from an oracle (p2psim's init_state), files placed by real inserts or
 * directly, and the faults the experiments need. Tests, experiments and `p2pkit sim kelips`
 * drive systems through this class.
 */
import { type Address, formatAddress } from '@p2pkit/core';
import type { LatencyModel, SimHost, Simulation } from '@p2pkit/sim';
import { groupOfName } from '../groups.js';
import { createKelipsNode, type KelipsNode } from '../node.js';
import type { KelipsOptions } from '../options.js';

/** Node options for every node of a world (the runtime comes from the world). */
export type NodeOptions = Omit<KelipsOptions, 'runtime'>;

interface Member {
  node: KelipsNode;
  host: SimHost;
}

/** Contacts considered per foreign group when building from the oracle (the closest c win). */
const ORACLE_SAMPLE = 32;

export class KelipsWorld {
  readonly sim: Simulation;
  readonly options: NodeOptions;
  /** Live members by `host:port`. */
  readonly members = new Map<string, Member>();
  /** Members ever started. */
  started = 0;
  readonly #port: number;
  /** The simulation's latency model, if the world was told it (oracle RTTs need it). */
  readonly #latency: LatencyModel | undefined;
  /** Nodes that are part of the system (joined, or built by the oracle). */
  readonly #joined = new WeakSet<KelipsNode>();

  constructor(sim: Simulation, options: NodeOptions = {}, latency?: LatencyModel) {
    this.sim = sim;
    this.options = options;
    this.#port = options.port ?? 4000;
    this.#latency = latency;
  }

  /** Live nodes in start order. */
  nodes(): KelipsNode[] {
    return [...this.members.values()].map((m) => m.node);
  }

  /** Starts `count` nodes on fresh hosts, each a system of one until it joins. */
  async spawn(count: number, extra: NodeOptions = {}): Promise<KelipsNode[]> {
    const out: KelipsNode[] = [];
    for (let i = 0; i < count; i++) {
      const host = this.sim.addHost();
      const node = createKelipsNode({ ...this.options, ...extra, runtime: host, port: this.#port });
      await node.start();
      this.members.set(formatAddress(node.address), { node, host });
      this.started++;
      out.push(node);
    }
    return out;
  }

  /** The member at `address`, if live. */
  at(address: Address): KelipsNode | undefined {
    return this.members.get(formatAddress(address))?.node;
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

  /**
   * `node` joins through `via` (default: a random live member that joined before it; the
   * first node to join starts the system).
   */
  async join(node: KelipsNode, via?: KelipsNode): Promise<void> {
    const members = this.nodes().filter((n) => n !== node && this.#joined.has(n));
    const introducer =
      via ??
      (members.length > 0 ? members[this.sim.random('world:join').int(members.length)] : undefined);
    if (introducer !== undefined) await this.settle(node.join(introducer.address));
    this.#joined.add(node);
  }

  /**
   * Complete soft state for every live node, as p2psim's init_state gives it: the whole
   * affinity group in the view, and for each foreign group the c closest of up to 32 members,
   * all with their true RTTs (2 × the one-way delay of the latency model the world was given;
   * without one, RTTs stay unmeasured and contacts are the first c sampled).
   */
  buildOracle(): void {
    const nodes = this.nodes();
    if (nodes.length === 0) return;
    const k = nodes[0]!.groups;
    const byGroup: KelipsNode[][] = Array.from({ length: k }, () => []);
    for (const n of nodes) {
      byGroup[n.group]!.push(n);
      this.#joined.add(n);
    }
    const random = this.sim.random('world:oracle');
    const jitter = this.sim.random('world:oracle-delay');
    const now = this.sim.now;
    const delay = (a: number, b: number) => this.#latency?.delay(a, b, jitter) ?? 0;
    const indexOf = new Map<KelipsNode, number>();
    for (const n of nodes) indexOf.set(n, this.#index(n));
    for (const node of nodes) {
      const state = node.state;
      const from = indexOf.get(node)!;
      const meet = (other: KelipsNode) => {
        state.heard({ address: other.address, heartbeat: other.heartbeat, ageMs: 0 }, now);
        if (this.#latency) {
          state.measured(formatAddress(other.address), 2 * delay(from, indexOf.get(other)!));
        }
      };
      for (const other of byGroup[node.group]!) if (other !== node) meet(other);
      for (let g = 0; g < k; g++) {
        if (g === node.group) continue;
        const group = byGroup[g]!;
        const sample =
          group.length <= ORACLE_SAMPLE
            ? group
            : Array.from({ length: ORACLE_SAMPLE }, () => group[random.int(group.length)]!);
        const closest = [...new Set(sample)]
          .map((n) => ({ n, d: delay(from, indexOf.get(n)!) }))
          .sort((a, b) => a.d - b.d)
          .slice(0, node.options.contacts);
        for (const { n } of closest) meet(n);
      }
    }
  }

  #index(node: KelipsNode): number {
    return this.members.get(formatAddress(node.address))!.host.index;
  }

  /**
   * Places files without running inserts: each at a random member of its group (as a contact
   * would pick), every live member of the group knowing its filetuple. Returns name → home.
   */
  placeFiles(names: readonly string[]): Map<string, Address> {
    const nodes = this.nodes();
    const out = new Map<string, Address>();
    if (nodes.length === 0) return out;
    const k = nodes[0]!.groups;
    const byGroup: KelipsNode[][] = Array.from({ length: k }, () => []);
    for (const n of nodes) byGroup[n.group]!.push(n);
    const random = this.sim.random('world:files');
    const now = this.sim.now;
    const empty = new Uint8Array(0);
    for (const name of names) {
      const group = byGroup[groupOfName(name, k)]!;
      if (group.length === 0) continue;
      const home = group[random.int(group.length)]!;
      home.store.put(name, empty);
      home.state.homed(name, home.heartbeat, now);
      for (const n of group) {
        if (n === home) continue;
        n.state.heardTuple({ name, home: home.address, heartbeat: home.heartbeat, ageMs: 0 }, now);
      }
      out.set(name, home.address);
    }
    return out;
  }

  /** Crashes the host of `node`: it stops at once, nothing is sent. */
  crash(node: KelipsNode): void {
    const key = formatAddress(node.address);
    const member = this.members.get(key);
    if (member === undefined) return;
    this.members.delete(key);
    this.sim.crash(member.host);
    // The host is gone; stopping the node object only settles its pending promises.
    node.stop().catch(() => {});
  }

  /** Graceful leave (runs the simulation until it is done). */
  async leave(node: KelipsNode): Promise<void> {
    const key = formatAddress(node.address);
    if (!this.members.has(key)) return;
    await this.settle(node.leave());
    this.members.delete(key);
  }

  /** Mean soft-state sizes over live nodes. */
  meanState(): { view: number; contacts: number; tuples: number; entries: number; bytes: number } {
    const nodes = this.nodes();
    const sum = { view: 0, contacts: 0, tuples: 0, entries: 0, bytes: 0 };
    for (const n of nodes) {
      const m = n.memory();
      sum.view += m.view;
      sum.contacts += m.contacts;
      sum.tuples += m.tuples;
      sum.entries += m.entries;
      sum.bytes += m.bytes;
    }
    const c = Math.max(1, nodes.length);
    return {
      view: sum.view / c,
      contacts: sum.contacts / c,
      tuples: sum.tuples / c,
      entries: sum.entries / c,
      bytes: sum.bytes / c,
    };
  }

  /** Stops every node. */
  async close(): Promise<void> {
    for (const { node } of this.members.values()) await node.stop();
    this.members.clear();
  }
}
