import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrackerClient, parseMetainfo } from '@p2pkit/bittorrent';
import { realRuntime } from '@p2pkit/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, runCli as run } from './helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pkit-cli-bt-'));
  await mkdir(join(dir, 'share', 'sub'), { recursive: true });
  await writeFile(join(dir, 'share', 'a.bin'), randomBytes(100_000));
  await writeFile(join(dir, 'share', 'sub', 'b.txt'), 'hello');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('p2pkit bt create', () => {
  it('writes a torrent whose info-hash it prints', async () => {
    const out = join(dir, 'share.torrent');
    const before = Math.floor(Date.now() / 1000);
    const result = await run([
      'bt',
      'create',
      join(dir, 'share'),
      '--announce',
      'http://127.0.0.1:1/announce',
      '--announce',
      'udp://127.0.0.1:2',
      '--piece-length',
      '32k',
      '-o',
      out,
    ]);
    expect(result.code).toBe(0);
    const meta = parseMetainfo(await readFile(out));
    expect(result.stdout).toContain(`info hash   ${meta.infoHashHex}`);
    expect(meta.pieceLength).toBe(32768);
    expect(meta.announceList).toEqual([['http://127.0.0.1:1/announce'], ['udp://127.0.0.1:2']]);
    expect(meta.files.map((f) => f.path.join('/'))).toEqual(['share/a.bin', 'share/sub/b.txt']);
    // The command stamps the time it made the torrent (the library itself reads no clock).
    expect(meta.creationDate).toBeGreaterThanOrEqual(before);
    expect(meta.creationDate).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it('exits 1 with a message on a missing path or a bad piece length', async () => {
    const missing = await run([
      'bt',
      'create',
      join(dir, 'nope'),
      '--announce',
      'http://x/announce',
      '-o',
      join(dir, 'x.torrent'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ENOENT');
    const bad = await run([
      'bt',
      'create',
      join(dir, 'share'),
      '--announce',
      'http://x/announce',
      '--piece-length',
      '1000',
      '-o',
      join(dir, 'x.torrent'),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('piece length');
    const noAnnounce = await run([
      'bt',
      'create',
      join(dir, 'share'),
      '-o',
      join(dir, 'x.torrent'),
    ]);
    expect(noAnnounce.code).not.toBe(0);
  });
});

describe('p2pkit tracker', () => {
  it('prints its announce URLs, serves announces over HTTP and UDP, exits 0 on SIGTERM', async () => {
    const child: ChildProcess = spawn(process.execPath, [bin, 'tracker', '--host', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let stdout = '';
    const urls = await new Promise<string[]>((resolve, reject) => {
      child.stdout!.on('data', (c) => {
        stdout += c;
        const lines = stdout.split('\n').filter((l) => l.length > 0);
        if (lines.length >= 2) resolve(lines);
      });
      child.on('exit', () => reject(new Error(`tracker exited early: ${stdout}`)));
    });
    expect(urls[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/announce$/);
    expect(urls[1]).toMatch(/^udp:\/\/127\.0\.0\.1:\d+\/announce$/);
    const runtime = realRuntime();
    const client = createTrackerClient({ runtime });
    try {
      for (const url of urls) {
        const base = { infoHash: new Uint8Array(20).fill(1), uploaded: 0, downloaded: 0, left: 1 };
        await client.announce(url, { ...base, peerId: new Uint8Array(20).fill(2), port: 1111 });
        const reply = await client.announce(url, {
          ...base,
          peerId: new Uint8Array(20).fill(3),
          port: 2222,
        });
        expect(reply.peers.map((p) => p.port)).toContain(1111);
      }
    } finally {
      await client.close();
      await runtime.close();
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
