import { type Command, InvalidArgumentError, Option } from 'commander';
import { choice, duration, fraction, integer } from '../options.js';
import { createReporter } from '../progress.js';
import { untilSignal } from '../signals.js';

/** An even leaf-set size. */
function leafSetSize(text: string): number {
  const n = integer(2, 64)(text);
  if (n % 2 !== 0) throw new InvalidArgumentError('expected an even integer in 2..64');
  return n;
}

interface SimPastryOptions {
  nodes: number;
  lookups: number;
  fail?: number;
  locality?: boolean;
  seed: number;
  build?: 'oracle' | 'join';
  tableRounds?: number;
  keys: 'node' | 'random';
  b: number;
  leafSet: number;
  latency?: number;
  json?: boolean;
  quiet?: boolean;
  progressInterval: number;
}

/**
 * `p2pkit sim pastry --nodes <N> --lookups <L> [--fail <f>] [--locality] [--seed <s>] [--json]`:
 * routes judged against an oracle; the JSON fields are a contract (issue 15) that `p2pkit
 * compare` reads too.
 */
export function registerSimPastry(sim: Command): void {
  sim
    .command('pastry')
    .description('simulate a Pastry overlay: lookups judged against an oracle, failures, locality')
    .requiredOption('--nodes <N>', 'nodes', integer(2, 1_000_000))
    .option('--lookups <L>', 'lookups to run', integer(0, 100_000_000), 1000)
    .option('--fail <fraction>', 'fraction of nodes that crash before the lookups', fraction)
    .option(
      '--locality',
      'hosts in a plane, proximity-aware joins (then 3 routing-table maintenance rounds), report route/direct latency',
    )
    .option('--seed <s>', 'random seed', integer(0, 2 ** 32 - 1), 1)
    .option(
      '--build <how>',
      'oracle (tables computed) or join (real joins; default with --locality)',
      choice(['oracle', 'join']),
    )
    .option(
      '--table-rounds <n>',
      'routing-table maintenance rounds after the joins (default 3 with --locality, else 0)',
      integer(0, 100),
    )
    .option(
      '--keys <kind>',
      "lookup keys: 'node' (a live node's id) or 'random'",
      choice(['node', 'random']),
      'node',
    )
    .option('--b <bits>', 'bits per digit', integer(1, 6), 4)
    .option('--leaf-set <n>', 'leaf set size |L| (even)', leafSetSize, 16)
    .option(
      '--latency <ms>',
      'one-way delay of every datagram, simulated ms (default 0; 10 with --fail or joins; the plane with --locality)',
      integer(0, 10_000),
    )
    .option('--json', 'one JSON object on stdout')
    .option('-q, --quiet', 'no progress on stderr')
    .addOption(
      new Option(
        '--progress-interval <duration>',
        'one progress line this often when stderr is not a terminal',
      )
        .argParser(duration('s'))
        .default(5000, '5s'),
    )
    .action(async (options: SimPastryOptions) => {
      if (options.fail !== undefined && Math.floor(options.nodes * (1 - options.fail)) < 2) {
        throw new Error(
          `--fail ${options.fail} leaves fewer than 2 of ${options.nodes} nodes alive`,
        );
      }
      // Imported here: the simulator is only loaded by `p2pkit sim`.
      const { simulate } = await import('@p2pkit/pastry/scenarios');
      const progress = progressReporter(options);
      // Ctrl-C: one line and exit 130 (a simulation holds no file or socket to release). The
      // progress callbacks yield to the event loop, where the signal is seen. Tables built from
      // an oracle are built in one synchronous stretch: until the lookups start, Ctrl-C keeps
      // its default (the process ends at once) rather than waiting for the build.
      const stop = new AbortController();
      let interrupt: (outcome: { signal: NodeJS.Signals }) => void = () => {};
      const interrupted = new Promise<{ signal: NodeJS.Signals }>((resolve) => {
        interrupt = resolve;
      });
      const listen = () => {
        untilSignal(stop.signal).then((signal) => interrupt({ signal }));
      };
      const joins = (options.build ?? (options.locality ? 'join' : 'oracle')) === 'join';
      if (joins) listen();
      const run = simulate({
        nodes: options.nodes,
        lookups: options.lookups,
        seed: options.seed,
        keys: options.keys,
        b: options.b,
        leafSet: options.leafSet,
        ...(options.fail !== undefined ? { fail: options.fail } : {}),
        ...(options.latency !== undefined ? { latency: options.latency } : {}),
        ...(options.locality ? { locality: true } : {}),
        ...(options.build !== undefined ? { build: options.build } : {}),
        ...(options.tableRounds !== undefined ? { tableRounds: options.tableRounds } : {}),
        onSetup: (done, total) => progress('joins', done, total),
        onProgress: (done, total) => progress('lookups', done, total),
        ...(joins ? {} : { onLookups: listen }),
      }).then((result) => ({ result }));
      let outcome: { result: Awaited<ReturnType<typeof simulate>> } | { signal: NodeJS.Signals };
      try {
        outcome = await Promise.race([run, interrupted]);
      } finally {
        stop.abort();
        progress.stop();
      }
      if ('signal' in outcome) {
        process.stderr.write(
          `p2pkit sim pastry: interrupted (${outcome.signal}) during the ${progress.phase()}; no result\n`,
        );
        process.exit(130);
      }
      const { result } = outcome;
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
      const h = result.hops;
      const lines = [
        `nodes          ${result.nodes} (${result.build === 'join' ? `built by joins${result.tableRounds > 0 ? `, ${result.tableRounds} table maintenance rounds` : ''}` : 'tables from an oracle'})`,
        `lookups        ${result.lookups}`,
        `hops           mean ${f(h.mean)}  p50 ${f(h.p50)}  p99 ${f(h.p99)}  max ${f(h.max)}`,
        `histogram      ${h.histogram.map((c, i) => `${i}:${c}`).join('  ')}`,
        `state per node ${f(result.state.tableEntries)} table entries, ${f(result.state.leafSet)} leaf-set members (${f(result.state.entries)} peers, ${Math.round(result.state.bytes)} bytes)`,
        `per lookup     ${f(result.messagesPerLookup)} datagrams, ${Math.round(result.bytesPerLookup)} bytes`,
        `latency        mean ${f(result.latencyMs.mean)} ms  p50 ${f(result.latencyMs.p50)} ms  p99 ${f(result.latencyMs.p99)} ms (simulated, start to answer)`,
      ];
      if (result.failed !== undefined) lines.push(`failed nodes   ${result.failed}`);
      if (result.relativeDistance !== undefined) {
        lines.push(
          `locality       route latency / direct latency = ${result.relativeDistance.toFixed(3)}`,
        );
      }
      lines.push(
        `misdeliveries  ${result.misdeliveries}`,
        `failed lookups ${result.failedLookups}`,
        `reroutes       ${result.reroutes}`,
        `simulated      ${result.simulatedMs} ms, ${result.events} events`,
        `wall           ${result.wallMs} ms (setup ${result.setupMs} ms), ${result.lookupsPerSec} lookups/s`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
      if (result.misdeliveries > 0 || result.failedLookups > 0) process.exitCode = 3;
    });
}

/**
 * Progress on stderr whatever --json says (stdout holds the one result object): the shared
 * reporter's bar on a terminal, a plain line every --progress-interval otherwise; nothing for
 * the first two seconds (or the interval, if shorter), so that short runs print none.
 */
function progressReporter(options: { quiet?: boolean; progressInterval: number }) {
  const reporter = createReporter({
    mode: options.quiet ? 'quiet' : process.stderr.isTTY ? 'bar' : 'plain',
    prefix: 'p2pkit sim pastry',
    intervalMs: options.progressInterval,
    barFormat: '{phase} [{bar}] {percentage}% {value}/{total} eta {eta}s',
  });
  const started = performance.now();
  const quiet = Math.min(2000, options.progressInterval);
  let last = '';
  let current = 'setup';
  let yielded = performance.now();
  return Object.assign(
    (phase: string, done: number, total: number): Promise<void> | undefined => {
      current = phase;
      const now = performance.now();
      // Back to the event loop every 100 ms at most: signals and the bar's redraws get a turn.
      const turn =
        now - yielded >= 100
          ? new Promise<void>((resolve) => {
              yielded = now;
              setImmediate(resolve);
            })
          : undefined;
      if (now - started < quiet || `${phase}${done}` === last) return turn;
      last = `${phase}${done}`;
      const line = `${phase} ${done}/${total} (${Math.round((done / Math.max(1, total)) * 100)}%)`;
      reporter.progress(done, total, line, { phase }, done === total);
      return turn;
    },
    { stop: () => reporter.stop(), phase: () => current },
  );
}
