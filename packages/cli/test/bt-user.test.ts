/**
 * `p2pkit bt` and `p2pkit tracker` tried as a new user would (issue 11): each of the failures the
 * issue lists, and what aria2c, Transmission and WebTorrent users expect (bt info, --json,
 * --quiet, rate limits, --seed-ratio/--seed-time, the current folder by default, DEBUG logs).
 * Every run is the built `p2pkit` in a temporary folder, on 127.0.0.x with free ports; one
 * seeder (`bt seed`) serves the downloads.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, runCli, startCli } from './helpers/cli.js';

const DEAD_TRACKER = 'http://127.0.0.1:9/announce';
const content = { a: randomBytes(300_000), b: randomBytes(70_001) };
const size = content.a.length + content.b.length;
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

let dir: string;
let torrent: string;
let seeder: CliProcess;
let seederPeer: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pkit-cli-btuser-'));
  await mkdir(join(dir, 'seed', 'share', 'sub'), { recursive: true });
  await writeFile(join(dir, 'seed', 'share', 'a.bin'), content.a);
  await writeFile(join(dir, 'seed', 'share', 'sub', 'b.bin'), content.b);
  torrent = join(dir, 'share.torrent');
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
  expect(created.code).toBe(0);
  seeder = startCli([
    'bt',
    'seed',
    torrent,
    '--path',
    join(dir, 'seed'),
    '--host',
    '127.0.0.81',
    '--port',
    '0',
  ]);
  const [, port] = await seeder.waitFor(/ 127\.0\.0\.81:(\d+)$/m);
  seederPeer = `127.0.0.81:${port}`;
});

afterAll(async () => {
  expect(await seeder.stop()).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

/** A fresh folder under the test's temporary folder. */
async function folder(name: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(path, { recursive: true });
  return path;
}

/** `bt get` of the shared torrent from the seeder, into `out`, from 127.0.0.82. */
function get(out: string, ...more: string[]) {
  return runCli([
    'bt',
    'get',
    torrent,
    '-o',
    out,
    '--host',
    '127.0.0.82',
    '--peer',
    seederPeer,
    ...more,
  ]);
}

async function expectDownloaded(out: string) {
  expect(sha(await readFile(join(out, 'share', 'a.bin')))).toBe(sha(content.a));
  expect(sha(await readFile(join(out, 'share', 'sub', 'b.bin')))).toBe(sha(content.b));
}

