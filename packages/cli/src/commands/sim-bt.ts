import {
  parseRateSpec,
  type RateSpec,
  runSwarm,
  type SwarmResult,
} from '@p2pkit/bittorrent/scenarios';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { choice, duration, integer, positive } from '../options.js';
import { createReporter } from '../progress.js';

/**
 * `p2pkit sim bt --peers <N> --seeds <S> --size <bytes> [--piece-length <b>] [--up <bytes/s>]
 * [--down <bytes/s>] [--seed-up <bytes/s>] [--seed <s>] [--json]`: a flash crowd of N leechers
 * and S seeds in the simulator, run until every leecher holds every verified piece; prints the
 * completion times, the fluid lower bound for the same setting and their ratio.
 */
export function registerSimBt(sim: Command): void {
  sim
    .command('bt')
    .description(
      'simulate a BitTorrent flash crowd (real client, simulated links) and compare it with the fluid bound',
    )
    .requiredOption('--peers <N>', 'leechers, all joining at t = 0', integer(1, 100_000))
    .option('--seeds <S>', 'initial seeds', integer(1, 1000), 1)
    .requiredOption('--size <bytes>', 'file size in bytes', integer(1, 2 ** 40))
    .option(
      '--piece-length <b>',
      'piece size in bytes, a power of two >= 16384 (default: about 256 pieces)',
      integer(16_384, 64 * 2 ** 20),
    )
    .option(
      '--up <bytes/s>',
      "leechers' upload: one rate, or a comma list cycled over the peers (default: an 8:1 mix, 8..64 KiB/s)",
      rates,
    )
    .option('--down <bytes/s>', "leechers' download cap (default: unlimited)", positive)
    .option('--seed-up <bytes/s>', "each seed's upload (default: 4x the leechers' mean)", positive)
    .option('--piece-selection <how>', 'rarest-first or random', choice(['rarest-first', 'random']))
    .option('--choking <how>', 'tit-for-tat or unchoke-all', choice(['tit-for-tat', 'unchoke-all']))
    .option('--seed <s>', 'random seed (same seed, same run)', integer(0, 2 ** 32 - 1), 1)
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
    .action(async (options: SimBtOptions) => {
      // Progress on stderr whatever --json says (stdout holds the one result object).
      const reporter = createReporter({
        mode: options.quiet ? 'quiet' : process.stderr.isTTY ? 'bar' : 'plain',
        prefix: 'p2pkit sim bt',
        intervalMs: options.progressInterval,
        barFormat: 'simulating [{bar}] {percentage}% | t={t}s | done {done}/{peers}',
      });
      let result: SwarmResult;
      try {
        result = await runSwarm({
          seed: options.seed,
          peers: options.peers,
          seeds: options.seeds,
          size: options.size,
          ...(options.pieceLength !== undefined ? { pieceLength: options.pieceLength } : {}),
          ...(options.up !== undefined ? { upload: options.up } : {}),
          ...(options.down !== undefined ? { download: options.down } : {}),
          ...(options.seedUp !== undefined ? { seedUpload: options.seedUp } : {}),
          ...(options.pieceSelection ? { pieceSelection: options.pieceSelection } : {}),
          ...(options.choking ? { choking: options.choking } : {}),
          onProgress: (p) => {
            const t = (p.timeMs / 1000).toFixed(0);
            reporter.progress(
              Math.floor(p.fraction * 100),
              100,
              `${(p.fraction * 100).toFixed(0)}% of the pieces, ${p.completed} of ${p.peers} leechers done, ${t} s of virtual time`,
              { t, done: p.completed, peers: p.peers },
            );
          },
        });
      } finally {
        reporter.stop();
      }
      if (options.json) process.stdout.write(`${JSON.stringify(toJson(result))}\n`);
      else process.stdout.write(report(result));
      if (result.completed < result.peers) {
        process.stderr.write(
          `p2pkit sim bt: only ${result.completed} of ${result.peers} leechers finished within ${result.virtualS.toFixed(0)} s of virtual time\n`,
        );
        process.exitCode = 1;
      }
    });
}

interface SimBtOptions {
  peers: number;
  seeds: number;
  size: number;
  pieceLength?: number;
  up?: RateSpec;
  down?: number;
  seedUp?: number;
  pieceSelection?: 'rarest-first' | 'random';
  choking?: 'tit-for-tat' | 'unchoke-all';
  seed: number;
  json?: boolean;
  quiet?: boolean;
  progressInterval: number;
}

/** The --json object: the issue's fields first, then the rest of the measurement. */
function toJson(r: SwarmResult) {
  const { samples: _samples, uploads, completions, completionS, boundS, ratio, ...rest } = r;
  return {
    completionS,
    boundS,
    ratio,
    ...rest,
    uploadS: summarizeRates(uploads),
    completionsS: completions,
  };
}

function summarizeRates(uploads: readonly number[]) {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  let sum = 0;
  for (const u of uploads) {
    if (u < min) min = u;
    if (u > max) max = u;
    sum += u;
  }
  return { min, mean: sum / uploads.length, max };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KiB`;
const s = (seconds: number) => seconds.toFixed(1);

function report(r: SwarmResult): string {
  const up = summarizeRates(r.uploads);
  const c = r.completionS;
  const b = r.bound;
  const lines = [
    `BitTorrent flash crowd: ${r.peers} leechers, ${r.seeds} seed(s), ${r.size} bytes in ${r.pieceCount} pieces of ${kib(r.pieceLength)}`,
    `upload ${kib(up.min)}/s .. ${kib(up.max)}/s (mean ${kib(up.mean)}/s), seed ${kib(r.seedUpload)}/s, download ${r.download === Number.POSITIVE_INFINITY ? 'unlimited' : `${kib(r.download)}/s`}; ${r.pieceSelection}, ${r.choking}`,
    `completion (s): min ${s(c.min)}  median ${s(c.median)}  mean ${s(c.mean)}  p90 ${s(c.p90)}  max ${s(c.max)}  (${r.completed}/${r.peers} done)`,
    ...r.byUploadRate.map(
      (g) =>
        `  upload ${kib(g.rate)}/s: ${g.peers} peers, mean ${s(g.meanS)} s, last ${s(g.maxS)} s`,
    ),
    `fluid bound: ${s(b.seconds)} s = max(F/us ${s(b.seedTerm)}, F/dmin ${s(b.downloadTerm)}, N·F/(us+Σui) ${s(b.swarmTerm)})`,
    `ratio (last completion / bound): ${r.ratio.toFixed(3)}   mean / bound: ${r.meanRatio.toFixed(3)}`,
    `upload utilization ${(r.utilization * 100).toFixed(1)} %, duplicate payload ${((r.receivedOverhead - 1) * 100).toFixed(1)} %, wire overhead ${((r.wireOverhead - 1) * 100).toFixed(1)} %`,
    `pieces verified ${r.piecesVerified}, corrupt ${r.piecesCorrupt}`,
    ...(r.tracker
      ? [
          `tracker: ${r.tracker.peers} peers in ${r.tracker.torrents} swarm(s), ${kib(r.tracker.stateBytes)} of state (peak ${kib(r.tracker.peakStateBytes)}), ${r.tracker.announces} announces`,
        ]
      : []),
    `simulator: ${r.events} events, ${s(r.virtualS)} s virtual, ${s(r.wallS)} s wall, trace ${r.traceHash}`,
  ];
  return `${lines.join('\n')}\n`;
}

function rates(text: string): RateSpec {
  try {
    return parseRateSpec(text);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
