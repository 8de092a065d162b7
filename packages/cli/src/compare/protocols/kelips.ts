/**
 * Kelips in compare: `simulate` from @p2pkit/kelips/scenarios, the function behind
 * `p2pkit sim kelips`: √N affinity groups, one file per item inserted by real inserts, gossip
 * settled, background traffic at rest measured, then lookups; once more with `--fail`, and
 * with `--churn` for lookups while nodes come and go.
 */
import type { ProtocolAdapter, Row } from '../types.js';
import { emptyRow, phases, simCommand, stat } from './common.js';

export const kelips: ProtocolAdapter = {
  name: 'kelips',
  lecture: {
    memoryEntries: 'O(√N)',
    memoryBytes: 'O(√N)',
    hops: 'O(1)',
    latencyMs: 'O(1)',
    messagesPerLookup: 'O(1)',
    bytesPerLookup: 'O(1)',
  },
  minNodes: 1,
  // Every node gossips to O(√N) others every round: 10^5 nodes is about 10^9 datagrams for
  // the settle rounds alone.
  maxNodes: 20_000,
  maxNodesReason:
    'every node gossips its O(√N) soft state each round; settling 10^5 nodes takes about 10^9 simulated datagrams (hours on this machine)',
  estimateSeconds: (w) =>
    (0.1 + w.nodes ** 1.3 / 560) * (1 + (w.fail > 0 ? 1 : 0) + (w.churn > 0 ? 1 : 0)),
  async run(w, onProgress) {
    const { simulate } = await import('@p2pkit/kelips/scenarios');
    const wall0 = performance.now();
    const progress = phases(1 + (w.fail > 0 ? 1 : 0) + (w.churn > 0 ? 1 : 0), onProgress);
    const flags = {
      nodes: w.nodes,
      lookups: w.lookups,
      files: w.items,
      latency: w.latencyMs,
      seed: w.seed,
    };
    const base = {
      nodes: w.nodes,
      lookups: w.lookups,
      files: w.items,
      latencyMs: w.latencyMs,
      seed: w.seed,
    };
    const r = await simulate({ ...base, onProgress: progress(0) });
    const row: Row = emptyRow('kelips', w, simCommand('kelips', flags));
    row.sim = r;
    row.hops = stat(r.hops);
    row.latencyMs = stat(r.latencyMs);
    row.messagesPerLookup = r.messagesPerLookup;
    row.bytesPerLookup = r.bytesPerLookup;
    row.successRate = r.successRate;
    row.memory = { entries: r.memoryPerNode.entries, bytes: r.memoryPerNode.bytes };
    row.maintenance.atRest = r.gossipBytesPerNodePerSec;
    if (r.filesPerNode.mean > 0) row.loadBalance = r.filesPerNode.max / r.filesPerNode.mean;
    row.notes.push(
      'load max/mean: files stored per home node',
      'locality: with a constant delay every route is as long as its hops (sim kelips --latency)',
    );
    let phase = 1;
    if (w.fail > 0) {
      const fflags = { ...flags, fail: w.fail, 'after-repair': true };
      const f = await simulate({
        ...base,
        fail: w.fail,
        afterRepair: true,
        onProgress: progress(phase++),
      });
      const judged = Math.max(1, f.lookups - f.homeCrashed);
      const repaired = f.afterRepair;
      row.fault = {
        fail: w.fail,
        crashed: f.failed ?? 0,
        success: f.successRate,
        wrong: f.wrongHome / judged,
        afterRepair: repaired
          ? {
              success: repaired.successRate,
              wrong: repaired.wrongHome / Math.max(1, f.lookups - repaired.homeCrashed),
            }
          : null,
        command: simCommand('kelips', fflags),
      };
      if (repaired)
        row.notes.push(
          `after repair: the same lookups again once the crashed nodes' entries timed out everywhere (${(repaired.repairMs / 1000).toFixed(0)} simulated s: the contact timeout and 5 gossip rounds)`,
        );
    }
    if (w.churn > 0) {
      const c = await simulate({ ...base, churn: w.churn, onProgress: progress(phase++) });
      if (c.churn) row.maintenance.underChurn = c.churn.backgroundBytesPerNodePerSec;
      row.notes.push(`under churn (${w.churn}/s): success ${(c.successRate * 100).toFixed(1)} %`);
    }
    row.wallMs = Math.round(performance.now() - wall0);
    return row;
  },
  summary(rows) {
    const hops = rows.map((r) => `${r.hops?.mean.toFixed(2)} at N = ${r.nodes}`).join(', ');
    const mem = rows.map((r) => `${Math.round(r.memory.entries ?? 0)}`).join(' → ');
    return `Kelips answers a lookup from a contact in the file's affinity group, in one hop whatever N: ${hops}. The price is soft state of O(√N) entries per node (${mem} entries over these N), kept fresh by a constant gossip bandwidth per node.`;
  },
};
