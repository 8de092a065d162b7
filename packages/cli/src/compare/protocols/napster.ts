/**
 * Napster in compare: `simulate` from @p2pkit/napster/scenarios, the function behind
 * `p2pkit sim napster`: one server, N clients sharing `items / N` files each, searches from
 * random clients, no downloads.
 */
import type { ProtocolAdapter, Row } from '../types.js';
import { emptyRow, phases, simCommand, stat } from './common.js';

export const napster: ProtocolAdapter = {
  name: 'napster',
  lecture: {
    memoryEntries: 'O(1)',
    memoryBytes: 'O(1)',
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
  estimateSeconds: (w) => 0.2 + w.nodes / 2200 + w.lookups / 2000,
  async run(w, onProgress) {
    const { simulate } = await import('@p2pkit/napster/scenarios');
    const wall0 = performance.now();
    const progress = phases(w.fail > 0 ? 2 : 1, onProgress);
    const filesPerClient = Math.max(1, Math.round(w.items / w.nodes));
    const flags = {
      clients: w.nodes,
      'files-per-client': filesPerClient,
      searches: w.lookups,
      downloads: 0,
      latency: w.latencyMs,
      seed: w.seed,
    };
    const base = {
      clients: w.nodes,
      filesPerClient,
      searches: w.lookups,
      downloads: 0,
      latencyMs: w.latencyMs,
      seed: w.seed,
    };
    const r = await simulate({ ...base, onProgress: progress(0) });
    const row: Row = emptyRow('napster', w, simCommand('napster', flags));
    row.sim = r;
    row.hops = { mean: r.hops, p50: r.hops, p99: r.hops };
    row.latencyMs = stat(r.searchLatencyMs);
    row.messagesPerLookup = r.serverMessagesPerSearch;
    row.bytesPerLookup = r.serverBytesPerSearch;
    row.successRate = r.successRate;
    // A client's routing state is its one connection to the server, whatever N.
    row.memory = { entries: r.memoryPerNode.entries, bytes: r.memoryPerNode.bytes };
    row.server = { entries: r.files, bytes: r.serverIndexBytes };
    row.notes.push(
      'client state: one server connection by construction; the index lives at the server',
      'fault phase: clients crash after sharing (the server drops their files); the server itself is a single point of failure',
    );
    if (w.fail > 0) {
      const fflags = { ...flags, fail: w.fail };
      const f = await simulate({ ...base, fail: w.fail, onProgress: progress(1) });
      row.notes.push(
        'after repair: no repair phase; the server drops a crashed client’s files when its connection closes, before the searches',
      );
      row.fault = {
        fail: w.fail,
        crashed: f.crashed,
        success: f.successRate,
        wrong: null,
        afterRepair: null,
        command: simCommand('napster', fflags),
      };
    }
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
