/**
 * A simulated Gnutella network: N servents on @p2pkit/sim hosts, flat (every servent a peer)
 * or two-tier (a fraction of ultrapeers, leaves attached to a few of them), a random topology
 * of average degree d, and a catalogue of files replicated on a fraction of the servents.
 */
import type { Random } from '@p2pkit/core';
import { FileCatalogue, fileName, fileSize, latency, type SimHost, Simulation } from '@p2pkit/sim';
import type { SharedFile } from '../options.js';
import { Servent } from '../servent.js';

export interface WorldOptions {
  nodes: number;
  /** Average number of peer (ultrapeer-ultrapeer) connections per peer (default 4). */
  degree?: number;
  /** Fraction of servents that are ultrapeers; 0 (default) = flat network, all peers. */
  ultrapeers?: number;
  /** Ultrapeers each leaf attaches to (default 3). */
  leafUltrapeers?: number;
  /** Distinct files in the catalogue (default 100). */
  files?: number;
  /** Fraction of servents holding each file (default 0.01, at least one copy). */
  replication?: number;
  /** Mean one-way latency in ms (uniform in [0.5, 1.5] x mean; default 50). */
  latencyMs?: number;
  /** Ping interval per servent, ms; 0 = no pings (default 3000). */
  pingIntervalMs?: number;
  /** Pong caching on every servent (default true). */
  pongCaching?: boolean;
  /** TTL of queries (default 4); also raises the max-TTL clamp if above 7. */
  ttl?: number;
  /** Ultrapeers exchange last-hop QRP tables (default true; only with ultrapeers). */
  ultrapeerQueryRouting?: boolean;
  seed?: number;
}

/** The workload's file names and query words (@p2pkit/sim's, shared with the other protocols). */
export { fileName, fileQuery } from '@p2pkit/sim';

/** How long an ultrapeer waits after a leaf's table changed before telling its peers. */
const TABLE_DELAY_MS = 1000;

export class GnutellaWorld {
  readonly sim: Simulation;
  readonly hosts: SimHost[];
  readonly servents: Servent[];
  /** The shared workload: which servents hold which file, and what queries look for. */
  readonly catalogue: FileCatalogue;
  /** Indices of the servents holding file k. */
  readonly holders: readonly (readonly number[])[];
  readonly ultrapeerCount: number;
  readonly options: Required<Omit<WorldOptions, 'seed'>> & { seed: number };
  readonly random: Random;

  constructor(options: WorldOptions) {
    const o = {
      nodes: options.nodes,
      degree: options.degree ?? 4,
      ultrapeers: options.ultrapeers ?? 0,
      leafUltrapeers: options.leafUltrapeers ?? 3,
      files: options.files ?? 100,
      replication: options.replication ?? 0.01,
      latencyMs: options.latencyMs ?? 50,
      pingIntervalMs: options.pingIntervalMs ?? 3000,
      pongCaching: options.pongCaching ?? true,
      ttl: options.ttl ?? 4,
      ultrapeerQueryRouting: options.ultrapeerQueryRouting ?? true,
      seed: options.seed ?? 1,
    };
    this.options = o;
    const m = o.latencyMs;
    this.sim = new Simulation({
      seed: o.seed,
      latency: m > 0 ? latency.uniform(m / 2, (3 * m) / 2) : latency.constant(0),
    });
    this.random = this.sim.random('gnutella-world');
    this.hosts = this.sim.addHosts(o.nodes);
    this.ultrapeerCount =
      o.ultrapeers > 0 ? Math.max(1, Math.round(o.ultrapeers * o.nodes)) : o.nodes;
    this.catalogue = new FileCatalogue(this.random, o);
    this.holders = this.catalogue.holders;
    const shares: SharedFile[][] = this.hosts.map((_, i) =>
      this.catalogue
        .sharesOf(i)
        .map((k, index) => ({ index, name: fileName(k), size: fileSize(k) })),
    );
    this.servents = this.hosts.map(
      (host, i) =>
        new Servent({
          runtime: host,
          role: i < this.ultrapeerCount ? 'ultrapeer' : 'leaf',
          port: 6346,
          files: shares[i]!,
          maintain: false,
          pingIntervalMs: o.pingIntervalMs,
          pongCaching: o.pongCaching,
          // No stream compression in the simulator: a zlib stream per link costs ~300 KB.
          deflate: false,
          // 2^13-slot QRP tables: at most a few dozen keywords per leaf, so still ~no false
          // positives, and 10^4 leaves x 3 ultrapeers fit in memory.
          qrpBits: 13,
          queryTtl: o.ttl,
          maxTtl: Math.max(7, o.ttl),
          maxUltrapeers: 10_000,
          maxLeaves: 100_000,
          leafUltrapeers: o.leafUltrapeers,
          // A flat network floods as 0.4 did: no tables between its peers.
          ultrapeerQueryRouting: o.ultrapeers > 0 && o.ultrapeerQueryRouting,
          ultrapeerTableDelayMs: TABLE_DELAY_MS,
        }),
    );
  }

