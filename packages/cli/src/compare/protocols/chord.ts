/**
 * Chord in compare: `simulate` from @p2pkit/chord/scenarios, the function behind
 * `p2pkit sim chord`, once for the base figures (a static ring, keys placed, recursive
 * lookups), once with `--fail` (a frozen ring after a mass crash, iterative lookups with
 * timeouts, ToN Table II).
 */
import type { ProtocolAdapter, Row } from '../types.js';
import { emptyRow, phases, simCommand, stat } from './common.js';

export const chord: ProtocolAdapter = {
  name: 'chord',
  lecture: {
    memoryEntries: 'O(log N)',
    memoryBytes: 'O(log N)',
    hops: 'O(log N)',
    latencyMs: 'O(log N)',
    messagesPerLookup: 'O(log N)',
    bytesPerLookup: 'O(log N)',
  },
  minNodes: 2,
  maxNodes: 1_000_000,
  maxNodesReason: '',
  estimateSeconds: (w) =>
    0.1 + w.nodes / 8000 + w.lookups / 4000 + (w.fail > 0 ? w.nodes / 8000 : 0),
  async run(w, onProgress) {
    const { simulate } = await import('@p2pkit/chord/scenarios');
    const wall0 = performance.now();
    const progress = phases(w.fail > 0 ? 2 : 1, onProgress);
    const flags = {
      nodes: w.nodes,
      lookups: w.lookups,
      keys: w.items,
      latency: w.latencyMs,
      seed: w.seed,
    };
    const r = await simulate({
      nodes: w.nodes,
      lookups: w.lookups,
      keys: w.items,
      latencyMs: w.latencyMs,
      seed: w.seed,
      onProgress: progress(0),
    });
    const row: Row = emptyRow('chord', w, simCommand('chord', flags));
    row.sim = r;
    row.hops = stat(r.hops);
    row.latencyMs = stat(r.latencyMs);
    row.successRate = (r.lookups - r.failedLookups - r.wrongOwner) / Math.max(1, r.lookups);
    if (r.keysPerNode && r.keysPerNode.mean > 0)
      row.loadBalance = r.keysPerNode.max / r.keysPerNode.mean;
    row.memory = { entries: r.state.entries, bytes: r.state.bytes };
    row.messagesPerLookup = r.messagesPerLookup;
    row.bytesPerLookup = r.bytesPerLookup;
    row.notes.push(
      'latency model: exponential one-way delays with the workload’s mean (sim chord --latency); ms from a lookup’s start to the answer at the origin',
      'maintenance: the static ring runs no stabilization; sim chord --churn reports no bytes',
    );
    if (w.fail > 0) {
      const fflags = { nodes: w.nodes, lookups: w.lookups, fail: w.fail, seed: w.seed };
      const f = await simulate({ ...fflags, onProgress: progress(1) });
      const judged = Math.max(1, f.lookups);
      row.fault = {
        fail: w.fail,
        crashed: f.failed ?? 0,
        success: (f.lookups - f.failedLookups - f.wrongOwner) / judged,
        wrong: f.wrongOwner / judged,
        afterRepair: null,
        command: simCommand('chord', fflags),
      };
      row.notes.push(
        'after repair: none; sim chord --fail measures a frozen ring (ToN Table II): no stabilization runs between the crash and the lookups',
      );
    }
    row.wallMs = Math.round(performance.now() - wall0);
    return row;
  },
  summary(rows) {
    const hops = rows.map((r) => `${r.hops?.mean.toFixed(2)} at N = ${r.nodes}`).join(', ');
    return `Chord routes through fingers that halve the remaining distance, so a lookup takes about ½·log2 N hops: ${hops}. Each node keeps O(log N) distinct fingers plus a successor list; with a fraction of the nodes crashed and the ring frozen, iterative lookups still reach the live successor by timing out dead entries.`;
  },
};
