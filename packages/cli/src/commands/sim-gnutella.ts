import type { Command } from 'commander';
import { fraction, integer } from '../options.js';
import { progressLines } from '../progress.js';
import { simCommand } from './sim.js';

/**
 * `p2pkit sim gnutella --nodes N --degree d --ttl t --queries Q [--ultrapeers f] [--replication r] [--seed s] --json`
 * (issue 13): real servents in the simulator; the JSON is a contract.
 */
export function registerSimGnutella(program: Command): void {
  simCommand(program)
    .command('gnutella')
    .description(
      'simulate a Gnutella network: flooding (or ultrapeers + QRP), queries for replicated files',
    )
    .requiredOption('--nodes <N>', 'servents', integer(2, 1_000_000))
    .option('--degree <d>', 'average peer connections per (ultra)peer', integer(1, 1000), 4)
    .option('--ttl <t>', 'query TTL', integer(1, 15), 4)
    .option('--queries <Q>', 'queries to issue', integer(0, 10_000_000), 100)
    .option('--ultrapeers <f>', 'fraction of ultrapeers (0: flat network of peers)', fraction, 0)
    .option('--replication <r>', 'fraction of servents holding each file', fraction, 0.01)
    .option('--files <F>', 'distinct files', integer(1, 10_000_000), 100)
    .option('--latency <ms>', 'mean one-way latency', integer(0, 100_000), 50)
    .option(
      '--ping-interval <ms>',
      'ping interval per servent (0: no pings)',
      integer(0, 3_600_000),
      3000,
    )
    .option(
      '--no-pong-caching',
      'flood pings as Gnutella 0.4 did, instead of answering from a cache',
    )
    .option(
      '--no-ultrapeer-qrp',
      'ultrapeers do not exchange last-hop QRP tables (X-Ultrapeer-Query-Routing)',
    )
    .option('--seed <s>', 'random seed', integer(0, 2 ** 32 - 1), 1)
    .option('--json', 'one JSON object on stdout')
    .action(
      async (options: {
        nodes: number;
        degree: number;
        ttl: number;
        queries: number;
        ultrapeers: number;
        replication: number;
        files: number;
        latency: number;
        pingInterval: number;
        pongCaching: boolean;
        ultrapeerQrp: boolean;
        seed: number;
        json?: boolean;
      }) => {
        // Imported here: the simulator is only loaded by `p2pkit sim`.
        const { simulate } = await import('@p2pkit/gnutella/scenarios');
        const result = await simulate({
          nodes: options.nodes,
          degree: options.degree,
          ttl: options.ttl,
          queries: options.queries,
          ultrapeers: options.ultrapeers,
          replication: options.replication,
          files: options.files,
          latencyMs: options.latency,
          pingIntervalMs: options.pingInterval,
          pongCaching: options.pongCaching,
          ultrapeerQueryRouting: options.ultrapeerQrp,
          seed: options.seed,
          onProgress: progressLines('queries'),
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return;
        }
        const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
        const shape =
          result.ultrapeers > 0
            ? `${result.ultrapeers} ultrapeers + ${result.leaves} leaves`
            : 'flat';
        process.stdout.write(
          `${[
            `nodes              ${result.nodes} (${shape}), degree ${result.degree}, ttl ${result.ttl}`,
            `queries            ${result.queries} for ${result.files} files, replication ${result.replication}`,
            `messages/query     ${f(result.messagesPerQuery)} (flood bound ${f(result.floodBound)}), hits ${f(result.hitMessagesPerQuery)}, all ${f(result.totalMessagesPerQuery)}`,
            `success            ${(result.successRate * 100).toFixed(1)}%, ${f(result.hitsPerQuery)} results/query`,
            `ping/pong share    ${(result.pingPongShare * 100).toFixed(1)}% (pong caching ${result.pongCaching ? 'on' : 'off'})`,
            `query load         mean ${f(result.queryLoad.mean)} p50 ${f(result.queryLoad.p50)} p99 ${f(result.queryLoad.p99)} max ${f(result.queryLoad.max)} per servent`,
            `simulated          ${(result.simulatedMs / 1000).toFixed(1)} s in ${(result.wallMs / 1000).toFixed(1)} s wall, seed ${result.seed}`,
          ].join('\n')}\n`,
        );
      },
    );
}