describe('issue 11: the ten failures', () => {
  it('1. bt seed --path <wrong folder>: "0 of N pieces present", exit 1, the user\'s file untouched', async () => {
    const wrong = await folder('wrong');
    await mkdir(join(wrong, 'share'));
    const mine = randomBytes(1000);
    await writeFile(join(wrong, 'share', 'a.bin'), mine);
    const run = await runCli(['bt', 'seed', torrent, '--path', wrong, '--host', '127.0.0.83']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/0 of 12 pieces present in .*wrong.*--download/);
    expect(run.stdout).toBe('');
    expect(sha(await readFile(join(wrong, 'share', 'a.bin')))).toBe(sha(mine));
    expect(await readdir(join(wrong, 'share'))).toEqual(['a.bin']);
    // A folder that does not exist: refused, and not created.
    const none = await runCli(['bt', 'seed', torrent, '--path', join(dir, 'nope'), '--port', '0']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/--path .*nope.*ENOENT/);
    await expect(stat(join(dir, 'nope'))).rejects.toThrow();
    // Told to download: it fetches what is missing (overwriting what does not match) and,
    // with --seed-time 0, stops once complete.
    const fetch = await runCli([
      'bt',
      'seed',
      torrent,
      '--path',
      wrong,
      '--download',
      '--seed-time',
      '0',
      '--host',
      '127.0.0.83',
      '--port',
      '0',
      '--peer',
      seederPeer,
    ]);
    expect(fetch.code).toBe(0);
    await expectDownloaded(wrong);
  });

  it('2. bt get -o <a file> or <a folder that cannot be made>: the error, exit 2, no hang', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'keep me');
    const onFile = await get(file);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toContain(`${file} is not a folder`);
    expect(await readFile(file, 'utf8')).toBe('keep me');
    if (process.platform === 'linux') {
      const proc = await get('/proc/p2pkit-cannot-be-made');
      expect(proc.code).toBe(2);
      expect(proc.stderr).toMatch(/ENOENT.*\/proc\/p2pkit-cannot-be-made/);
    }
  }, 20_000);

  it("3. a larger file already at the target is cut to the torrent's length", async () => {
    const out = await folder('larger');
    await mkdir(join(out, 'share', 'sub'), { recursive: true });
    await writeFile(
      join(out, 'share', 'sub', 'b.bin'),
      Buffer.concat([content.b, randomBytes(5000)]),
    );
    const run = await get(out);
    expect(run.code).toBe(0);
    expect((await stat(join(out, 'share', 'sub', 'b.bin'))).size).toBe(content.b.length);
    await expectDownloaded(out);
  });

  it('4. a stalled download explains itself (tracker and peer state) and exits 2 on --stall-timeout / --timeout', async () => {
    const out = await folder('stalled');
    const args = ['bt', 'get', torrent, '-o', out, '--host', '127.0.0.84'];
    const stalled = await runCli([
      ...args,
      '--peer',
      '127.0.0.1:1',
      '--stall-timeout',
      '2',
      '--progress-interval',
      '500ms',
    ]);
    expect(stalled.code).toBe(2);
    // The tracker's failure is shown while waiting, and in the final line.
    expect(stalled.stderr).toContain(`tracker ${DEAD_TRACKER}: connect ECONNREFUSED`);
    expect(stalled.stderr).toMatch(/no peers \(1 known\)/);
    expect(stalled.stderr).toMatch(/no data for 2\.0 s \(--stall-timeout\): 0 of 12 pieces/);
    const late = await runCli([...args, '--timeout', '1s', '--quiet']);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/not complete after 1\.0 s \(--timeout\)/);
    // --quiet: errors only, nothing else on stderr.
    expect(late.stderr.trim().split('\n')).toHaveLength(1);
  }, 20_000);

  it('5/9. a bad option value: one line naming the option, exit 1, no stack trace', async () => {
    const cases: [string[], string][] = [
      [['bt', 'get', 'x.torrent', '--port', '-1'], '--port'],
      [['bt', 'get', 'x.torrent', '--port', '70000'], '--port'],
      [['bt', 'seed', 'x.torrent', '--path', '.', '--port', 'abc'], '--port'],
      [['tracker', '--http-port', '70000'], '--http-port'],
      [['tracker', '--udp-port', 'abc'], '--udp-port'],
      [['bt', 'get', 'x.torrent', '--max-download-rate', 'fast'], '--max-download-rate'],
      [['bt', 'get', 'x.torrent', '--timeout', '-5'], '--timeout'],
      [['tour', '--timeout', '-5'], '--timeout'],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args)));
    for (const [i, run] of runs.entries()) {
      const [args, option] = cases[i]!;
      expect(run.code, args.join(' ')).toBe(1);
      const first = run.stderr.split('\n')[0]!;
      expect(first, args.join(' ')).toMatch(/^error: /);
      expect(first, args.join(' ')).toContain(option);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('8. not a terminal: periodic plain lines, one summary line (size, elapsed, rate, peers, ratio)', async () => {
    const out = await folder('plain');
    const run = await get(out, '--max-download-rate', '128k', '--progress-interval', '500ms');
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('\r');
    const lines = run.stderr.trim().split('\n');
    const progress = lines.filter((l) => /% .* of 361\.3 KiB, down/.test(l));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const summaries = lines.filter((l) => l.includes('complete, every piece verified'));
    expect(summaries).toHaveLength(1);
    expect(lines.at(-1)).toBe(summaries[0]);
    expect(summaries[0]).toMatch(
      /^p2pkit bt get: share: complete, every piece verified: 361\.3 KiB, \d+\.\d s, average [\d.]+ KiB\/s down, 1 peer, uploaded 0 B \(ratio 0\.00\)$/,
    );
    expect(run.stderr).not.toMatch(/\b1 peers\b/);
  });

  it('9. a symlink inside -o that leads out: refused, nothing created outside', async () => {
    const out = await folder('linked');
    const outside = await mkdtemp(join(tmpdir(), 'p2pkit-outside-'));
    try {
      await symlink(outside, join(out, 'share'));
      const run = await get(out, '--stall-timeout', '10');
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/leads out of|is a symlink/);
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  }, 20_000);

  it('10. a seed dials the leechers it is told of: a leecher that dials nobody still completes', async () => {
    const out = await folder('called');
    const leecher = startCli(['bt', 'get', torrent, '-o', out, '--host', '127.0.0.85']);
    const [, port] = await leecher.waitFor(/ 127\.0\.0\.85:(\d+)$/m);
    const caller = startCli([
      'bt',
      'seed',
      torrent,
      '--path',
      join(dir, 'seed'),
      '--host',
      '127.0.0.86',
      '--port',
      '0',
      '--peer',
      `127.0.0.85:${port}`,
    ]);
    try {
      expect(await leecher.exit).toBe(0);
      await expectDownloaded(out);
    } finally {
      expect(await caller.stop()).toBe(0);
      await leecher.stop();
    }
  });
});

