// The interop matrix as a benchmark: every seeder × every leecher (ours, aria2c, qBittorrent,
// Transmission, WebTorrent), one seeder → one leecher over loopback, each peer its own process on
// its own 127.0.0.x, introduced by our tracker; a random file, 256 KiB pieces, files compared by
// SHA-256. Beside it, in the same run, the single-core limit of a leecher: SHA-1 of the payload
// plus one copy, in node. Usage (after `pnpm turbo run build --filter=@p2pkit/bittorrent...`):
//   node bench/matrix.js [--sizes 32,256] [--runs 3] [--seeders a,b] [--leechers a,b]
//                        [--lock /work/coord/bench.lock] [--out matrix]
// Per run: `wall` = leecher start (process spawn, or the torrent handed to a running daemon) to
// verified completion; `startup` = leecher start to its first peer connection; `transfer` = the
// phase after it. `--lock FILE` holds an flock on FILE for each seeder's row (a shared machine's
// benchmarks never overlap, and none waits for a whole matrix). Writes bench/results/<out>.json.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { realRuntime } from '@p2pkit/core/node';
import { createTracker } from '../dist/index.js';
import { createTorrentFromPath } from '../dist/node/index.js';
import { importTypeScript } from './internal.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const ALL = ['ours', 'aria2c', 'qbittorrent', 'transmission', 'webtorrent'];
const sizes = opt('sizes', '32,256').split(',').map(Number);
const runs = Number(opt('runs', '3'));
const seeders = opt('seeders', ALL.join(',')).split(',');
// Transmission takes no loopback peer from a tracker (issue 11's item 10): as a leecher on one
// machine it is reached only by a seed that dials it, ours at its next announce (30 s at the
// earliest), so its column would time the announce interval. Ask for it with --leechers.
const leechers = opt('leechers', ALL.filter((c) => c !== 'transmission').join(',')).split(',');
const lockFile = opt('lock', process.env.BENCH_LOCK);
const outName = opt('out', 'matrix');
const PIECE = 256 * 1024;
const RUN_MS = 120_000;
const here = new URL('.', import.meta.url).pathname;
const { startQbittorrent, startTransmission, sha256File, freePort } = await importTypeScript(
  'test/interop/external.ts',
);

