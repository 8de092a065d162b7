import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { choice, fraction, integer, positive } from '../options.js';

/**
 * `p2pkit sim kelips --nodes <N> [--lookups <L>] [--files <F>] [--groups <k>] [--fail <f>
 * [--after-repair]] [--churn <rate>] [--build oracle|join] [--place insert|oracle] [--seed <s>] [--json]`
 *
 * The JSON is a contract (issue 16): nodes, groups, lookups, hops {mean, p50, p99, max},
 * successRate, failedLookups, memoryPerNode {entries, bytes}, gossipBytesPerNodePerSec,
 * simulatedMs, wallMs, seed, and more (routingPerNode, filesPerNode, messagesPerLookup,
 * bytesPerLookup, churn.backgroundBytesPerNodePerSec, afterRepair).
 */
export function registerSimKelips(sim: Command): void {
  sim
    .command('kelips')
    .description(
      'simulate a Kelips system: lookups judged against an oracle, memory, gossip bandwidth, failures or churn',
    )
    .requiredOption('--nodes <N>', 'nodes', integer(1, 1_000_000))
    .option('--lookups <L>', 'lookups to run', integer(0, 100_000_000), 1000)
    .option(
      '--files <F>',
      'files inserted before the lookups (default: one per node)',
      integer(0, 100_000_000),
    )
    .option('--groups <k>', 'affinity groups (default ⌈√N⌉)', integer(1, 65535))
    .option(
      '--fail <fraction>',
      'fraction of nodes that crash at once just before the lookups (retries allowed)',
      fraction,
    )
    .option(
      '--after-repair',
      'with --fail: once the crashed nodes have timed out everywhere, run the lookups again',
    )
    .option('--churn <rate>', 'joins and failures per simulated second, each', positive)
    .option(
      '--build <how>',
      'complete soft state from an oracle (oracle) or real joins through one introducer (join)',
      choice(['oracle', 'join']),
      'oracle',
    )
    .option(
      '--place <how>',
      'files placed by real inserts through contacts (insert) or directly (oracle)',
      choice(['insert', 'oracle']),
      'insert',
    )
    .option(
      '--latency <ms>',
      'constant one-way delay (default: hosts in a plane, mean RTT ≈ 106 ms)',
      integer(0, 10_000),
    )
    .option('--seed <s>', 'random seed', integer(0, 2 ** 32 - 1), 1)
    .option('--json', 'one JSON object on stdout')
    .action(
      async (options: {
        nodes: number;
        lookups: number;
        files?: number;
        groups?: number;
        fail?: number;
        churn?: number;
        afterRepair?: boolean;
        build: 'oracle' | 'join';
        place: 'insert' | 'oracle';
        latency?: number;
        seed: number;
        json?: boolean;
      }) => {
        if (options.afterRepair && options.fail === undefined) {
          throw new Error('--after-repair measures the repair after a --fail: give --fail too');
        }
        // Imported here: the simulator is only loaded by `p2pkit sim`.
        const { simulate } = await import('@p2pkit/kelips/scenarios');
        const tty = process.stderr.isTTY === true;
        const bar = tty
          ? new SingleBar({ format: 'lookups [{bar}] {percentage}% {value}/{total} eta {eta}s' })
          : undefined;
        const wall = performance.now();
        let shown = false;
        let lastLine = 0;
        const result = await simulate({
          nodes: options.nodes,
          lookups: options.lookups,
          seed: options.seed,
          build: options.build,
          place: options.place,
          ...(options.files !== undefined ? { files: options.files } : {}),
          ...(options.groups !== undefined ? { groups: options.groups } : {}),
          ...(options.fail !== undefined ? { fail: options.fail } : {}),
          ...(options.churn !== undefined ? { churn: options.churn } : {}),
          ...(options.afterRepair ? { afterRepair: true } : {}),
          ...(options.latency !== undefined ? { latencyMs: options.latency } : {}),
          onProgress: (done, total) => {
            const elapsed = performance.now() - wall;
            if (elapsed < 2000) return; // progress only for runs longer than a few seconds
            if (bar) {
              if (!shown) bar.start(total, done);
              shown = true;
              bar.update(done);
            } else if (elapsed - lastLine >= 5000) {
              lastLine = elapsed;
              process.stderr.write(`lookups ${done}/${total}\n`);
            }
          },
        });
        if (shown) bar?.stop();
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return;
        }
        const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
        const h = result.hops;
        const m = result.memoryPerNode;
        const lines = [
          `nodes          ${result.nodes} in k=${result.groups} affinity groups, ${result.files} files`,
          `lookups        ${result.lookups}`,
          `hops           mean ${f(h.mean)}  p50 ${f(h.p50)}  p99 ${f(h.p99)}  max ${f(h.max)}`,
          `latency        mean ${f(result.latencyMs.mean)} ms  p50 ${f(result.latencyMs.p50)} ms  p99 ${f(result.latencyMs.p99)} ms`,
          `success        ${(result.successRate * 100).toFixed(2)} % (${result.failedLookups} failed, ${result.wrongHome} wrong home, ${result.homeCrashed} with a crashed home)`,
          `memory/node    ${f(m.entries)} entries (view ${f(m.view)}, contacts ${f(m.contacts)}, filetuples ${f(m.tuples)}), ${f(m.bytes)} B at the paper's sizes`,
          `routing/node   ${f(result.routingPerNode.entries)} entries (view and contacts), ${f(result.routingPerNode.bytes)} B`,
          `files/node     mean ${f(result.filesPerNode.mean)}  max ${result.filesPerNode.max}`,
          `per lookup     ${f(result.messagesPerLookup)} messages, ${f(result.bytesPerLookup)} B`,
          `gossip         ${f(result.gossipBytesPerNodePerSec)} B/s per node at rest`,
        ];
        if (result.failed !== undefined) lines.push(`failed nodes   ${result.failed}`);
        const a = result.afterRepair;
        if (a !== undefined) {
          lines.push(
            `after repair   ${(a.successRate * 100).toFixed(2)} % (${a.failedLookups} failed, ${a.wrongHome} wrong home) after ${a.repairMs} ms, hops p50 ${f(a.hops.p50)}`,
          );
        }
        if (result.churn) {
          lines.push(
            `churn          ${result.churn.joins} joins, ${result.churn.failures} failures, ${f(result.churn.backgroundBytesPerNodePerSec)} B/s per node of background traffic`,
          );
        }
        lines.push(
          `simulated      ${result.simulatedMs} ms of lookups`,
          `wall           ${result.wallMs} ms, seed ${result.seed}`,
        );
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    );
}
