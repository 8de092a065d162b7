import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { NOT_YET, PROTOCOL_NAMES } from '../compare/protocols/index.js';
import { type CompareResult, runComparison } from '../compare/run.js';
import { formatComparison } from '../compare/table.js';
import { fraction, integer, nonNegative } from '../options.js';
import { createReporter, formatElapsed, formatEta } from '../progress.js';
import { untilSignal } from '../signals.js';

/** Default sizes: three N for the fitted slopes, within two minutes on a quiet 2-core machine. */
export const DEFAULT_NODES = [100, 300, 1000];
export const DEFAULT_LOOKUPS = 200;

interface CompareCliOptions {
  protocols: string[];
  nodes: number[];
  lookups: number;
  itemsPerNode: number;
  latency: number;
  fail: number;
  churn: number;
  seed: number;
  out?: string;
  save?: string;
  json?: boolean;
  quiet?: boolean;
  jobs: number;
}

function protocolList(text: string): string[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    // `bt`, as in `p2pkit sim bt`.
    .map((s) => (s === 'bt' ? 'bittorrent' : s));
  const missing = names.find((n) => NOT_YET[n] !== undefined);
  if (missing)
    throw new InvalidArgumentError(`${NOT_YET[missing]}; available: ${PROTOCOL_NAMES.join(', ')}`);
  const unknown = names.filter((n) => !PROTOCOL_NAMES.includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(
      `${unknown.length ? `unknown protocol ${unknown.join(', ')}; ` : ''}a comma list of ${PROTOCOL_NAMES.join(', ')}`,
    );
  }
  return [...new Set(names)];
}

function nodeList(text: string): number[] {
  const parse = integer(1, 10_000_000);
  const values = text.split(',').map((s) => {
    try {
      return parse(s.trim());
    } catch {
      throw new InvalidArgumentError('expected a comma list of node counts, e.g. 100,1000,10000');
    }
  });
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Why `--save` cannot write results into the package folder `dir`. */
function folderProblem(dir: string): string | undefined {
  try {
    if (!statSync(dir).isDirectory()) return `cannot write into ${dir}: not a folder`;
    accessSync(dir, constants.W_OK);
  } catch {
    return `cannot write into ${dir}: not a writable folder`;
  }
  // The report module names a results file after the package it belongs to.
  if (!existsSync(join(dir, 'package.json')))
    return `--save ${dir}: not a package folder (no package.json); results go into <package>/results/`;
  return undefined;
}

/** Why the report cannot be written at `path` (checked before the run, not after minutes). */
function outProblem(path: string): string | undefined {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) return `cannot write ${path}: no such folder ${dir} (create it first)`;
  try {
    if (!statSync(dir).isDirectory()) return `cannot write ${path}: ${dir} is not a folder`;
    accessSync(dir, constants.W_OK);
  } catch {
    return `cannot write ${path}: ${dir} is not a writable folder`;
  }
  try {
    if (statSync(path).isDirectory()) return `cannot write ${path}: it is a folder`;
  } catch {
    // Not there yet: it will be created.
  }
  return undefined;
}

/**
 * `p2pkit compare [--protocols napster,gnutella,...] [--nodes 100,1000,10000] [--lookups L]
 * [--fail f] [--seed s] [--out report.html] [--json]` (issue 18): one workload through every
 * protocol's own simulation, the lecture's cost table measured, growth fitted.
 */