describe('what aria2c, Transmission and WebTorrent users expect', () => {
  it('bt info: name, files, sizes, pieces, info-hash, trackers; --json; a magnet link too', async () => {
    const text = await runCli(['bt', 'info', torrent]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^name {8}share$/m);
    expect(text.stdout).toMatch(/^pieces {6}12 x 32\.0 KiB \(32768 bytes\)$/m);
    expect(text.stdout).toMatch(/^ {2}share\/sub\/b\.bin +68\.4 KiB \(70001 bytes\)$/m);
    expect(text.stdout).toContain(`trackers    tier 1: ${DEAD_TRACKER}`);
    const json = JSON.parse((await runCli(['bt', 'info', torrent, '--json'])).stdout);
    expect(json).toMatchObject({
      source: 'torrent',
      name: 'share',
      length: size,
      pieceLength: 32768,
      pieceCount: 12,
      files: [
        { path: 'share/a.bin', length: content.a.length },
        { path: 'share/sub/b.bin', length: content.b.length },
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
    const bad = await runCli(['bt', 'info', join(dir, 'missing.torrent')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^p2pkit bt info: .*missing\.torrent: ENOENT/);
  });

  it('--json: JSON Lines on stdout, progress events, one result object last; --quiet: silence', async () => {
    const out = await folder('json');
    const run = await get(out, '--json', '--progress-interval', '200ms');
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ type: 'started', name: 'share' });
    expect(events.some((e) => e.type === 'progress' && e.length === size)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: 'result',
      status: 'complete',
      length: size,
      piecesDone: 12,
      pieceCount: 12,
      peers: 1,
      exitCode: 0,
    });
    expect(run.stderr).toBe('');
    const quiet = await get(await folder('quiet'), '--quiet');
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('--max-download-rate holds a download to the limit (beyond a one-second burst)', async () => {
    const out = await folder('limited');
    const run = await get(out, '--max-download-rate', '100k', '--json');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    // 361 KiB at 100 KiB/s after a 100 KiB burst: at least 2.6 s (a bound, not a speed test).
    expect(result.elapsedMs).toBeGreaterThanOrEqual(((size - 102_400) / 102_400) * 1000);
    await expectDownloaded(out);
  });

  it('--seed-time and --seed-ratio end seeding by themselves, exit 0', async () => {
    const out = await folder('seedtime');
    const timed = await get(out, '--seed-time', '1s');
    expect(timed.code).toBe(0);
    expect(timed.stderr).toMatch(/seeding until 1\.0 s/);
    expect(timed.stderr).toMatch(/complete, every piece verified, seeding goal reached/);
    // A seed that stops once it has uploaded the whole file once.
    const ratio = startCli([
      'bt',
      'seed',
      torrent,
      '--path',
      join(dir, 'seed'),
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
      torrent,
      '-o',
      await folder('from-ratio'),
      '--host',
      '127.0.0.88',
      '--peer',
      `127.0.0.87:${port}`,
    ]);
    expect(leech.code).toBe(0);
    expect(await ratio.exit).toBe(0);
    expect(ratio.stderr()).toMatch(/seeding goal reached: .*ratio 1\.00/);
  });

  it('without -o, bt get downloads into the current folder', async () => {
    const here = await folder('cwd');
    const run = await runCli(
      ['bt', 'get', torrent, '--host', '127.0.0.89', '--peer', seederPeer, '-q'],
      { cwd: here },
    );
    expect(run.code).toBe(0);
    await expectDownloaded(here);
  });

  it('DEBUG=p2pkit:bittorrent*,p2pkit:tracker* explains connections and tracker traffic', async () => {
    const run = await runCli(
      [
        'bt',
        'get',
        torrent,
        '-o',
        await folder('debug'),
        '--host',
        '127.0.0.90',
        '--peer',
        seederPeer,
        '-q',
      ],
      { env: { DEBUG: 'p2pkit:bittorrent*,p2pkit:tracker*' } },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`p2pkit:tracker:announce ${DEAD_TRACKER}: started`);
    expect(run.stderr).toContain(
      `p2pkit:tracker:announce ${DEAD_TRACKER} failed: connect ECONNREFUSED`,
    );
    expect(run.stderr).toContain(`p2pkit:bittorrent:dial dial ${seederPeer}`);
    expect(run.stderr).toContain(`p2pkit:bittorrent:peer connected to ${seederPeer}`);
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
