// Runs the bittorrent benchmarks (build first: pnpm turbo run build --filter=@p2pkit/bittorrent...)
// and writes results/<name>.json in the report module's convention (packages/report/README.md):
// results/formats.json, results/mse.json, results/matrix.{json,html,md} (every seeder × every
// leecher, with charts). The scripts themselves keep their detailed output in bench/results/*.json;
// this runner turns it into figures. Extra arguments go to matrix.js (e.g. --sizes 32 --runs 1;
// BENCH_LOCK=/path/to/lock holds a lock around each timed run).
//   node bench/run.js [--from-files [--commit <hash>]] [--only matrix]   (--from-files: convert the
//   last outputs, run nothing; --commit: the commit they measured)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The report module is a private workspace package; imported by path until @p2pkit/report is a
// devDependency of @p2pkit/bittorrent (the root `pnpm bench` builds it first).
import { loadNow, machine, writeReport, writeResult } from '../../report/dist/index.js';
import { matrixReport } from './matrix-report.js';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
if (!existsSync(join(pkg, 'dist', 'index.js'))) {
  console.error(
    'dist/ is missing: run `pnpm turbo run build --filter=@p2pkit/bittorrent...` first',
  );
  process.exit(1);
}
const argv = process.argv.slice(2).filter((a) => a !== '--');
const fromFiles = argv.includes('--from-files');
// --only <name>: one of the benchmarks (e.g. --only matrix).
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
// --commit <hash> (with --from-files): the commit the converted run measured, when known.
const commitAt = argv.indexOf('--commit');
const commitArg = commitAt >= 0 ? argv[commitAt + 1] : undefined;
const extra = argv.filter(
  (a, i) =>
    a !== '--from-files' &&
    i !== onlyAt &&
    i !== onlyAt + 1 &&
    i !== commitAt &&
    i !== commitAt + 1,
);
const read = (file) => JSON.parse(readFileSync(join(here, 'results', file), 'utf8'));

const BENCHES = [
  { name: 'formats', file: 'formats.js', args: [], convert: formats },
  { name: 'mse', file: 'mse.js', args: [], convert: mse },
  {
    name: 'matrix',
    file: 'matrix.js',
    args: ['--runs', '3', ...extra],
    convert: () => matrixReport(read('matrix.json')),
  },
];

for (const bench of BENCHES) {
  if (!existsSync(join(here, bench.file)) || (only && bench.name !== only)) continue;
  const command = ['node', `packages/bittorrent/bench/${bench.file}`, ...bench.args].join(' ');
  const load = loadNow();
  if (!fromFiles) {
    console.log(`# ${command}`);
    const run = spawnSync(process.execPath, [join(here, bench.file), ...bench.args], {
      stdio: 'inherit',
    });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
  const converted = bench.convert();
  const { figures, conditions, data, date } = converted;
  // Converting an earlier run: its own date, and no claim about which commit produced it.
  // With --commit (a run just made on this machine, e.g. an interrupted matrix): this machine,
  // the run's own load average at its start and end.
  const earlier = fromFiles
    ? {
        date,
        commit: commitArg ?? 'unknown (converted from bench/results)',
        machine: commitArg
          ? {
              ...machine(),
              loadAverage: [data.loadAtStart?.[0] ?? 0, data.loadAtEnd?.[0] ?? 0].map(
                (l) => Math.round(l * 100) / 100,
              ),
            }
          : {
              cpu: 'unknown (converted from bench/results)',
              cores: 2,
              memoryGiB: 24,
              node: data.node ?? 'v20',
              os: 'linux',
              loadAverage: (data.loadAverage ?? [0, 0]).slice(0, 2),
            },
      }
    : {};
  const result = {
    name: bench.name,
    kind: 'bench',
    command,
    conditions,
    figures,
    data,
    loadAtStart: load,
    ...earlier,
  };
  const { title, blocks } = converted;
  if (blocks) await writeReport(pkg, { ...result, title, blocks });
  else writeResult(pkg, result);
  console.log(`wrote results/${bench.name}.json`);
}

function formats() {
  const d = read('formats.json');
  return {
    conditions: { sizeMiB: d.sizeMiB },
    date: fileDate('formats.json'),
    data: d,
    figures: [
      {
        figure: `create a ${d.sizeMiB} MiB torrent, 256 KiB pieces`,
        value: d.create_256KiB.mibPerS,
        unit: 'MiB/s',
        better: 'higher',
      },
      {
        figure: 'parse a .torrent (256 KiB pieces), node:crypto SHA-1',
        value: d.parse_256KiB_node_us,
        unit: 'µs',
        better: 'lower',
        peer: { name: 'portable SHA-1', value: d.parse_256KiB_portable_us },
      },
      { figure: 'bencode: decode 2 MB', value: d.bencode.decodeMs, unit: 'ms', better: 'lower' },
      { figure: 'bencode: encode 2 MB', value: d.bencode.encodeMs, unit: 'ms', better: 'lower' },
      {
        figure: 'tracker announces per second, UDP (BEP 15)',
        value: d.announces_per_s_udp,
        unit: 'announces/s',
        better: 'higher',
        peer: { name: 'HTTP announces', value: d.announces_per_s_http },
      },
    ],
  };
}

function mse() {
  const d = read('mse.json');
  return {
    conditions: {},
    date: fileDate('mse.json'),
    data: d,
    figures: [
      {
        figure: 'MSE handshake, both roles',
        value: d.handshakeMsBothRoles,
        unit: 'ms',
        better: 'lower',
      },
      { figure: 'RC4 stream cipher', value: d.rc4MiBps, unit: 'MiB/s', better: 'higher' },
    ],
  };
}

/** When an output file without its own date was last committed (for --from-files). */
function fileDate(file) {
  const out = spawnSync('git', ['log', '-1', '--format=%cI', '--', join(here, 'results', file)], {
    encoding: 'utf8',
  });
  return out.stdout.trim() || new Date().toISOString();
}
