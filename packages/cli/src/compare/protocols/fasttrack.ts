/**
 * FastTrack in compare: `simulate` from @p2pkit/fasttrack/scenarios, the function behind
 * `p2pkit sim fasttrack`: ordinary nodes under supernodes (1 % of the nodes, FastTrack's
 * ~100 users each), queries sent to the parent supernode and flooded among supernodes with
 * TTL 3; once more with `--churn` (a fraction of the supernodes crash during the queries).
 */
import type { ProtocolAdapter, Row } from '../types.js';
import { emptyRow, phases, simCommand, stat } from './common.js';

export const fasttrack: ProtocolAdapter = {
  name: 'fasttrack',
  lecture: {
    // An ordinary node keeps its supernode session and a short supernode cache.
    memoryEntries: 'O(1)',
    memoryBytes: 'O(1)',
    // With a fixed supernode ratio a supernode indexes a constant number of children.
    serverEntries: 'O(1)',
    serverBytes: 'O(1)',
    // The query floods the supernode layer (N / 100 supernodes) within its TTL horizon.
    messagesPerLookup: 'O(N)',
    bytesPerLookup: 'O(N)',
  },
  minNodes: 2,
  // Measured: N = 10^4 runs in its experiments; --nodes 100000 spent 362 CPU-seconds without
  // finishing the world's setup (and a setup never yields, so Ctrl-C waits for it).
  maxNodes: 10_000,
  maxNodesReason:
    'building 10^5 nodes (a thousand supernodes with their sessions and children’s index) did not finish within 6 CPU-minutes on this machine; its experiments go up to 10^4',
  estimateSeconds: (w) => (0.1 + w.nodes / 160 + w.lookups / 2000) * (w.fail > 0 ? 2 : 1),
  async run(w, onProgress) {
    const { simulate } = await import('@p2pkit/fasttrack/scenarios');
    const wall0 = performance.now();
    const progress = phases(w.fail > 0 ? 2 : 1, onProgress);
    const flags = {
      nodes: w.nodes,
      queries: w.lookups,
      files: w.items,
      latency: w.latencyMs,
      seed: w.seed,
    };
    const base = {
      nodes: w.nodes,
      queries: w.lookups,
      files: w.items,
      latencyMs: w.latencyMs,
      seed: w.seed,
    };
    const r = await simulate({ ...base, onProgress: progress(0) });
    const row: Row = emptyRow('fasttrack', w, simCommand('fasttrack', flags));
    row.sim = r;
    row.memory = { entries: r.routingEntries.ordinary, bytes: r.routingBytes.ordinary };
    row.server = { entries: r.routingEntries.supernode, bytes: r.routingBytes.supernode };
    row.messagesPerLookup = r.messagesPerQuery + r.resultMessagesPerQuery;
    row.bytesPerLookup = r.bytesPerQuery;
    row.successRate = r.successRate;
    row.latencyMs = stat(r.latencyMs);
    const children = r.supernodeLoad.children;
    if (children.mean > 0) row.loadBalance = children.max / children.mean;
    row.notes.push(
      'server columns: state per supernode (sessions, cached supernodes and its children’s index)',
      'messages per lookup: QUERY, FORWARD and Results messages; bytes: every message of the query phase, per query',
      'load max/mean: children per supernode',
      'simulated ms: from a successful query to the answer at the asking node, once every supernode within the TTL answered; hops: not reported by sim fasttrack',
    );
    if (w.fail > 0) {
      const fflags = { ...flags, churn: w.fail };
      const f = await simulate({ ...base, churn: w.fail, onProgress: progress(1) });
      row.fault = {
        fail: w.fail,
        crashed: f.churn.crashed,
        success: f.successRate,
        wrong: null,
        afterRepair: null,
        command: simCommand('fasttrack', fflags),
      };
      row.notes.push(
        `fault phase: ${w.fail * 100} % of the supernodes (not of all nodes) crash during the queries; their children re-parent`,
        'after repair: no separate phase; the orphaned children re-parent while the queries run (sim fasttrack --churn), so the figures include that repair',
      );
    }
    row.wallMs = Math.round(performance.now() - wall0);
    return row;
  },
  summary(rows) {
    const msgs = rows
      .map((r) => `${Math.round(r.messagesPerLookup ?? 0)} at N = ${r.nodes}`)
      .join(', ');
    const sn = rows.map((r) => `${Math.round(r.server?.entries ?? 0)}`).join(' → ');
    return `FastTrack puts an index on one node in a hundred (the supernodes): an ordinary node asks its parent, which floods only the supernode layer, so a query reaches only the supernodes within its TTL: ${msgs} messages. A supernode holds its children's index and its links (${sn} entries over these N, with 1 % of the nodes as supernodes); an ordinary node keeps a session and a short supernode cache.`;
  },
};
