// Loopback throughput of the pairs of ours and aria2c (the reference): ours->ours, aria2->aria2,
// ours->aria2, aria2->ours. A slice of the interop matrix: bench/matrix.js runs it (same
// harness, same peers, its own 127.0.0.x each, our tracker, SHA-256 of the file compared), and
// this writes bench/results/throughput-<size>MiB.json in the shape the headline reads. Usage
// (after `pnpm turbo run build --filter=@p2pkit/bittorrent...`):
//   node bench/throughput.js [--size MiB] [--runs N] [--pairs ours-ours,aria2-aria2,...]
//                            [--lock /work/coord/bench.lock]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const sizeMiB = Number(opt('size', '256'));
const runs = Number(opt('runs', '1'));
const pairs = opt('pairs', 'ours-ours,aria2-aria2,ours-aria2,aria2-ours').split(',');
const here = new URL('.', import.meta.url).pathname;
const client = (name) => (name === 'aria2' ? 'aria2c' : name);
const seeders = [...new Set(pairs.map((p) => client(p.split('-')[0])))];
const leechers = [...new Set(pairs.map((p) => client(p.split('-')[1])))];
const out = `throughput-matrix-${sizeMiB}MiB`;
const lock = opt('lock', undefined);
const run = spawnSync(
  process.execPath,
  [
    join(here, 'matrix.js'),
    ...['--sizes', String(sizeMiB), '--runs', String(runs), '--out', out],
    ...['--seeders', seeders.join(','), '--leechers', leechers.join(',')],
    ...(lock ? ['--lock', lock] : []),
  ],
  { stdio: 'inherit' },
);
if (run.status !== 0) process.exit(run.status ?? 1);

const matrix = JSON.parse(readFileSync(join(here, 'results', `${out}.json`), 'utf8'));
const pairOf = (r) =>
  `${r.seeder === 'aria2c' ? 'aria2' : r.seeder}-${r.leecher === 'aria2c' ? 'aria2' : r.leecher}`;
const results = matrix.results
  .filter((r) => pairs.includes(pairOf(r)))
  .map((r) => ({
    pair: pairOf(r),
    run: r.run,
    seconds: r.seconds,
    mibps: r.mibps,
    leecherRssMB: r.leecherRssMB,
    seederRssMB: r.seederRssMB,
    sha256Match: r.error === undefined,
    ...(r.error ? { error: r.error } : {}),
  }));
const summary = { sizeMiB, pieceKiB: matrix.pieceKiB, runs, results };
const best = (pair) =>
  Math.max(...results.filter((r) => r.pair === pair && !r.error).map((r) => r.mibps));
if (pairs.includes('ours-ours') && pairs.includes('aria2-aria2')) {
  summary.ratio = best('ours-ours') / best('aria2-aria2');
  console.log(`ours->ours / aria2c->aria2c = ${summary.ratio.toFixed(2)}x (best of ${runs})`);
}
summary.loadAverage = matrix.loadAtEnd;
summary.measuredAt = matrix.measuredAt;
// The commit measured, and whether the package's sources differed from it.
const git = (...a) => spawnSync('git', a, { cwd: here, encoding: 'utf8' }).stdout?.trim() ?? '';
summary.commit = `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', '../src') ? '+dirty' : ''}`;
summary.singleCoreLimitMiBps = matrix.limits[sizeMiB];
writeFileSync(
  join(here, 'results', `throughput-${sizeMiB}MiB.json`),
  `${JSON.stringify(summary, null, 2)}\n`,
);