const work = join(tmpdir(), `p2pkit-bt-matrix-${process.pid}`);
await mkdir(work, { recursive: true });
// Gigabytes of temporary files and client daemons: gone however the run ends.
const children = new Set();
/** Daemons started through the interop drivers (not our children): killed at exit too. */
const daemonPids = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const pid of daemonPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  rmSync(work, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(check, ms, what, debug = () => '') {
  const deadline = performance.now() + ms;
  for (;;) {
    // A daemon's API may fail while it starts or before the torrent shows: not yet, try again.
    const value = await Promise.resolve()
      .then(check)
      .catch(() => undefined);
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}\n${debug()}`);
    await sleep(50);
  }
}

/** A child process with its output kept; `exited` resolves with its exit code. */
function startProcess(command, argv) {
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  const events = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, exited, events, stop, output: () => out, errors: () => err };
}

/** Holds an flock on `file` until release() (flock(1) keeps it while its stdin stays open). */
async function lock(file) {
  if (!file) return { release: async () => {} };
  const child = spawn('flock', [file, '-c', 'echo locked; exec cat'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => String(d).includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`flock ${file} exited ${code}`)));
  });
  return {
    release: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.stdin.end();
      }),
  };
}

/** Peak RSS in MB of a process running under /usr/bin/time -f 'MAXRSS %M'. */
const timeRss = (p) => Number(/MAXRSS (\d+)/.exec(p.errors())?.[1] ?? Number.NaN) / 1024;
/** Peak RSS in MB of a running process (VmHWM), e.g. a daemon before it is stopped. */
function peakRss(pid) {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** A seeder's stop(): reads process `pid`'s peak RSS while it still runs, then `stop()`s it. */
const stopWithPeakRss = (pid, stop) => async () => {
  const rss = peakRss(pid);
  await stop();
  return rss;
};

const ARIA = [
  '--enable-dht=false',
  '--bt-enable-lpd=false',
  '--enable-peer-exchange=false',
  '--disable-ipv6',
  '--console-log-level=warn',
  '--summary-interval=0',
  '--file-allocation=none',
  '--bt-tracker-interval=1',
];

/**
 * The clients. seed(ctx) resolves once the seeder serves and the tracker knows it; get(ctx)
 * resolves with { wallMs, firstPeerMs (since the leecher's start, or NaN when the client cannot
 * say), rssMB }.
 */
const CLIENTS = {
  ours: {
    async seed({ torrentPath, seedDir, host, tracker }) {
      const port = await freePort(host);
      const p = startProcess('node', [
        join(here, 'peer.js'),
        'seed',
        torrentPath,
        seedDir,
        host,
        String(port),
      ]);
      await waitFor(
        () => p.events().some((e) => e.event === 'ready'),
        60_000,
        'our seeder',
        p.errors,
      );
      await waitFor(() => tracker.peers > 0, 20_000, 'our seeder announce');
      return { stop: stopWithPeakRss(p.child.pid, p.stop) };
    },
    async get({ torrentPath, folder, host }) {
      const started = performance.now();
      const p = startProcess('/usr/bin/time', [
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
      const code = await within(p.exited, p);
      const wallMs = performance.now() - started;
      if (code !== 0) throw new Error(`our leecher exited ${code}: ${p.errors().slice(-1500)}`);
      const done = p.events().find((e) => e.event === 'done');
      // Its own clock counts from its process start; the spawn itself (fork/exec) is a few ms more.
      const spawnMs = wallMs - (done.startMs + done.ms);
      return { wallMs, firstPeerMs: spawnMs + done.firstPeerMs, rssMB: timeRss(p) };
    },
  },
  aria2c: {
    async seed({ torrentPath, seedDir, host, tracker }) {
      const port = await freePort(host);
      const p = startProcess('aria2c', [
        `--dir=${seedDir}`,
        '-V',
        '--seed-ratio=0.0',
        ...ARIA,
        `--listen-port=${port}`,
        `--interface=${host}`,
        `--bt-external-ip=${host}`,
        torrentPath,
      ]);
      // aria2c has checked the file and announced once the tracker knows it.
      await waitFor(() => tracker.peers > 0, 60_000, 'aria2c seeder announce', p.errors);
      return { stop: stopWithPeakRss(p.child.pid, p.stop) };
    },
    async get({ torrentPath, folder, host }) {
      const port = await freePort(host);
      const started = performance.now();
      const p = startProcess('/usr/bin/time', [
        '-f',
        'MAXRSS %M',
        'aria2c',
        `--dir=${folder}`,
        '--seed-time=0',
        ...ARIA,
        `--listen-port=${port}`,
        `--interface=${host}`,
        `--bt-external-ip=${host}`,
        torrentPath,
      ]);
      const code = await within(p.exited, p);
      const wallMs = performance.now() - started;
      if (code !== 0) throw new Error(`aria2c exited ${code}: ${p.output().slice(-1500)}`);
      // aria2c tells nothing while it runs (no RPC here): its first connection is unknown.
      return { wallMs, firstPeerMs: Number.NaN, rssMB: timeRss(p) };
    },
  },
  qbittorrent: daemon('qbittorrent-nox', startQbittorrent),
  transmission: daemon('transmission-daemon', startTransmission),
  webtorrent: {
    async seed({ torrentPath, seedDir, host }) {
      const p = startProcess('node', [
        join(here, 'webtorrent-peer.js'),
        'seed',
        torrentPath,
        seedDir,
        host,
      ]);
      await waitFor(
        () => p.events().some((e) => e.event === 'ready'),
        60_000,
        'webtorrent seeder',
        p.errors,
      );
      return { stop: stopWithPeakRss(p.child.pid, p.stop) };
    },
    async get({ torrentPath, folder, host }) {
      const started = performance.now();
      const p = startProcess('/usr/bin/time', [
        '-f',
        'MAXRSS %M',
        'node',
        join(here, 'webtorrent-peer.js'),
        'get',
        torrentPath,
        folder,
        host,
      ]);
      const code = await within(p.exited, p);
      const wallMs = performance.now() - started;
      if (code !== 0) throw new Error(`webtorrent exited ${code}: ${p.errors().slice(-1500)}`);
      const done = p.events().find((e) => e.event === 'done');
      const peer = p.events().find((e) => e.event === 'peer');
      const spawnMs = wallMs - done.ms;
      return { wallMs, firstPeerMs: spawnMs + (peer?.ms ?? Number.NaN), rssMB: timeRss(p) };
    },
  },
};

/** A daemon driven over its Web API / RPC by the interop tests' drivers (test/interop/external.ts). */
function daemon(binary, start) {
  const pidOf = () => {
    // The newest process of that name: the one just started (for its peak RSS).
    const pid = Number(spawnSyncText('pgrep', ['-n', '-x', binary.slice(0, 15)]).trim());
    if (pid > 0) daemonPids.add(pid);
    return pid;
  };
  return {
    async seed({ torrentPath, seedDir, host, tracker, dir }) {
      const peer = await start(binary, join(dir, 'seeder'), host);
      const pid = pidOf();
      try {
        await peer.add(torrentPath, seedDir);
        await waitFor(
          async () => (await peer.status()).done >= 1,
          60_000,
          `${binary} checking the seed`,
          peer.output,
        );
        await waitFor(() => tracker.peers > 0, 30_000, `${binary} seeder announce`, peer.output);
      } catch (error) {
        await peer.stop();
        throw error;
      }
      return {
        stop: stopWithPeakRss(pid, async () => {
          await peer.stop();
          daemonPids.delete(pid);
        }),
      };
    },
    async get({ torrentPath, folder, host, dir }) {
      const peer = await start(binary, join(dir, 'leecher'), host);
      const pid = pidOf();
      try {
        const started = performance.now();
        await peer.add(torrentPath, folder);
        let firstPeerMs = Number.NaN;
        await waitFor(
          async () => {
            const s = await peer.status();
            if (s.peers > 0 && Number.isNaN(firstPeerMs)) firstPeerMs = performance.now() - started;
            return s.done >= 1;
          },
          RUN_MS,
          `${binary} download`,
          peer.output,
        );
        return { wallMs: performance.now() - started, firstPeerMs, rssMB: peakRss(pid) };
      } finally {
        await peer.stop();
        daemonPids.delete(pid);
      }
    },
  };
}

function spawnSyncText(command, argv) {
  return spawnSync(command, argv, { encoding: 'utf8' }).stdout ?? '';
}

/** `promise`, or an error after RUN_MS naming the process and its output. */
function within(promise, p) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => {
        p.stop();
        reject(
          new Error(
            `no completion within ${RUN_MS} ms: ${p.errors().slice(-800)} ${p.output().slice(-800)}`,
          ),
        );
      }, RUN_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** SHA-1 of every piece plus one copy of it: the leecher's least work per byte, one core. */
async function singleCoreLimit(dataPath, sizeMiB) {
  const data = readFileSync(dataPath);
  const piece = new Uint8Array(PIECE);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    for (let at = 0; at < data.length; at += PIECE) {
      const end = Math.min(at + PIECE, data.length);
      piece.set(data.subarray(at, end));
      createHash('sha1')
        .update(piece.subarray(0, end - at))
        .digest();
    }
    best = Math.min(best, performance.now() - t);
  }
  return sizeMiB / (best / 1000);
}

const results = [];
const limits = {};
const loadAtStart = loadavg();
/** Writes what was measured so far (after every run: an interrupted matrix keeps its runs). */
async function writeSummary(complete) {
  const summary = {
    sizes,
    runs,
    pieceKiB: PIECE / 1024,
    seeders,
    leechers,
    limits,
    loadAtStart,
    loadAtEnd: loadavg(),
    measuredAt: new Date().toISOString(),
    complete,
    node: process.version,
    results,
  };
  await mkdir(join(here, 'results'), { recursive: true });
  await writeFile(
    join(here, 'results', `${outName}.json`),
    `${JSON.stringify(summary, null, 2)}\n`,
  );
}
const runtime = realRuntime({ host: '127.0.0.1' });
for (const sizeMiB of sizes) {
  const seedDir = join(work, `seed-${sizeMiB}`);
  await mkdir(seedDir, { recursive: true });
  const dataPath = join(seedDir, 'data.bin');
  {
    const file = await open(dataPath, 'w');
    for (let left = sizeMiB << 20; left > 0; left -= 4 << 20)
      await file.write(randomBytes(Math.min(4 << 20, left)));
    await file.close();
  }
  const expected = await sha256File(dataPath);
  {
    const held = await lock(lockFile);
    limits[sizeMiB] = await singleCoreLimit(dataPath, sizeMiB);
    await held.release();
  }
  console.log(
    `${sizeMiB} MiB: single-core limit (SHA-1 + one copy) ${limits[sizeMiB].toFixed(0)} MiB/s`,
  );
  for (const seeder of seeders) {
    // One lock per seeder's row (its leechers × runs: a few minutes), not per run: on a shared
    // machine every acquisition can wait minutes behind someone else's benchmark.
    const held = await lock(lockFile);
    for (const leecher of leechers) {
      for (let run = 0; run < runs; run++) {
        // A pair that failed its first run fails the others the same way (each up to RUN_MS).
        if (run > 0 && results.at(-1).error) break;
        const row = { sizeMiB, seeder, leecher, run, load: loadavg()[0] };
        const dir = join(work, `run-${sizeMiB}-${seeder}-${leecher}-${run}`);
        const tracker = await createTracker({
          runtime,
          http: { host: '127.0.0.1', port: 0 },
          udp: false,
          trustIp: true,
          intervalS: 5,
          minIntervalS: 1,
        });
        let seed;
        try {
          await mkdir(join(dir, 'get'), { recursive: true });
          const { torrent } = await createTorrentFromPath(dataPath, {
            hasher: runtime.hash,
            pieceLength: PIECE,
            announce: tracker.announceUrls[0],
          });
          const torrentPath = join(dir, 'data.torrent');
          await writeFile(torrentPath, torrent);
          const ctx = { torrentPath, seedDir, tracker, dir };
          seed = await CLIENTS[seeder].seed({ ...ctx, host: '127.0.0.2' });
          const r = await CLIENTS[leecher].get({
            ...ctx,
            folder: join(dir, 'get'),
            host: '127.0.0.3',
          });
          const ok = (await sha256File(join(dir, 'get', 'data.bin'))) === expected;
          if (!ok) throw new Error('SHA-256 of the download differs');
          Object.assign(row, {
            seconds: r.wallMs / 1000,
            mibps: sizeMiB / (r.wallMs / 1000),
            startupMs: r.firstPeerMs,
            transferMibps: sizeMiB / ((r.wallMs - r.firstPeerMs) / 1000),
            leecherRssMB: r.rssMB,
          });
        } catch (error) {
          row.error = String(error?.message ?? error).split('\n')[0];
        } finally {
          if (seed) row.seederRssMB = await seed.stop();
          await tracker.close();
          await rm(dir, { recursive: true, force: true });
        }
        results.push(row);
        await writeSummary(false);
        const f = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '—');
        console.log(
          row.error
            ? `${sizeMiB} MiB ${seeder} → ${leecher} #${run}: FAILED ${row.error}`
            : `${sizeMiB} MiB ${seeder} → ${leecher} #${run}: ${f(row.mibps)} MiB/s wall, first peer ${f(row.startupMs, 0)} ms, transfer ${f(row.transferMibps)} MiB/s, leecher RSS ${f(row.leecherRssMB, 0)} MB, seeder RSS ${f(row.seederRssMB, 0)} MB (load ${row.load.toFixed(1)})`,
        );
      }
    }
    await held.release();
  }
  await rm(seedDir, { recursive: true, force: true });
}
await runtime.close();

await writeSummary(true);
console.log(`wrote bench/results/${outName}.json`);
if (existsSync(work)) await rm(work, { recursive: true, force: true });
process.exit(0);
