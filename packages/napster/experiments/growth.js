/**
 * "The server is the problem", in the simulator: N clients, each sharing 100 files and
 * searching once every 2 s. What the server holds and handles grows with N; what a search costs
 * does not. Deterministic (one seed per N).
 */
import { simulate } from '../dist/scenarios/index.js';

export async function growth({ sizes, filesPerClient = 100, seed = 1, onStep }) {
  const rows = [];
  for (const clients of sizes) {
    const perClientRate = 0.5; // searches per second per client
    const searches = clients * 5;
    const r = await simulate({
      clients,
      filesPerClient,
      searches,
      downloads: 0,
      searchRate: clients * perClientRate,
      seed,
    });
    const row = {
      clients,
      files: r.files,
      searches,
      indexBytes: r.serverIndexBytes,
      indexBytesPerFile: r.serverIndexBytesPerFile,
      messagesPerSearch: r.serverMessagesPerSearch,
      bytesPerSearch: r.serverBytesPerSearch,
      // The server's load at this size: every client's searches, and their answers.
      serverMessagesPerSecond: r.serverMessagesPerSearch * clients * perClientRate,
      serverBytesPerSecond: r.serverBytesPerSearch * clients * perClientRate,
      meanResults: r.meanResults,
      successRate: r.successRate,
      latencyP50: r.searchLatencyMs.p50,
      latencyP99: r.searchLatencyMs.p99,
      wallMs: r.wallMs,
    };
    rows.push(row);
    onStep?.(row);
  }
  return rows;
}
