/**
 * A simulated FastTrack network: N nodes on @p2pkit/sim hosts, a fraction of them supernodes
 * (the most capable, linked to a few other supernodes each), the rest ordinary nodes attached
 * to one of them, and the same file catalogue as Gnutella's scenarios (@p2pkit/sim's
 * FileCatalogue: one seed, the same shares and queries for both protocols).
 */
import { type Random, sha1 } from '@p2pkit/core';
import {
  FileCatalogue,
  type FileSharingWorkload,
  fileName,
  fileSize,
  latency,
  type SimHost,
  Simulation,
} from '@p2pkit/sim';
import { FastTrackNode } from '../node.js';
import type { LocalFile } from '../options.js';

export interface WorldOptions extends Omit<FileSharingWorkload, 'queries'> {
  /** Fraction of nodes that are supernodes (default 0.01: FastTrack's ~100 users a supernode). */
  supernodeRatio?: number;
  /** Supernode links each supernode dials for (default 4). */
  supernodeDegree?: number;
  /** Supernode hops of a query, the first included (default 3). */
  ttl?: number;
  /** Fraction of ordinary nodes that share nothing (default 0). */
  freeriders?: number;
  /** Supernode list handed to each ordinary node at start (default 5). */
  bootstrap?: number;
}

/** Sizes a node's file entry takes in a supernode's index, for the state estimate. */
export function fileEntry(k: number): LocalFile {
  return {
    uuhash: sha1(`uuhash ${k}`),
    root: sha1(`root ${k}`),
    size: fileSize(k),
    name: fileName(k),
    tags: {},
  };
}

export class FastTrackWorld {
  readonly sim: Simulation;
  readonly hosts: SimHost[];
  readonly nodes: FastTrackNode[];
  readonly catalogue: FileCatalogue;
  readonly supernodeCount: number;
  readonly freeriders: ReadonlySet<number>;
  readonly options: Required<Omit<WorldOptions, 'seed'>> & { seed: number };
  readonly random: Random;

  constructor(options: WorldOptions) {
    const o = {
      nodes: options.nodes,
      files: options.files ?? 100,
      replication: options.replication ?? 0.01,
      latencyMs: options.latencyMs ?? 50,
      queryIntervalMs: options.queryIntervalMs ?? 100,
      queryTimeoutMs: options.queryTimeoutMs ?? 10_000,
      supernodeRatio: options.supernodeRatio ?? 0.01,
      supernodeDegree: options.supernodeDegree ?? 4,
      ttl: options.ttl ?? 3,
      freeriders: options.freeriders ?? 0,
      bootstrap: options.bootstrap ?? 5,
      seed: options.seed ?? 1,
    };
    this.options = o;
    const m = o.latencyMs;
    this.sim = new Simulation({
      seed: o.seed,
      latency: m > 0 ? latency.uniform(m / 2, (3 * m) / 2) : latency.constant(0),
    });
    // The catalogue is drawn first, from its own stream, as Gnutella's scenario does.
    this.random = this.sim.random('fasttrack-world');
    this.catalogue = new FileCatalogue(this.sim.random('gnutella-world'), o);
    this.hosts = this.sim.addHosts(o.nodes);
    this.supernodeCount = Math.max(1, Math.min(o.nodes, Math.round(o.supernodeRatio * o.nodes)));
    const free = new Set<number>();
    const ordinary = o.nodes - this.supernodeCount;
    const freeCount = Math.round(o.freeriders * ordinary);
    const order = this.random.shuffle(
      Array.from({ length: ordinary }, (_, i) => this.supernodeCount + i),
    );
    for (let i = 0; i < freeCount; i++) free.add(order[i]!);
    this.freeriders = free;
    const target = Math.max(1, Math.ceil(ordinary / this.supernodeCount));
    this.nodes = this.hosts.map((host, i) => {
      const supernode = i < this.supernodeCount;
      const peers = this.#bootstrapFor(i, supernode);
      return new FastTrackNode({
        runtime: host,
        role: supernode ? 'supernode' : 'ordinary',
        port: 1214,
        peers,
        files: free.has(i) ? [] : this.catalogue.sharesOf(i).map(fileEntry),
        uploadKBps: supernode ? 1000 : 50,
        targetChildren: target,
        maxChildren: 4 * target + 10,
        targetPeers: o.supernodeDegree,
        maxPeers: 4 * o.supernodeDegree + 8,
        queryTtl: o.ttl,
        queryTimeoutMs: Math.max(1, o.queryTimeoutMs - 1_000),
        // Supernodes are chosen up front here: the election has its own test.
        minUptimeMs: 0,
        maintenanceIntervalMs: 5_000,
        refreshIntervalMs: 30_000,
      });
    });
  }

  /** A few supernodes: the earlier ones for a supernode, any for an ordinary node. */
  #bootstrapFor(i: number, supernode: boolean) {
    const s = this.supernodeCount;
    const pool = supernode ? i : s;
    const n = Math.min(pool, supernode ? this.options.supernodeDegree : this.options.bootstrap);
    const picked = new Set<number>();
    while (picked.size < n) picked.add(this.random.int(pool));
    return [...picked].map((j) => ({ host: this.hosts[j]!.host, port: 1214 }));
  }

  /** Starts the supernodes, then the ordinary nodes; resolves once every node has a place. */
  async build(): Promise<void> {
    const { sim, nodes } = this;
    const s = this.supernodeCount;
    let started = 0;
    sim.at(0, async () => {
      for (let i = 0; i < s; i++) {
        await nodes[i]!.start();
        started++;
      }
    });
    await sim.runUntil(() => started === s, { timeoutMs: 600_000 });
    sim.at(sim.now + 1, () => {
      for (let i = s; i < nodes.length; i++) {
        void nodes[i]!.start().finally(() => {
          started++;
        });
      }
    });
    await sim.runUntil(() => started === nodes.length, { timeoutMs: 600_000 });
    await sim.runFor(5 * Math.max(1, this.options.latencyMs) + 100);
  }

  isSupernode(i: number): boolean {
    return this.nodes[i]!.role === 'supernode';
  }

  /** Stops every live node (inside the simulation: closing sessions takes virtual time). */
  async stop(): Promise<void> {
    const { sim } = this;
    let stopped = false;
    sim.at(sim.now, async () => {
      await Promise.all(
        this.nodes.map((n, i) => (this.hosts[i]!.alive ? n.stop().catch(() => {}) : undefined)),
      );
      stopped = true;
    });
    await sim.runUntil(() => stopped, { timeoutMs: 120_000 });
  }
}
