/**
 * A BitTorrent fixture for CLI tests: a folder with a two-file torrent (370,001 bytes, 12 pieces
 * of 32 KiB, announced to a dead tracker) made by `p2pkit bt create`, and a `p2pkit bt seed`
 * serving it on `host` (127.0.0.x, a free port). `get()` downloads it with `p2pkit bt get`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type CliProcess, type CliResult, runCli, startCli } from './cli.js';

export const DEAD_TRACKER = 'http://127.0.0.1:9/announce';

export const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export interface BtFixture {
  dir: string;
  torrent: string;
  content: { a: Uint8Array; b: Uint8Array };
  size: number;
  seeder: CliProcess;
  /** `127.0.0.x:port` of the seeder. */
  seederPeer: string;
  /** A fresh folder under `dir`. */
  folder(name: string): Promise<string>;
  /** `bt get` of the torrent from the seeder into `out`, from `getHost`. */
  get(out: string, ...more: string[]): Promise<CliResult>;
  /** The downloaded files equal the torrent's. */
  expectDownloaded(out: string): Promise<void>;
  /** Stops the seeder (exit 0 expected) and removes the folder. */
  close(): Promise<void>;
}

export async function btFixture(seedHost: string, getHost: string): Promise<BtFixture> {
  const content = { a: randomBytes(300_000), b: randomBytes(70_001) };
  const dir = await mkdtemp(join(tmpdir(), 'p2pkit-cli-bt-'));
  await mkdir(join(dir, 'seed', 'share', 'sub'), { recursive: true });
  await writeFile(join(dir, 'seed', 'share', 'a.bin'), content.a);
  await writeFile(join(dir, 'seed', 'share', 'sub', 'b.bin'), content.b);
  const torrent = join(dir, 'share.torrent');
  const created = await runCli([
    'bt',
    'create',
    join(dir, 'seed', 'share'),
    '--announce',
    DEAD_TRACKER,
    '--piece-length',
    '32k',
    '-o',
    torrent,
  ]);
  expect(created.code, created.stderr).toBe(0);
  const seeder = startCli([
    'bt',
    'seed',
    torrent,
    '--path',
    join(dir, 'seed'),
    '--host',
    seedHost,
    '--port',
    '0',
  ]);
  const [, port] = await seeder.waitFor(
    new RegExp(` ${seedHost.replaceAll('.', '\\.')}:(\\d+)$`, 'm'),
  );
  const seederPeer = `${seedHost}:${port}`;
  return {
    dir,
    torrent,
    content,
    size: content.a.length + content.b.length,
    seeder,
    seederPeer,
    async folder(name) {
      const path = join(dir, name);
      await mkdir(path, { recursive: true });
      return path;
    },
    get(out, ...more) {
      return runCli([
        'bt',
        'get',
        torrent,
        '-o',
        out,
        '--host',
        getHost,
        '--peer',
        seederPeer,
        ...more,
      ]);
    },
    async expectDownloaded(out) {
      expect(sha(await readFile(join(out, 'share', 'a.bin')))).toBe(sha(content.a));
      expect(sha(await readFile(join(out, 'share', 'sub', 'b.bin')))).toBe(sha(content.b));
    },
    async close() {
      expect(await seeder.stop()).toBe(0);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
