/**
 * `p2pkit bt` and `p2pkit tracker` tried as a new user would (issue 11): each of the failures
 * the issue lists has a test here that failed before its fix. The built `p2pkit` runs in a
 * temporary folder on 127.0.0.8x with free ports; one `bt seed` serves the downloads.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BtFixture, btFixture, DEAD_TRACKER, sha } from './helpers/bt.js';
import { runCli, startCli } from './helpers/cli.js';

let f: BtFixture;

beforeAll(async () => {
  f = await btFixture('127.0.0.81', '127.0.0.82');
});
afterAll(() => f.close());

describe('issue 11: the ten failures', () => {
  it('1. bt seed --path <wrong folder>: "0 of N pieces present", exit 1, the user\'s file untouched', async () => {
    const wrong = await f.folder('wrong');
    await mkdir(join(wrong, 'share'));
    const mine = randomBytes(1000);
    await writeFile(join(wrong, 'share', 'a.bin'), mine);
    const run = await runCli(['bt', 'seed', f.torrent, '--path', wrong, '--host', '127.0.0.83']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/0 of 12 pieces present in .*wrong.*--download/);
    expect(run.stdout).toBe('');
    expect(sha(await readFile(join(wrong, 'share', 'a.bin')))).toBe(sha(mine));
    expect(await readdir(join(wrong, 'share'))).toEqual(['a.bin']);
    // A folder that does not exist: refused, and not created.
    const none = await runCli([
      'bt',
      'seed',
      f.torrent,
      '--path',
      join(f.dir, 'nope'),
      '--port',
      '0',
    ]);
    expect(none.code, none.stderr).toBe(1);
    expect(none.stderr).toMatch(/--path .*nope.*ENOENT/);
    await expect(stat(join(f.dir, 'nope'))).rejects.toThrow();
    // Told to download: it fetches what is missing (overwriting what does not match) and,
    // with --seed-time 0, stops once complete.
    const fetch = await runCli([
      'bt',
      'seed',
      f.torrent,
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
      f.seederPeer,
    ]);
    expect(fetch.code, fetch.stderr).toBe(0);
    await f.expectDownloaded(wrong);
  });

  it('2. bt get -o <a file> or <a folder that cannot be made>: the error, exit 2, no hang', async () => {
    const file = join(f.dir, 'a-file');
    await writeFile(file, 'keep me');
    const onFile = await f.get(file);
    expect(onFile.code, onFile.stderr).toBe(2);
    expect(onFile.stderr).toContain(`${file} is not a folder`);
    expect(await readFile(file, 'utf8')).toBe('keep me');
    if (process.platform === 'linux') {
      const proc = await f.get('/proc/p2pkit-cannot-be-made');
      expect(proc.code, proc.stderr).toBe(2);
      expect(proc.stderr).toMatch(/ENOENT.*\/proc\/p2pkit-cannot-be-made/);
    }
  }, 20_000);

  it("3. a larger file already at the target is cut to the torrent's length", async () => {
    const out = await f.folder('larger');
    await mkdir(join(out, 'share', 'sub'), { recursive: true });
    await writeFile(
      join(out, 'share', 'sub', 'b.bin'),
      Buffer.concat([f.content.b, randomBytes(5000)]),
    );
    const run = await f.get(out);
    expect(run.code, run.stderr).toBe(0);
    expect((await stat(join(out, 'share', 'sub', 'b.bin'))).size).toBe(f.content.b.length);
    await f.expectDownloaded(out);
  });

  it('4. a stalled download explains itself (tracker and peer state) and exits 2 on --stall-timeout / --timeout', async () => {
    const out = await f.folder('stalled');
    const args = ['bt', 'get', f.torrent, '-o', out, '--host', '127.0.0.84'];
    const stalled = await runCli([
      ...args,
      '--peer',
      '127.0.0.1:1',
      '--stall-timeout',
      '2',
      '--progress-interval',
      '500ms',
    ]);
    expect(stalled.code, stalled.stderr).toBe(2);
    // The tracker's failure is shown while waiting, and in the final line.
    expect(stalled.stderr).toContain(`tracker ${DEAD_TRACKER}: connect ECONNREFUSED`);
    expect(stalled.stderr).toMatch(/no peers \(1 known\)/);
    expect(stalled.stderr).toMatch(/no data for 2\.0 s \(--stall-timeout\): 0 of 12 pieces/);
    const late = await runCli([...args, '--timeout', '1s', '--quiet']);
    expect(late.code, late.stderr).toBe(2);
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
      // One line: the error, not the error followed by the whole usage text.
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('5. a port already taken: one line that says so and names the option, exit 1', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.84', resolve));
    const { port } = server.address() as { port: number };
    try {
      const [tracker, seed] = await Promise.all([
        runCli(['tracker', '--host', '127.0.0.84', '--http-port', String(port)]),
        runCli([
          'bt',
          'seed',
          f.torrent,
          '--path',
          join(f.dir, 'seed'),
          '--host',
          '127.0.0.84',
          '--port',
          String(port),
        ]),
      ]);
      expect(tracker.code, tracker.stderr).toBe(1);
      expect(tracker.stderr).toMatch(
        /^p2pkit tracker: cannot listen on 127\.0\.0\.84: .*EADDRINUSE.*--http-port/,
      );
      expect(seed.code, seed.stderr).toBe(1);
      expect(seed.stderr).toMatch(
        /^p2pkit bt seed: cannot listen on 127\.0\.0\.84:\d+: .*EADDRINUSE.*--port/,
      );
    } finally {
      server.close();
    }
  });

  it('8. not a terminal: periodic plain lines, one summary line (f.size, elapsed, rate, peers, ratio)', async () => {
    const out = await f.folder('plain');
    const run = await f.get(out, '--max-download-rate', '128k', '--progress-interval', '500ms');
    expect(run.code, run.stderr).toBe(0);
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
    const out = await f.folder('linked');
    const outside = await mkdtemp(join(tmpdir(), 'p2pkit-outside-'));
    try {
      await symlink(outside, join(out, 'share'));
      const run = await f.get(out, '--stall-timeout', '10');
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/leads out of|is a symlink/);
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  }, 20_000);

  it('10. a seed dials the leechers it is told of: a leecher that dials nobody still completes', async () => {
    const out = await f.folder('called');
    const leecher = startCli(['bt', 'get', f.torrent, '-o', out, '--host', '127.0.0.85']);
    const [, port] = await leecher.waitFor(/ 127\.0\.0\.85:(\d+)$/m);
    const caller = startCli([
      'bt',
      'seed',
      f.torrent,
      '--path',
      join(f.dir, 'seed'),
      '--host',
      '127.0.0.86',
      '--port',
      '0',
      '--peer',
      `127.0.0.85:${port}`,
    ]);
    try {
      expect(await leecher.exit).toBe(0);
      await f.expectDownloaded(out);
    } finally {
      expect(await caller.stop()).toBe(0);
      await leecher.stop();
    }
  });
});
