/**
 * Pastry in compare: `simulate` from @p2pkit/pastry/scenarios, the function behind
 * `p2pkit sim pastry`: random keys over an overlay built from an oracle, once more with
 * `--fail`, and (where N is small enough for real joins) with `--locality` for the route
 * latency over the direct latency.
 */
import type { ProtocolAdapter, Row } from '../types.js';
import { emptyRow, phases, simCommand, stat } from './common.js';

/** Largest N for the locality phase: it builds the overlay by N real joins. */
const LOCALITY_MAX_NODES = 1000;

export const pastry: ProtocolAdapter = {
  name: 'pastry',
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
    0.2 +
    w.nodes / 4000 +
    (w.fail > 0 ? w.nodes / 4000 : 0) +
    (w.locality && w.nodes <= LOCALITY_MAX_NODES ? w.nodes ** 1.3 / 1100 : 0),
  async run(w, onProgress) {
    const { simulate } = await import('@p2pkit/pastry/scenarios');
    const wall0 = performance.now();
    const locality = w.locality && w.nodes <= LOCALITY_MAX_NODES;
    const progress = phases(1 + (w.fail > 0 ? 1 : 0) + (locality ? 1 : 0), onProgress);
    const flags = {
      nodes: w.nodes,
      lookups: w.lookups,
      keys: 'random',
      latency: w.latencyMs,
      seed: w.seed,
    };
    const r = await simulate({ ...flags, onProgress: progress(0) });
    const row: Row = emptyRow('pastry', w, simCommand('pastry', flags));
    row.sim = r;
    row.hops = stat(r.hops);
    row.latencyMs = stat(r.latencyMs);
    row.successRate = (r.lookups - r.failedLookups - r.misdeliveries) / Math.max(1, r.lookups);
    // The lecture's routing state: the routing table's entries plus the leaf set.
    row.memory = { entries: r.state.tableEntries + r.state.leafSet, bytes: r.state.bytes };
    row.messagesPerLookup = r.messagesPerLookup;
    row.bytesPerLookup = r.bytesPerLookup;
    row.notes.push(
      'latency model: a constant one-way delay (sim pastry --latency); ms from a lookup’s start to its answer at the origin',
      'maintenance: sim pastry runs without maintenance traffic',
    );
    let phase = 1;
    if (w.fail > 0) {
      const fflags = {
        nodes: w.nodes,
        lookups: w.lookups,
        keys: 'random',
        fail: w.fail,
        seed: w.seed,
      };
      const f = await simulate({ ...fflags, onProgress: progress(phase++) });
      const judged = Math.max(1, f.lookups);
      row.fault = {
        fail: w.fail,
        crashed: f.failed ?? 0,
        success: (f.lookups - f.failedLookups - f.misdeliveries) / judged,
        wrong: f.misdeliveries / judged,
        afterRepair: null,
        command: simCommand('pastry', fflags),
      };
      row.notes.push(
        'after repair: no separate phase; sim pastry --fail repairs lazily during the lookups themselves (a dead next hop is replaced and the message rerouted), so its figures already include that repair',
      );
    }
    if (locality) {
      const lflags = {
        nodes: w.nodes,
        lookups: w.lookups,
        keys: 'random',
        locality: true,
        seed: w.seed,
      };
      const l = await simulate({ ...lflags, onProgress: progress(phase++) });
      // sim pastry's relativeDistance is already route latency / direct latency (1 is the best).
      if (l.relativeDistance !== undefined) row.locality = l.relativeDistance;
    } else if (w.locality) {
      row.notes.push(`locality: measured up to N = ${LOCALITY_MAX_NODES} (it needs N real joins)`);
    }
    row.wallMs = Math.round(performance.now() - wall0);
    return row;
  },
  summary(rows) {
    const hops = rows.map((r) => `${r.hops?.mean.toFixed(2)} at N = ${r.nodes}`).join(', ');
    return `Pastry resolves one hexadecimal digit (b = 4) per hop, so a lookup takes at most ⌈log16 N⌉ hops: ${hops}. Its state is a routing table of (2^b − 1) entries per filled row plus a 16-node leaf set; proximity-aware joins keep the route latency a small multiple of the direct latency.`;
  },
};
