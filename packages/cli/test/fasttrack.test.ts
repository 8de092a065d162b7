import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, runCli, startCli } from './helpers/cli.js';

async function startNode(args: string[]): Promise<{ proc: CliProcess; address: string }> {
  const proc = startCli(['fasttrack', 'start', '--port', '0', ...args]);
  const m = await proc.waitFor(/^listening (\S+) (\S+) /m, 20_000);
  return { proc, address: m[1]! };
}

const sha = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

describe('p2pkit fasttrack (real nodes on 127.0.0.1)', () => {
  let dir: string;
  let sn: Awaited<ReturnType<typeof startNode>>;
  let a: Awaited<ReturnType<typeof startNode>>;
  let b: Awaited<ReturnType<typeof startNode>>;
  const album = new Uint8Array(700_000).map((_, i) => (i * 7 + (i >>> 9)) & 0xff);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pkit-fasttrack-'));
    for (const d of ['sn', 'a', 'b', 'out']) await mkdir(join(dir, d));
    await writeFile(join(dir, 'sn', 'readme.txt'), 'hello');
    await writeFile(join(dir, 'a', 'Best Album.flac'), album);
    await writeFile(join(dir, 'b', 'Best Album.flac'), album);
    sn = await startNode(['--share', join(dir, 'sn'), '--supernode']);
    a = await startNode(['--share', join(dir, 'a'), '--peer', sn.address]);
    b = await startNode([
      '--share',
      join(dir, 'b'),
      '--ordinary',
      '--firewalled',
      '--peer',
      sn.address,
    ]);
    await a.proc.waitFor(/^parent /m, 10_000, 'stderr');
    await b.proc.waitFor(/^parent /m, 10_000, 'stderr');
  }, 30_000);

  afterAll(async () => {
    for (const n of [a, b, sn]) await n?.proc.stop('SIGINT');
    await rm(dir, { recursive: true, force: true });
  });

  it('start: the first node with --supernode is one; children attach to it', () => {
    expect(sn.proc.stdout()).toMatch(/ supernode sharing 1 file/);
    expect(a.proc.stdout()).toMatch(/ ordinary sharing 1 file/);
    expect(sn.proc.stderr()).toMatch(/^child /m);
  });

  it('search --json: both holders, through the supernode', async () => {
    const run = await runCli(['fasttrack', 'search', '--via', sn.address, 'best album', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r.results.length).toBe(2);
    expect(r.results.map((x: { firewalled: boolean }) => x.firewalled).sort()).toEqual([
      false,
      true,
    ]);
    expect(r.results[0].uuhash).toMatch(/^[0-9a-f]{40}$/);
    const none = await runCli(['fasttrack', 'search', '--via', sn.address, 'nothing-like-this']);
    expect(none.code).toBe(1);
  });

  it('get: downloads the file found through another ordinary node, verifies it, never replaces a file', async () => {
    const out = join(dir, 'out');
    const run = await runCli([
      'fasttrack',
      'get',
      '--via',
      a.address,
      'best album',
      '--out',
      out,
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r.size).toBe(album.length);
    expect(r.rejected).toEqual([]);
    expect(sha(await readFile(join(out, 'Best Album.flac')))).toBe(sha(album));
    const again = await runCli([
      'fasttrack',
      'get',
      '--via',
      sn.address,
      'best album',
      '--out',
      out,
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    expect(await readdir(out)).toEqual(['Best Album.flac']);
  });

  it('a dead peer, a wrong folder and bad values: one line each, no stack trace', async () => {
    const dead = await runCli(['fasttrack', 'search', '--via', '127.0.0.1:1', 'x']);
    expect(dead.code).toBe(2);
    expect(dead.stderr.trim().split('\n').length).toBe(1);
    const folder = await runCli(['fasttrack', 'start', '--share', join(dir, 'missing')]);
    expect(folder.code).toBe(1);
    expect(folder.stderr).toMatch(/cannot open --share/);
    expect(folder.stderr).not.toMatch(/\n\s+at /);
    const both = await runCli(['fasttrack', 'start', '--share', dir, '--supernode', '--ordinary']);
    expect(both.code).toBe(1);
  });
});
