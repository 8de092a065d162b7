import type { Command } from 'commander';
import { fraction, integer } from '../options.js';
import { progressLines } from '../progress.js';

/**
 * `p2pkit sim fasttrack --nodes N --queries Q [--supernode-ratio r] [--churn rate]
 * [--freeriders f] [--seed s] --json` (issue 17): real FastTrack nodes in the simulator, the
 * same files and queries as `p2pkit sim gnutella` for the same seed. The JSON is a contract.
 */
export function registerSimFastTrack(sim: Command): void {
  sim
    .command('fasttrack')
    .description(
      'simulate a FastTrack network: supernodes indexing their children, queries forwarded among supernodes',
    )
    .requiredOption('--nodes <N>', 'nodes (supernodes included)', integer(2, 1_000_000))
    .option('--queries <Q>', 'queries to issue', integer(0, 10_000_000), 100)
    .option('--supernode-ratio <r>', 'fraction of nodes that are supernodes', fraction, 0.01)
    .option('--degree <d>', 'supernode links each supernode dials for', integer(1, 1000), 4)
    .option('--ttl <t>', 'supernode hops of a query (first included)', integer(1, 15), 3)
    .option('--churn <rate>', 'fraction of supernodes that crash during the queries', fraction, 0)
    .option('--freeriders <f>', 'fraction of ordinary nodes sharing nothing', fraction, 0)
    .option('--replication <r>', 'fraction of nodes holding each file', fraction, 0.01)
    .option('--files <F>', 'distinct files', integer(1, 10_000_000), 100)
    .option('--latency <ms>', 'mean one-way latency', integer(0, 100_000), 50)
    .option('--seed <s>', 'random seed', integer(0, 2 ** 32 - 1), 1)
    .option('--json', 'one JSON object on stdout')
    .action(
      async (options: {
        nodes: number;
        queries: number;
        supernodeRatio: number;
        degree: number;
        ttl: number;
        churn: number;
        freeriders: number;
        replication: number;
        files: number;
        latency: number;
        seed: number;
        json?: boolean;
      }) => {
        // Imported here: the simulator is only loaded by `p2pkit sim`.
        const { simulate } = await import('@p2pkit/fasttrack/scenarios');
        const result = await simulate({
          nodes: options.nodes,
          queries: options.queries,
          supernodeRatio: options.supernodeRatio,
          supernodeDegree: options.degree,
          ttl: options.ttl,
          churn: options.churn,
          freeriders: options.freeriders,
          replication: options.replication,
          files: options.files,
          latencyMs: options.latency,
          seed: options.seed,
          onProgress: progressLines('queries'),
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return;
        }
        const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
        const load = result.supernodeLoad;
        process.stdout.write(
          `${[
            `nodes              ${result.nodes} (${result.supernodes} supernodes + ${result.ordinary} ordinary, ${result.freeriders} free-riders), ttl ${result.ttl}`,
            `queries            ${result.queries} for ${result.files} files, replication ${result.replication}`,
            `messages/query     ${f(result.messagesPerQuery)} query+forward, ${f(result.resultMessagesPerQuery)} answers, all ${f(result.totalMessagesPerQuery)} (${f(result.bytesPerQuery)} bytes)`,
            `success            ${(result.successRate * 100).toFixed(1)}%, ${f(result.hitsPerQuery)} results/query from ${f(result.supernodesPerQuery)} supernodes`,
            `supernode load     children mean ${f(load.children.mean)} p99 ${f(load.children.p99)}; queries mean ${f(load.queries.mean)} p99 ${f(load.queries.p99)}`,
            `routing state      supernode ${f(result.routingEntries.supernode)} entries (${f(result.routingBytes.supernode)} B), ordinary ${f(result.routingEntries.ordinary)} (${f(result.routingBytes.ordinary)} B)`,
            `churn              ${result.churn.crashed} supernodes crashed, ${result.churn.reparents} re-parented, p50 ${f(result.reparentMs.p50)} ms p99 ${f(result.reparentMs.p99)} ms`,
            `simulated          ${(result.simulatedMs / 1000).toFixed(1)} s in ${(result.wallMs / 1000).toFixed(1)} s wall, seed ${result.seed}`,
          ].join('\n')}\n`,
        );
      },
    );
}
