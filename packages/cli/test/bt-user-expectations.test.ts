/**
 * What aria2c, Transmission and WebTorrent users expect of `p2pkit bt` and `p2pkit tracker`
 * (issue 11): bt info, --json, --quiet, rate limits, --seed-ratio/--seed-time, the current
 * folder by default, DEBUG logs. The built `p2pkit` in a temporary folder on 127.0.0.9x.
 */

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BtFixture, btFixture, DEAD_TRACKER } from './helpers/bt.js';
import { runCli, startCli } from './helpers/cli.js';

let f: BtFixture;

beforeAll(async () => {
  f = await btFixture('127.0.0.92', '127.0.0.93');
});
afterAll(() => f.close());

describe('what aria2c, Transmission and WebTorrent users expect', () => {
  it('bt info: name, files, sizes, pieces, info-hash, trackers; --json; a magnet link too', async () => {
    const text = await runCli(['bt', 'info', f.torrent]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^name {8}share$/m);
    expect(text.stdout).toMatch(/^pieces {6}12 x 32\.0 KiB \(32768 bytes\)$/m);
    expect(text.stdout).toMatch(/^ {2}share\/sub\/b\.bin +68\.4 KiB \(70001 bytes\)$/m);
    expect(text.stdout).toContain(`trackers    tier 1: ${DEAD_TRACKER}`);
    const json = JSON.parse((await runCli(['bt', 'info', f.torrent, '--json'])).stdout);
    expect(json).toMatchObject({
      source: 'torrent',
      name: 'share',
      length: f.size,
      pieceLength: 32768,
      pieceCount: 12,
      files: [
        { path: 'share/a.bin', length: f.content.a.length },
        { path: 'share/sub/b.bin', length: f.content.b.length },
      ],
      trackers: [[DEAD_TRACKER]],
    });
    expect(json.infoHash).toMatch(/^[0-9a-f]{40}$/);
    const magnet = JSON.parse(
      (
        await runCli([
          'bt',
          'info',
          `magnet:?xt=urn:btih:${json.infoHash}&dn=x&x.pe=1.2.3.4:5`,
          '--json',
        ])
      ).stdout,
    );
    expect(magnet).toMatchObject({
      source: 'magnet',
      infoHash: json.infoHash,
      name: 'x',
      files: null,
      peers: ['1.2.3.4:5'],
    });
    const bad = await runCli(['bt', 'info', join(f.dir, 'missing.torrent')]);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/^p2pkit bt info: .*missing\.torrent: ENOENT/);
  });

  it('bt create never replaces a file without --force; --json gives the bt info fields', async () => {
    const out = join(await f.folder('create'), 'mine.jpg');
    await writeFile(out, 'a photo, not a torrent');
    const args = [
      'bt',
      'create',
      join(f.dir, 'seed', 'share'),
      '--announce',
      DEAD_TRACKER,
      '-o',
      out,
    ];
    const refused = await runCli(args);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`${out} exists (--force replaces it)`);
    expect(await readFile(out, 'utf8')).toBe('a photo, not a torrent');
    const forced = await runCli([...args, '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    const info = JSON.parse(forced.stdout);
    expect(info).toMatchObject({
      output: out,
      name: 'share',
      length: f.size,
      trackers: [[DEAD_TRACKER]],
    });
    expect((await runCli(['bt', 'info', out, '--json'])).stdout).toContain(info.infoHash);
  });

  it('--json: JSON Lines on stdout, progress events, one result object last; --quiet: silence', async () => {
    const out = await f.folder('json');
    const run = await f.get(out, '--json', '--progress-interval', '200ms');
    expect(run.code, run.stderr).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ type: 'started', name: 'share' });
    expect(events.some((e) => e.type === 'progress' && e.length === f.size)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: 'result',
      status: 'complete',
      length: f.size,
      piecesDone: 12,
      pieceCount: 12,
      peers: 1,
      exitCode: 0,
    });
    expect(run.stderr).toBe('');
    const quiet = await f.get(await f.folder('quiet'), '--quiet');
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('--max-download-rate holds a download to the limit (beyond a one-second burst)', async () => {
    const out = await f.folder('limited');
    const run = await f.get(out, '--max-download-rate', '100k', '--json');
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    // 361 KiB at 100 KiB/s after a 100 KiB burst: at least 2.6 s (a bound, not a speed test).
    expect(result.elapsedMs).toBeGreaterThanOrEqual(((f.size - 102_400) / 102_400) * 1000);
    await f.expectDownloaded(out);
  });

  it('--seed-time and --seed-ratio end seeding by themselves, exit 0', async () => {
    const out = await f.folder('seedtime');
    const timed = await f.get(out, '--seed-time', '1s');
    expect(timed.code, timed.stderr).toBe(0);
    expect(timed.stderr).toMatch(/seeding until 1\.0 s/);
    expect(timed.stderr).toMatch(/complete, every piece verified, seeding goal reached/);
    // A seed that stops once it has uploaded the whole file once.
    const ratio = startCli([
      'bt',
      'seed',
      f.torrent,
      '--path',
      join(f.dir, 'seed'),
      '--host',
      '127.0.0.87',
      '--port',
      '0',
      '--seed-ratio',
      '1',
    ]);
    const [, port] = await ratio.waitFor(/ 127\.0\.0\.87:(\d+)$/m);
    const leech = await runCli([
      'bt',
      'get',
      f.torrent,
      '-o',
      await f.folder('from-ratio'),
      '--host',
      '127.0.0.88',
      '--peer',
      `127.0.0.87:${port}`,
    ]);
    expect(leech.code, leech.stderr).toBe(0);
    expect(await ratio.exit).toBe(0);
    expect(ratio.stderr()).toMatch(/seeding goal reached: .*ratio 1\.00/);
  });

  it('without -o, bt get downloads into the current folder', async () => {
    const here = await f.folder('cwd');
    const run = await runCli(
      ['bt', 'get', f.torrent, '--host', '127.0.0.89', '--peer', f.seederPeer, '-q'],
      { cwd: here },
    );
    expect(run.code, run.stderr).toBe(0);
    await f.expectDownloaded(here);
  });

  it('DEBUG=p2pkit:bittorrent*,p2pkit:tracker* explains connections and tracker traffic', async () => {
    const run = await runCli(
      [
        'bt',
        'get',
        f.torrent,
        '-o',
        await f.folder('debug'),
        '--host',
        '127.0.0.90',
        '--peer',
        f.seederPeer,
        '-q',
      ],
      { env: { DEBUG: 'p2pkit:bittorrent*,p2pkit:tracker*' } },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`p2pkit:tracker:announce ${DEAD_TRACKER}: started`);
    expect(run.stderr).toContain(
      `p2pkit:tracker:announce ${DEAD_TRACKER} failed: connect ECONNREFUSED`,
    );
    expect(run.stderr).toContain(`p2pkit:bittorrent:dial dial ${f.seederPeer}`);
    expect(run.stderr).toContain(`p2pkit:bittorrent:peer connected to ${f.seederPeer}`);
  });

  it('tracker --json: the URLs, counts, and a result on SIGTERM', async () => {
    const tracker = startCli(['tracker', '--host', '127.0.0.91', '--json']);
    const [line] = await tracker.waitFor(/^\{"type":"listening".*\}$/m);
    const listening = JSON.parse(line);
    expect(listening.announce[0]).toMatch(/^http:\/\/127\.0\.0\.91:\d+\/announce$/);
    const scrape = await fetch(listening.announce[0].replace('/announce', '/scrape'));
    expect(scrape.status).toBe(200);
    expect(await tracker.stop()).toBe(0);
    const last = JSON.parse(tracker.stdout().trim().split('\n').at(-1)!);
    expect(last).toMatchObject({ type: 'result', signal: 'SIGTERM', scrapes: 1, announces: 0 });
  });
});
