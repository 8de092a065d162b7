// Loopback throughput: one seeder -> one leecher, a random file, wall clock from leecher start to
// verified completion. Pairs: ours->ours, aria2c->aria2c (the reference), ours->aria2c,
// aria2c->ours. Each peer gets its own 127.0.0.x and runs in its own process; a tracker (ours)
// introduces them. Usage (after `pnpm turbo run build --filter=@p2pkit/bittorrent...`):
//   node bench/throughput.js [--size MiB] [--piece KiB] [--runs N] [--pairs ours-ours,aria2-aria2,...]
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { realRuntime } from '@p2pkit/core/node';
import { createTracker } from '../dist/index.js';
import { createTorrentFromPath } from '../dist/node/index.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const sizeMiB = Number(opt('size', '256'));
const pieceKiB = Number(opt('piece', '256'));
const runs = Number(opt('runs', '1'));
const pairs = opt('pairs', 'ours-ours,aria2-aria2,ours-aria2,aria2-ours').split(',');
const here = new URL('.', import.meta.url).pathname;

const work = join(tmpdir(), `p2pkit-bt-bench-${process.pid}`);
await mkdir(join(work, 'seed'), { recursive: true });
// Gigabytes of temporary files: removed however the run ends.
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
process.on('SIGINT', () => process.exit(130));
const dataPath = join(work, 'seed', 'data.bin');
{
  const file = await open(dataPath, 'w');
  const chunk = 4 << 20;
  for (let left = sizeMiB << 20; left > 0; left -= chunk)
    await file.write(randomBytes(Math.min(chunk, left)));
  await file.close();
}
const sha256 = (path) =>
  new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
const expected = await sha256(dataPath);

const runtime = realRuntime({ host: '127.0.0.1' });
const tracker = await createTracker({
  runtime,
  http: { host: '127.0.0.1', port: 0 },
  udp: false,
  intervalS: 5,
  minIntervalS: 1,
});
const torrentPath = join(work, 'data.torrent');
{
  const { torrent } = await createTorrentFromPath(dataPath, {
    hasher: runtime.hash,
    pieceLength: pieceKiB * 1024,
    announce: tracker.announceUrls[0],
  });
  await writeFile(torrentPath, torrent);
}

const ARIA_COMMON = [
  '--enable-dht=false',
  '--bt-enable-lpd=false',
  '--enable-peer-exchange=false',
  '--disable-ipv6',
  '--console-log-level=warn',
  '--summary-interval=0',
  '--file-allocation=none',
  '--bt-tracker-interval=1',
];

function startProcess(command, argv) {
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out, errors: () => err };
}

async function waitFor(predicate, ms, what) {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let port = 52000 + (process.pid % 1000) * 4;
async function startSeeder(kind, host) {
  port += 1;
  if (kind === 'ours') {
    const p = startProcess('node', [
      join(here, 'peer.js'),
      'seed',
      torrentPath,
      join(work, 'seed'),
      host,
      String(port),
    ]);
    await waitFor(() => p.output().includes('"ready"'), 60_000, 'our seeder');
    return p;
  }
  const p = startProcess('aria2c', [
    `--dir=${join(work, 'seed')}`,
    '-V',
    '--seed-ratio=0.0',
    ...ARIA_COMMON,
    `--listen-port=${port}`,
    `--interface=${host}`,
    `--bt-external-ip=${host}`,
    torrentPath,
  ]);
  // aria2c has checked the file and announced once the tracker knows it.
  await waitFor(() => tracker.peers > 0, 60_000, 'aria2c seeder announce');
  return p;
}

let leecherRun = 0;
async function runLeecher(kind, host) {
  // A fresh folder each run; all are deleted at the end (deleting 256 MiB right before the next
  // run would make the file system busy during it).
  const folder = join(work, `leech-${leecherRun++}`);
  await mkdir(folder, { recursive: true });
  const started = performance.now();
  let p;
  if (kind === 'ours') {
    p = startProcess('/usr/bin/time', [
      '-f',
      'MAXRSS %M',
      'node',
      join(here, 'peer.js'),
      'get',
      torrentPath,
      folder,
      host,
      'tracker',
    ]);
  } else {
    port += 1;
    p = startProcess('/usr/bin/time', [
      '-f',
      'MAXRSS %M',
      'aria2c',
      `--dir=${folder}`,
      '--seed-time=0',
      ...ARIA_COMMON,
      `--listen-port=${port}`,
      `--interface=${host}`,
      `--bt-external-ip=${host}`,
      torrentPath,
    ]);
  }
  const code = await p.exited;
  const ms = performance.now() - started;
  const rss = Number(/MAXRSS (\d+)/.exec(p.errors())?.[1] ?? 0) / 1024;
  if (code !== 0)
    throw new Error(
      `${kind} leecher exited ${code}: ${p.errors().slice(-2000)} ${p.output().slice(-2000)}`,
    );
  if (process.env.BT_TRACE) process.stderr.write(p.errors());
  const ok = (await sha256(join(folder, 'data.bin'))) === expected;
  return { ms, rss, ok };
}

const results = [];
for (const pair of pairs) {
  const [seedKind, leechKind] = pair.split('-').map((k) => (k === 'aria2' ? 'aria2' : 'ours'));
  for (let run = 0; run < runs; run++) {
    const seeder = await startSeeder(seedKind, '127.0.0.2');
    try {
      const r = await runLeecher(leechKind, '127.0.0.3');
      const mibps = sizeMiB / (r.ms / 1000);
      results.push({
        pair,
        run,
        seconds: r.ms / 1000,
        mibps,
        leecherRssMB: r.rss,
        sha256Match: r.ok,
      });
      console.log(
        `${pair.padEnd(12)} ${(r.ms / 1000).toFixed(2)} s  ${mibps.toFixed(1)} MiB/s  leecher RSS ${r.rss.toFixed(0)} MB  ${r.ok ? 'sha256 ok' : 'SHA256 MISMATCH'}`,
      );
    } finally {
      seeder.child.kill('SIGTERM');
      await seeder.exited;
      await new Promise((r) => setTimeout(r, 1100)); // let the tracker forget it
    }
  }
}
const best = (pair) => Math.max(...results.filter((r) => r.pair === pair).map((r) => r.mibps));
const summary = { sizeMiB, pieceKiB, runs, results };
if (pairs.includes('ours-ours') && pairs.includes('aria2-aria2')) {
  summary.ratio = best('ours-ours') / best('aria2-aria2');
  console.log(`ours->ours / aria2c->aria2c = ${summary.ratio.toFixed(2)}x (best of ${runs})`);
}
await mkdir(join(here, 'results'), { recursive: true });
summary.loadAverage = loadavg();
summary.measuredAt = new Date().toISOString();
await writeFile(
  join(here, 'results', `throughput-${sizeMiB}MiB.json`),
  `${JSON.stringify(summary, null, 2)}\n`,
);
await tracker.close();
await runtime.close();
await rm(work, { recursive: true, force: true });