export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description(
      "run one workload through every protocol in the simulator and measure the lecture's cost table",
    )
    .addOption(
      new Option(
        '--protocols <list>',
        `comma list of ${PROTOCOL_NAMES.join(', ')}${Object.keys(NOT_YET).length ? ` (not yet: ${Object.keys(NOT_YET).join(', ')})` : ''}`,
      )
        .argParser(protocolList)
        .default([...PROTOCOL_NAMES], 'all of them'),
    )
    .addOption(
      new Option('--nodes <list>', 'comma list of node counts N')
        .argParser(nodeList)
        .default(DEFAULT_NODES, DEFAULT_NODES.join(',')),
    )
    .option('--lookups <L>', 'lookups per protocol and N', integer(1, 10_000_000), DEFAULT_LOOKUPS)
    .option('--items-per-node <k>', 'items stored per node', integer(1, 10_000), 1)
    .option('--latency <ms>', 'one-way delay between two hosts', integer(0, 10_000), 25)
    .option('--fail <f>', 'fraction of nodes crashed in the fault phase (0: none)', fraction, 0.1)
    .option(
      '--churn <rate>',
      'joins and failures per simulated second in a churn phase (0: none)',
      nonNegative,
      0,
    )
    .option('--seed <s>', 'random seed (same seed, same figures)', integer(0, 2 ** 32 - 1), 1)
    .option('--out <file>', 'write the offline HTML report (tables, log-log charts, slopes) here')
    .option(
      '--save <folder>',
      "also write <folder>/results/compare.json, .html, .md and the charts' SVG (the report module's convention)",
    )
    .addOption(
      new Option(
        '--jobs <n>',
        'runs at once, each on a worker thread (1: one after the other in this process)',
      )
        .argParser(integer(1, 256))
        .default(availableParallelism(), `the machine's cores, ${availableParallelism()} here`),
    )
    .option('--json', 'one JSON object with every figure on stdout')
    .option('--quiet', 'no progress on stderr')
    .action(async (options: CompareCliOptions) => {
      const problem =
        (options.out === undefined ? undefined : outProblem(options.out)) ??
        (options.save === undefined ? undefined : folderProblem(options.save));
      if (problem) {
        process.stderr.write(`p2pkit compare: ${problem}\n`);
        process.exitCode = 1;
        return;
      }
      const mode = options.quiet ? 'quiet' : process.stderr.isTTY ? 'bar' : 'plain';
      const reporter = createReporter({
        mode,
        prefix: 'p2pkit compare',
        intervalMs: 5000,
        // {left}, not {eta}: cli-progress fills its own {eta} from its rate (INF at the start).
        barFormat: 'compare [{bar}] {percentage}% | {what} | ETA {left}',
      });
      const started = performance.now();
      const loadAtStart = loadavg()[0];
      // The checkout's commit as the run starts (see saveResults).
      const commit =
        options.save === undefined
          ? undefined
          : (await import('@p2pkit/report')).gitCommit(resolve(options.save));
      let current = '';
      const stop = new AbortController();
      const interrupted = untilSignal(stop.signal).then((signal) => ({ signal }));
      const comparison = runComparison({
        protocols: options.protocols,
        nodes: options.nodes,
        lookups: options.lookups,
        itemsPerNode: options.itemsPerNode,
        latencyMs: options.latency,
        fail: options.fail,
        churn: options.churn,
        seed: options.seed,
        jobs: options.jobs,
        signal: stop.signal,
        onProgress: (p) => {
          const what = p.running.length > 0 ? p.running.join(', ') : `${p.protocol} N=${p.nodes}`;
          const eta = formatEta(p.etaSeconds);
          const force = what !== current;
          current = what;
          reporter.progress(
            Math.round(p.fraction * 1000),
            1000,
            `${what} (${Math.round(p.fraction * 100)} % of all, ETA ${eta})`,
            { what, left: eta },
            force,
          );
        },
        onSkip: (s) => reporter.note(`${s.protocol} at N = ${s.nodes} skipped: ${s.reason}`),
      }).then((result) => ({ result }));
      let outcome: { result: CompareResult } | { signal: NodeJS.Signals } | { error: unknown };
      try {
        outcome = await Promise.race([
          comparison.catch((error: unknown) => ({ error })),
          interrupted,
        ]);
      } finally {
        // Also terminates the worker threads still running.
        stop.abort();
        reporter.stop();
      }
      if ('error' in outcome) {
        const { error } = outcome;
        const message = error instanceof Error ? error.message : String(error);
        process.stderr.write(
          `p2pkit compare: ${message} (seed ${options.seed}); nothing written\n`,
        );
        process.exitCode = 1;
        return;
      }
      if ('signal' in outcome) {
        process.stderr.write(
          `p2pkit compare: interrupted (${outcome.signal}) during ${current}; nothing written\n`,
        );
        process.exit(130);
      }
      const { result } = outcome;
      if (result.rows.length === 0) {
        process.stderr.write(
          'p2pkit compare: nothing left to run (every protocol was skipped at every N)\n',
        );
        process.exitCode = 1;
        return;
      }
      if (options.out !== undefined) {
        const { writeHtmlReport } = await import('../compare/html.js');
        await writeHtmlReport(options.out, result, loadAtStart);
      }
      if (options.save !== undefined) {
        const { saveResults } = await import('../compare/html.js');
        const command = ['p2pkit', ...process.argv.slice(2)].join(' ');
        await saveResults(options.save, result, command, loadAtStart, commit);
      }
      if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(`${formatComparison(result).join('\n')}\n`);
      if (mode !== 'quiet') {
        const rows = result.rows.length;
        const differs = result.fits.filter((f) => f.differs).length;
        const judged = result.fits.filter((f) => f.lecture !== undefined).length;
        const at =
          options.jobs > 1
            ? `${Math.min(options.jobs, rows)} at a time on worker threads`
            : 'one at a time';
        process.stderr.write(
          `p2pkit compare: ${rows} runs in ${formatElapsed(performance.now() - started)} (${at}); ${judged - differs} of ${judged} fitted costs as the lecture says${differs ? `, ${differs} differ (✗)` : ''}${options.out ? `; report: ${options.out}` : ''}\n`,
        );
      }
    });
}
