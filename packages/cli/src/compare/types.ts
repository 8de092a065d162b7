/**
 * The shapes `p2pkit compare` works with: one workload for every protocol, one row of figures
 * per protocol and N, and what the lecture's table says each cost should grow like.
 */

/** What every protocol is given: the same nodes, items, lookups, latency and seed. */
export interface Workload {
  /** Nodes (peers, servents, clients) in the system. */
  nodes: number;
  /** Items stored before the lookups (files, keys): one per node unless asked otherwise. */
  items: number;
  /** Lookups (searches, queries) timed after the system is built. */
  lookups: number;
  /** One-way delay between two hosts, ms (constant), where the protocol's simulation takes one. */
  latencyMs: number;
  /** Fraction of the nodes that crash for the fault-tolerance phase (0: no such phase). */
  fail: number;
  /** Joins and failures per simulated second each for the churn phase (0: no such phase). */
  churn: number;
  /** Measure route latency / direct latency where it costs a separate run (Pastry's real joins). */
  locality: boolean;
  seed: number;
}

/** Mean and percentiles of one figure. */
export interface Stat {
  mean: number;
  p50: number;
  p99: number;
}

/** A lecture complexity class. */
export type Growth = 'O(1)' | 'O(log N)' | 'O(√N)' | 'O(N)';

/** The costs whose growth against N is fitted. */
export type Cost =
  | 'memoryEntries'
  | 'memoryBytes'
  | 'serverEntries'
  | 'serverBytes'
  | 'hops'
  | 'latencyMs'
  | 'messagesPerLookup'
  | 'bytesPerLookup'
  | 'completionS';

/** What a figure is, for tables and charts. */
export const COSTS: Record<Cost, { label: string; unit: string }> = {
  memoryEntries: { label: 'routing entries per node', unit: 'entries' },
  memoryBytes: { label: 'state per node', unit: 'bytes' },
  serverEntries: { label: 'entries at the server / supernode', unit: 'entries' },
  serverBytes: { label: 'state at the server / supernode', unit: 'bytes' },
  hops: { label: 'lookup hops (mean)', unit: 'hops' },
  latencyMs: { label: 'lookup latency (mean)', unit: 'simulated ms' },
  messagesPerLookup: { label: 'messages per lookup', unit: 'messages' },
  bytesPerLookup: { label: 'bytes per lookup', unit: 'bytes' },
  completionS: { label: 'download completion time (mean)', unit: 'simulated s' },
};

/** Fault tolerance: lookups after `fail` of the nodes crashed at once. */
export interface FaultFigures {
  /** Fraction of the nodes asked to crash, and how many did. */
  fail: number;
  crashed: number;
  /** Right after the crash, before any repair: successful lookups / judged lookups. */
  success: number;
  /** Lookups that returned a wrong answer (wrong owner, a node without the item); null where
   * the protocol's simulation does not judge answers. */
  wrong: number | null;
  /** After the protocol's repair ran; null where its simulation has no repair phase. */
  afterRepair: { success: number; wrong: number } | null;
  /** The `p2pkit sim` command that gives the same figures. */
  command: string;
}

/** A swarm's download (BitTorrent): every leecher fetches the same file from one seed. */
export interface SwarmFigures {
  /** File size, bytes. */
  size: number;
  /** Seconds from the flash crowd's arrival to each leecher's completion. */
  completionS: Stat;
  /** The fluid lower bound for the same rates, seconds, and last completion / bound. */
  boundS: number;
  ratio: number;
  /** Piece payload each leecher received (duplicates included), bytes. */
  receivedBytesPerPeer: number;
  /** Every stream byte sent (payload, framing, requests, haves, handshakes) per peer. */
  wireBytesPerPeer: number;
}

/** Every figure of one protocol at one N. A null figure was not measured: `notes` says why. */
export interface Row {
  protocol: string;
  nodes: number;
  /** Routing state per node (entries and bytes); for a server design, per client. */
  memory: { entries: number | null; bytes: number | null };
  /** State held at the central server (Napster) or at each supernode (FastTrack). */
  server: { entries: number | null; bytes: number | null } | null;
  hops: Stat | null;
  latencyMs: Stat | null;
  messagesPerLookup: number | null;
  bytesPerLookup: number | null;
  /** Successful lookups / lookups, without faults. */
  successRate: number | null;
  /** Items per node: max / mean (1 is perfect balance). */
  loadBalance: number | null;
  fault: FaultFigures | null;
  /** Route latency / direct latency between the same two hosts (1 is the best possible). */
  locality: number | null;
  /** The download itself, where the protocol is a swarm (BitTorrent); null for lookups. */
  swarm: SwarmFigures | null;
  /** Background traffic, bytes sent per node per second. */
  maintenance: { atRest: number | null; underChurn: number | null };
  /** The `p2pkit sim` command that gives the same base figures (one source of truth). */
  command: string;
  /** The raw result of the protocol's own simulation, as `p2pkit sim <protocol> --json` prints it. */
  sim: unknown;
  /** What was not measured, or measured differently, and why. */
  notes: string[];
  /** Wall-clock time of every phase of this row, ms. */
  wallMs: number;
}

/** One protocol as compare runs it. */
export interface ProtocolAdapter {
  name: string;
  /** What the lecture's table says each cost grows like. */
  lecture: Partial<Record<Cost, Growth>>;
  /** Largest N its simulation holds on this kind of machine, and why not more. */
  maxNodes: number;
  maxNodesReason: string;
  /** Smallest N it runs with. */
  minNodes: number;
  /**
   * Relative wall-clock cost at N, about seconds on a quiet 2-core machine: for the ETA, and
   * the longest runs start first on the worker threads. Fitted to the rows' wallMs of
   * results/compare.json (default sizes, load 4.4).
   */
  estimateSeconds(workload: Workload): number;
  /** Runs every phase at this N and returns the row. */
  run(workload: Workload, onProgress: (fraction: number) => void): Promise<Row>;
  /** One paragraph on what the numbers show (for the report). */
  summary(rows: readonly Row[]): string;
}
