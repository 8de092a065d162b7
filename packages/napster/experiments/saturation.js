/**
 * Search latency as the offered load grows, until the server saturates: one server process
 * and one load-generator process over loopback TCP (the benchmark's), searches sent open-loop
 * at each rate in turn, once per pipeline depth (1: every search its own write; k: each
 * client sends k searches at once).
 */
import { loadNow } from '@p2pkit/report';
import { child } from '../bench/processes.js';

export async function saturation({ clients, files, rates, seconds, pipelines = [1], onStep }) {
  const server = child('server.js', files, ['--expose-gc']);
  const { port } = await server.next('listening');
  const generator = child('load.js', files, ['--max-old-space-size=4096']);
  await generator.next('ready');
  try {
    await generator.ask({ type: 'connect', port, clients, files }, 'connected');
    for (;;) {
      const { stats } = await server.ask({ type: 'stats' }, 'stats');
      if (stats.files >= clients * files * 0.99) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const rows = [];
    for (const pipeline of pipelines) {
      for (const rate of rates) {
        const load = loadNow();
        const before = await server.ask({ type: 'stats' }, 'stats');
        const s = await generator.ask(
          { type: 'search', rate, seconds, warmup: 0.5, pipeline },
          'searched',
        );
        const after = await server.ask({ type: 'stats' }, 'stats');
        const cpuMs =
          (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
        // The server's CPU covers the warm-up too: divide by every search it answered.
        const answered = after.stats.searches - before.stats.searches;
        const row = {
          pipeline,
          offered: rate,
          loadAverage: load,
          completedPerSecond: s.searchesPerSecond,
          p50: s.latencyMs.p50,
          p99: s.latencyMs.p99,
          meanResults: s.meanResults,
          serverCpuUsPerSearch: (cpuMs / Math.max(1, answered)) * 1000,
          generatorCpuUsPerSearch: (s.generatorCpuMs / Math.max(1, s.completed)) * 1000,
        };
        rows.push(row);
        onStep?.(row);
        // Let a saturated server drain before the next rate.
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    return rows;
  } finally {
    generator.proc.send({ type: 'stop' });
    server.proc.send({ type: 'stop' });
  }
}
