/**
 * Gnutella in compare: `simulate` from @p2pkit/gnutella/scenarios, the function behind
 * `p2pkit sim gnutella`: a flat network of real servents (degree 4), queries flooded with the
 * classic TTL 7, pings every 3 s answered from pong caches.
 */
import type { ProtocolAdapter, Row } from '../types.js';
import { emptyRow, phases, simCommand, stat } from './common.js';

/** The classic default TTL (Gnutella 0.4 and 0.6): a flood reaches 4·3^6 ≈ 2,900 servents. */
const TTL = 7;
const DEGREE = 4;

export const gnutella: ProtocolAdapter = {
  name: 'gnutella',
  lecture: {
    memoryEntries: 'O(1)',
    memoryBytes: 'O(1)',
    messagesPerLookup: 'O(N)',
    bytesPerLookup: 'O(N)',
  },
  minNodes: 2,
  maxNodes: 20_000,
  maxNodesReason:
    'every query floods the whole TTL horizon and every servent pings every 3 s: 10^5 servents is about 10^8 simulated messages per run (hours on this machine), and beyond the TTL horizon (≈ 2,900 servents) a flood no longer reaches every item',
  estimateSeconds: (w) => 0.2 + (w.nodes ** 1.08 * (w.lookups + 200)) / 37_000,
  async run(w, onProgress) {
    const { simulate } = await import('@p2pkit/gnutella/scenarios');
    const wall0 = performance.now();
    const progress = phases(1, onProgress);
    const flags = {
      nodes: w.nodes,
      degree: DEGREE,
      ttl: TTL,
      queries: w.lookups,
      files: w.items,
      latency: w.latencyMs,
      seed: w.seed,
    };
    const r = await simulate({
      nodes: w.nodes,
      degree: DEGREE,
      ttl: TTL,
      queries: w.lookups,
      files: w.items,
      latencyMs: w.latencyMs,
      seed: w.seed,
      onProgress: progress(0),
    });
    const row: Row = emptyRow('gnutella', w, simCommand('gnutella', flags));
    row.sim = r;
    row.messagesPerLookup = r.messagesPerQuery;
    row.successRate = r.successRate;
    row.memory = { entries: r.memoryPerNode.entries, bytes: r.memoryPerNode.bytes };
    row.bytesPerLookup = r.bytesPerQuery;
    row.hops = stat(r.hops);
    row.latencyMs = stat(r.latencyMs);
    row.maintenance.atRest = r.maintenanceBytesPerNodePerSec;
    row.notes.push(
      'routing entries: connections + GUID routes held (the routes grow with the queries in flight)',
      'hops and ms: to the first hit of each successful query',
    );
    row.notes.push(
      'fault tolerance: sim gnutella has no crash phase',
      'latency model: uniform in [½, 1½] × the mean (sim gnutella --latency)',
    );
    row.wallMs = Math.round(performance.now() - wall0);
    return row;
  },
  summary(rows) {
    const msgs = rows
      .map((r) => `${Math.round(r.messagesPerLookup ?? 0)} at N = ${r.nodes}`)
      .join(', ');
    return `Gnutella floods each query to every servent within TTL ${TTL} hops, so the messages per query grow with N while N stays inside the flood's horizon (about 4·3^6 servents for degree ${DEGREE}): ${msgs}. A servent keeps only its few connections, and pays for it in bandwidth: every query reaches almost everyone.`;
  },
};
