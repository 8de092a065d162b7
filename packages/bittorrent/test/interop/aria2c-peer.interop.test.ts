/**
 * Debian's aria2c (1.36) as a BitTorrent peer, both ways, over real TCP with real files; every
 * peer has its own 127.0.0.x address and peer id; files are compared by SHA-256.
 *
 * - our seeder -> aria2c leecher (aria2c finds us through our tracker and dials us: it opens
 *   with MSE, we answer and select plaintext);
 * - aria2c seeder -> our leecher, plain, MSE (plaintext selected) and MSE RC4 (ours requires it);
 * - aria2c seeder -> our leecher from a magnet link (metadata from aria2c over BEP 9).
 *
 * Skipped where aria2c is not installed; in CI (which installs it) that is a failure. Waits are real time (an external
 * process), each bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realRuntime } from '@p2pkit/core/node';
import { afterEach, expect, it } from 'vitest';
import {
  createClient,
  createTracker,
  type Torrent,
  type TorrentSettings,
} from '../../src/index.js';
import { createTorrentFromPath, fileStorage } from '../../src/node/index.js';
import { freePort, sha256File } from './external.js';
import { describeWithTools, findTool } from './tools.js';

const ARIA2C = findTool('aria2c');
const SIZE = 3 * 1024 * 1024 + 12_345;

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const ARIA_COMMON = [
  '--enable-dht=false',
  '--enable-dht6=false',
  '--bt-enable-lpd=false',
  '--enable-peer-exchange=false',
  '--disable-ipv6',
  '--console-log-level=warn',
  '--summary-interval=0',
  '--file-allocation=none',
  '--bt-tracker-interval=1',
];

interface Aria {
  child: ChildProcess;
  exit: Promise<number | null>;
  output: () => string;
}

function aria2c(args: string[]): Aria {
  const child = spawn(ARIA2C!, [...ARIA_COMMON, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, exit, output: () => output };
}

async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  debug: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what}: no result in ${ms} ms\n${debug()}`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const done = (torrent: Torrent) =>
  new Promise<void>((resolve, reject) => {
    if (torrent.complete) resolve();
    torrent.once('done', () => resolve());
    torrent.once('error', reject);
  });

/** A folder with a random file, a tracker (ours) and a torrent of the file announcing to it. */
async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'p2pkit-aria2-peer-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'seed'));
  const file = join(dir, 'seed', 'data.bin');
  await writeFile(file, randomBytes(SIZE));
  const trackerRuntime = realRuntime({ host: '127.0.0.1' });
  cleanups.push(() => trackerRuntime.close());
  const tracker = await createTracker({
    runtime: trackerRuntime,
    http: { host: '127.0.0.1', port: 0 },
    udp: false,
  });
  cleanups.push(() => tracker.close());
  const { torrent, metainfo } = await createTorrentFromPath(file, {
    announce: tracker.announceUrls[0]!,
    pieceLength: 65536,
  });
  const torrentPath = join(dir, 'data.torrent');
  await writeFile(torrentPath, torrent);
  return { dir, file, torrentPath, metainfo, tracker, expected: await sha256File(file) };
}

async function ourClient(host: string, folder: string, settings: Partial<TorrentSettings> = {}) {
  const runtime = realRuntime({ host });
  const client = await createClient({ runtime, storage: fileStorage({ folder }), settings });
  cleanups.push(async () => {
    await client.stop();
    await runtime.close();
  });
  return client;
}

async function ariaSeeder(
  setupResult: Awaited<ReturnType<typeof setup>>,
  host: string,
): Promise<{ aria: Aria; port: number }> {
  const port = await freePort(host);
  const aria = aria2c([
    `--dir=${join(setupResult.dir, 'seed')}`,
    '--check-integrity=true',
    '--seed-ratio=0.0',
    `--listen-port=${port}`,
    `--interface=${host}`,
    `--bt-external-ip=${host}`,
    setupResult.torrentPath,
  ]);
  // aria2c has verified the file once it announces.
  const deadline = Date.now() + 15_000;
  while (setupResult.tracker.peers === 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 25));
  if (setupResult.tracker.peers === 0)
    throw new Error(`aria2c seeder did not announce\n${aria.output()}`);
  return { aria, port };
}

describeWithTools('aria2c as a peer', { aria2c: ARIA2C }, () => {
  it('our seeder -> aria2c leecher (aria2c dials us with MSE)', async () => {
    const s = await setup();
    const seeder = await ourClient('127.0.0.71', join(s.dir, 'seed'));
    const seeding = await seeder.add(s.metainfo);
    const peers: string[] = [];
    seeding.on('peer', (p) => peers.push(p.encryption));
    const out = join(s.dir, 'aria-leech');
    const leecher = aria2c([
      `--dir=${out}`,
      '--seed-time=0',
      `--listen-port=${await freePort('127.0.0.72')}`,
      '--interface=127.0.0.72',
      '--bt-external-ip=127.0.0.72',
      s.torrentPath,
    ]);
    expect(await within(leecher.exit, 30_000, 'aria2c leecher', leecher.output)).toBe(0);
    expect(await sha256File(join(out, 'data.bin'))).toBe(s.expected);
    expect(peers[0]).toBe('mse-plaintext');
    expect(seeding.progress().uploaded).toBeGreaterThanOrEqual(SIZE);
  }, 60_000);

  it.each([
    ['disabled', 'plain'],
    ['enabled', 'mse-plaintext'],
    ['required', 'mse-rc4'],
  ] as const)(
    'aria2c seeder -> our leecher, encryption %s (%s)',
    async (encryption, expected) => {
      const s = await setup();
      const { aria, port } = await ariaSeeder(s, '127.0.0.73');
      const out = join(s.dir, 'our-leech');
      const leecher = await ourClient('127.0.0.74', out, { encryption, announce: false });
      const torrent = await leecher.add(s.metainfo, { peers: [{ host: '127.0.0.73', port }] });
      const peers: string[] = [];
      torrent.on('peer', (p) => peers.push(p.encryption));
      await within(done(torrent), 30_000, 'our leecher', aria.output);
      expect(await sha256File(join(out, 'data.bin'))).toBe(s.expected);
      expect(peers).toEqual([expected]);
    },
    60_000,
  );

  it('aria2c seeder -> our leecher from a magnet link (metadata over BEP 9)', async () => {
    const s = await setup();
    const { aria, port } = await ariaSeeder(s, '127.0.0.75');
    const out = join(s.dir, 'magnet-leech');
    const leecher = await ourClient('127.0.0.76', out, { announce: false });
    const torrent = await leecher.add(`magnet:?xt=urn:btih:${s.metainfo.infoHashHex}`, {
      peers: [{ host: '127.0.0.75', port }],
    });
    await within(done(torrent), 30_000, 'our magnet leecher', aria.output);
    expect(torrent.metainfo?.infoHashHex).toBe(s.metainfo.infoHashHex);
    expect(await sha256File(join(out, 'data.bin'))).toBe(s.expected);
  }, 60_000);
});