  /** Starts every servent and wires the topology; resolves once every handshake is done. */
  async build(): Promise<void> {
    const { sim, servents } = this;
    let started = false;
    sim.at(0, async () => {
      await Promise.all(servents.map((s) => s.start()));
      started = true;
    });
    await sim.runUntil(() => started, { timeoutMs: 60_000 });
    const edges = this.edges();
    let pending = edges.length;
    sim.at(sim.now + 1, () => {
      for (const [a, b] of edges) {
        void servents[a]!.connect(servents[b]!.address).finally(() => {
          pending--;
        });
      }
    });
    await sim.runUntil(() => pending === 0, { timeoutMs: 600_000 });
    // Let QRP tables arrive and settle: leaves' tables, then the ultrapeers' unions to their peers.
    const settle = 5 * Math.max(1, this.options.latencyMs) + 100;
    const tiered = this.options.ultrapeers > 0 && this.options.ultrapeerQueryRouting;
    await sim.runFor(tiered ? 2 * settle + TABLE_DELAY_MS : settle);
  }

  /** Peer edges: a random graph of average degree d on the ultrapeers; leaves to k ultrapeers. */
  private edges(): [number, number][] {
    const { degree, leafUltrapeers, nodes } = this.options;
    const ups = this.ultrapeerCount;
    const out: [number, number][] = [];
    const seen = new Set<number>();
    const add = (a: number, b: number) => {
      if (a === b) return false;
      const key = a < b ? a * nodes + b : b * nodes + a;
      if (seen.has(key)) return false;
      seen.add(key);
      out.push([a, b]);
      return true;
    };
    if (ups > 1) {
      // Configuration model: d stubs per ultrapeer, shuffled and paired; self-loops and
      // duplicates are dropped (a few, at these sizes), then a ring guarantees connectivity.
      const stubs: number[] = [];
      for (let i = 0; i < ups; i++) for (let k = 0; k < degree; k++) stubs.push(i);
      this.random.shuffle(stubs);
      for (let i = 0; i + 1 < stubs.length; i += 2) add(stubs[i]!, stubs[i + 1]!);
      const degrees = new Array<number>(ups).fill(0);
      for (const [a, b] of out) {
        degrees[a]!++;
        degrees[b]!++;
      }
      for (let i = 0; i < ups; i++) if (degrees[i] === 0) add(i, (i + 1) % ups);
    }
    const upIndices = Array.from({ length: ups }, (_, i) => i);
    for (let leaf = ups; leaf < nodes; leaf++) {
      const chosen = this.random.shuffle(upIndices.slice()).slice(0, Math.min(leafUltrapeers, ups));
      for (const up of chosen) out.push([leaf, up]);
    }
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servents.map((s) => s.stop()));
  }
}
