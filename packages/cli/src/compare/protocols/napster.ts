/**
 * Napster in compare: `simulate` from @p2pkit/napster/scenarios, the function behind
 * `p2pkit sim napster`: one server, N clients sharing `items / N` files each, searches from
 * random clients, no downloads.
 */
import type { ProtocolAdapter, Row } from '../types.js';
import { emptyRow, phases, simCommand, stat } from './common.js';

/** sim napster's fixed one-way delay (it has no latency option). */
const NAPSTER_LATENCY_MS = 25;

export const napster: ProtocolAdapter = {
  name: 'napster',
  lecture: {
    memoryEntries: 'O(1)',
    serverEntries: 'O(N)',
    serverBytes: 'O(N)',
    hops: 'O(1)',
    latencyMs: 'O(1)',
    messagesPerLookup: 'O(1)',
    bytesPerLookup: 'O(1)',
  },
  minNodes: 1,
  maxNodes: 1_000_000,
  maxNodesReason: '',
  estimateSeconds: (w) => 0.5 + w.nodes / 1000 + w.lookups / 2000,
  async run(w, onProgress) {
    const { simulate } = await import('@p2pkit/napster/scenarios');
    const wall0 = performance.now();
    const progress = phases(1, onProgress);
    const filesPerClient = Math.max(1, Math.round(w.items / w.nodes));
    const flags = {
      clients: w.nodes,
      'files-per-client': filesPerClient,
      searches: w.lookups,
      downloads: 0,
      seed: w.seed,
    };
    const r = await simulate({
      clients: w.nodes,
      filesPerClient,
      searches: w.lookups,
      downloads: 0,
      seed: w.seed,
      onProgress: progress(0),
    });
    const row: Row = emptyRow('napster', w, simCommand('napster', flags));
    row.sim = r;
    row.hops = { mean: r.hops, p50: r.hops, p99: r.hops };
    row.latencyMs = stat(r.searchLatencyMs);
    row.messagesPerLookup = r.serverMessagesPerSearch;
    row.bytesPerLookup = r.serverBytesPerSearch;
    row.successRate = r.successRate;
    // A client's routing state is its one connection to the server, whatever N.
    row.memory.entries = 1;
    row.server = { entries: r.files, bytes: r.serverIndexBytes };
    row.notes.push(
      'client state: one server connection by construction; the index lives at the server',
      'fault tolerance: the server is a single point of failure; sim napster has no crash phase',
    );
    if (w.latencyMs !== NAPSTER_LATENCY_MS)
      row.notes.push(
        `latency: sim napster's fixed ${NAPSTER_LATENCY_MS} ms one-way, not ${w.latencyMs} ms`,
      );
    row.wallMs = Math.round(performance.now() - wall0);
    return row;
  },
  summary(rows) {
    const idx = rows
      .map((r) => `${Math.round((r.server?.bytes ?? 0) / 1024)} KiB at N = ${r.nodes}`)
      .join(', ');
    return `Napster answers every search at its central server in one round trip, whatever N; what grows is the server: its index holds every client's files (${idx}; a fixed part of the index's structures dominates while the index is small, which flattens the bytes' slope at small N), the O(N) state the lecture puts at the centre, and it is a single point of failure. A search is answered with every matching file, so its messages and bytes grow with the number of matches, not with the hops.`;
  },
};
