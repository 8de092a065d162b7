import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { fraction, integer } from '../options.js';

/**
 * `p2pkit sim napster --clients N --files-per-client f --searches Q [--downloads d]
 * [--firewalled fraction] [--seed s] [--json]`: a server and N clients in the simulator. The
 * JSON fields are a contract (issue 14): clients, files, searches, successRate,
 * serverMessagesPerSearch, serverIndexBytes, simulatedMs, wallMs, and the rest of the run.
 */
export function registerSimNapster(sim: Command): void {
  sim
    .command('napster')
    .description('simulate a Napster server and its clients: searches, then peer-to-peer downloads')
    .requiredOption('--clients <N>', 'connected clients', integer(1, 1_000_000))
    .option('--files-per-client <f>', 'files each client shares', integer(0, 100_000), 100)
    .option('--searches <Q>', 'searches from random clients', integer(0, 100_000_000), 1000)
    .option('--downloads <d>', 'peer-to-peer downloads after the searches', integer(0, 100_000), 10)
    .option('--firewalled <fraction>', 'fraction of clients behind a firewall', fraction, 0.25)
    .option('--fail <fraction>', 'fraction of clients that crash before the searches', fraction)
    .option('--latency <ms>', 'one-way delay of every link', integer(0, 60_000), 25)
    .option('--seed <s>', 'random seed', integer(0, 2 ** 32 - 1), 1)
    .option('--json', 'one JSON object on stdout')
    .action(
      async (options: {
        clients: number;
        filesPerClient: number;
        searches: number;
        downloads: number;
        firewalled: number;
        fail?: number;
        latency: number;
        seed: number;
        json?: boolean;
      }) => {
        // Imported here: the simulator is only loaded by `p2pkit sim`.
        const { simulate } = await import('@p2pkit/napster/scenarios');
        const tty = process.stderr.isTTY;
        const bar = tty
          ? new SingleBar({
              format: 'searches [{bar}] {percentage}% {value}/{total}',
              stream: process.stderr,
            })
          : undefined;
        let lastLine = 0;
        let started = false;
        try {
          const result = await simulate({
            clients: options.clients,
            filesPerClient: options.filesPerClient,
            searches: options.searches,
            downloads: options.downloads,
            firewalled: options.firewalled,
            latencyMs: options.latency,
            ...(options.fail !== undefined ? { fail: options.fail } : {}),
            seed: options.seed,
            onProgress: (done, total) => {
              if (bar) {
                if (!started) bar.start(total, done);
                else bar.update(done);
                started = true;
              } else if (performance.now() - lastLine > 5000 || done === total) {
                lastLine = performance.now();
                process.stderr.write(`p2pkit sim napster: ${done}/${total} searches\n`);
              }
            },
          });
          bar?.stop();
          if (options.json) {
            process.stdout.write(`${JSON.stringify(result)}\n`);
            return;
          }
          const l = result.searchLatencyMs;
          const d = result.downloads;
          process.stdout.write(
            `${[
              `Napster: ${result.clients} clients sharing ${result.files} files, ${result.searches} searches (seed ${result.seed})`,
              ...(result.crashed > 0
                ? [
                    `crashed before the searches: ${result.crashed} clients (${result.files - result.filesAfterCrash} files left the index)`,
                  ]
                : []),
              `found something: ${(result.successRate * 100).toFixed(1)} %, ${result.meanResults.toFixed(1)} results per search`,
              `search latency (ms): p50 ${l.p50.toFixed(1)}  p99 ${l.p99.toFixed(1)}  max ${l.max.toFixed(1)}; 1 hop (client to server)`,
              `server: ${result.serverMessagesPerSearch.toFixed(1)} messages and ${Math.round(result.serverBytesPerSearch)} bytes per search, index ${(result.serverIndexBytes / 1024 / 1024).toFixed(1)} MiB (${Math.round(result.serverIndexBytesPerFile)} bytes per file)`,
              `downloads: ${d.completed} of ${d.requested} completed (${d.pushed} pushed by firewalled uploaders), ${(d.bytes / 1024 / 1024).toFixed(1)} MiB`,
              `simulator: ${result.events} events, ${(result.simulatedMs / 1000).toFixed(1)} s virtual, ${(result.wallMs / 1000).toFixed(1)} s wall`,
            ].join('\n')}\n`,
          );
        } finally {
          bar?.stop();
        }
      },
    );
}
