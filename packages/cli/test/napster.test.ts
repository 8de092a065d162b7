/**
 * `p2pkit napster`, run as a user would: the built binary in child processes, real TCP on
 * 127.0.0.1 (free ports only), Ctrl-C, bad values, a dead server. `p2pkit sim napster` is in
 * napster-sim.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryFolder } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { createNapsterClient } from '@p2pkit/napster';
import { afterEach, describe, expect, it } from 'vitest';
import { bin, runCli } from './helpers/cli.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `p2pkit napster server` on free ports; resolves with its address once it listens. */
async function startServer(): Promise<{
  child: ChildProcess;
  address: string;
  output: () => string;
}> {
  const child = spawn(
    process.execPath,
    [bin, 'napster', 'server', '--port', '0', '--metaserver-port', '0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /napster server on (127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`server exited: ${out}`)));
  });
  return { child, address, output: () => out };
}

describe('p2pkit napster', () => {
  it('server + search: finds what a client shares (text and --json), then stops on Ctrl-C', async () => {
    const server = await startServer();
    const [host, port] = server.address.split(':') as [string, string];
    const runtime = realRuntime({ host: '127.0.0.1' });
    const sharer = createNapsterClient({
      runtime,
      server: { host, port: Number(port) },
      nick: 'alice',
      dataPort: 0,
      linkType: 8,
      folder: createMemoryFolder({
        files: { 'Sneaker Pimps - Tesko Suicide.mp3': new Uint8Array(1000) },
      }),
    });
    try {
      await sharer.connect();
      await sharer.share([
        { filename: 'Sneaker Pimps - Tesko Suicide.mp3', size: 1000, bitrate: 128 },
      ]);
      const text = await runCli(['napster', 'search', '--server', server.address, 'tesko']);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        /^alice\s+0\.0 MiB\s+128 kbps {2}Sneaker Pimps - Tesko Suicide\.mp3$/m,
      );
      expect(text.stdout).toMatch(/^1 result for "tesko"$/m);
      const json = await runCli([
        'napster',
        'search',
        '--server',
        server.address,
        'sneaker pimps',
        '--json',
      ]);
      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.stdout);
      expect(parsed.results).toEqual([
        {
          nick: 'alice',
          filename: 'Sneaker Pimps - Tesko Suicide.mp3',
          md5: '00000000000000000000000000000000',
          size: 1000,
          bitrate: 128,
          frequency: 0,
          duration: 0,
          ip: '127.0.0.1',
          linkType: 8,
        },
      ]);
      const none = await runCli([
        'napster',
        'search',
        '--server',
        server.address,
        'nothing here',
        '--json',
      ]);
      expect(JSON.parse(none.stdout).results).toEqual([]);
    } finally {
      await sharer.stop();
      await runtime.close();
    }
    const exited = new Promise<number | null>((resolve) => server.child.on('exit', resolve));
    server.child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(server.output()).toMatch(/stopped after \d+ s: \d+ logins, 3 searches, 2 results/);
  }, 60_000);

  it('a dead server: one clear line, exit 1', async () => {
    const r = await runCli(['napster', 'search', '--server', '127.0.0.1:9', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'p2pkit: cannot reach the napster server at 127.0.0.1:9: connection refused',
    );
    expect(r.stderr).not.toMatch(/at .*\.js/);
  });

  it('bad values: one line naming the option, exit 1', async () => {
    const port = await runCli(['napster', 'server', '--port', '99999']);
    expect(port.code).toBe(1);
    expect(port.stderr).toMatch(/--port/);
    const server = await runCli(['napster', 'search', '--server', 'nowhere', 'x']);
    expect(server.code).toBe(1);
    expect(server.stderr).toMatch(/expected host:port/);
    const quote = await runCli(['napster', 'search', '--server', '127.0.0.1:9', 'a"b']);
    expect(quote.stderr.trim()).toBe('p2pkit: search words cannot contain a double quote');
    const empty = await runCli(['napster', 'search', '--server', '127.0.0.1:9', ' ']);
    expect(empty.code).toBe(1);
    expect(empty.stderr.trim()).toBe('p2pkit: give at least one word to search for');
    const nick = await runCli([
      'napster',
      'share',
      '--server',
      '127.0.0.1:9',
      '--nick',
      'a b',
      '--dir',
      '.',
    ]);
    expect(nick.code).toBe(1);
    expect(nick.stderr.trim()).toBe(
      'p2pkit: nick must be a non-empty word without spaces or quotes: "a b"',
    );
  });

  it('a server port in use: one clear line, exit 1', async () => {
    const server = await startServer();
    const r = await runCli([
      'napster',
      'server',
      '--port',
      server.address.split(':')[1]!,
      '--no-metaserver',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^p2pkit: cannot run the server on 127\.0\.0\.1:\d+: address already in use$/,
    );
  }, 30_000);
});

/** Runs a CLI command in the background (a sharer); resolves once its first stdout line is out. */
async function startCli(args: string[]): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => out.includes('\n') && resolve());
    child.on('exit', () => reject(new Error(`exited: ${out}`)));
  });
  return { child, output: () => out };
}

describe('p2pkit napster share and get', () => {
  it('a file goes from one folder to another, direct and pushed; a .part resumes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'p2pkit-napster-'));
    try {
      const song = randomBytes(700_000);
      const other = randomBytes(300_000);
      await mkdir(join(dir, 'alice', 'sub'), { recursive: true });
      await mkdir(join(dir, 'bob'), { recursive: true });
      await writeFile(join(dir, 'alice', 'Band - Song.mp3'), song);
      await writeFile(join(dir, 'bob', 'walled.mp3'), other);
      const server = await startServer();
      const alice = await startCli([
        'napster',
        'share',
        '--server',
        server.address,
        '--nick',
        'alice',
        '--dir',
        join(dir, 'alice'),
        '--port',
        '0',
      ]);
      expect(alice.output()).toMatch(
        /^sharing 1 file from .* as alice on 127\.0\.0\.1:\d+, data port \d+ \(Ctrl-C to stop\)$/m,
      );
      const bob = await startCli([
        'napster',
        'share',
        '--server',
        server.address,
        '--nick',
        'bob',
        '--dir',
        join(dir, 'bob'),
        '--firewalled',
      ]);
      expect(bob.output()).toMatch(/firewalled, no data port/);

      const out = join(dir, 'out');
      const got = await runCli([
        'napster',
        'get',
        '--server',
        server.address,
        'band song',
        '-o',
        out,
      ]);
      expect(got.code).toBe(0);
      expect(got.stdout).toMatch(
        /^saved .*Band - Song\.mp3 \(683\.6 KiB in .* from alice, direct$/m,
      );
      expect((await readFile(join(out, 'Band - Song.mp3'))).equals(song)).toBe(true);

      const pushed = await runCli([
        'napster',
        'get',
        '--server',
        server.address,
        '--from',
        'bob',
        '--file',
        'walled.mp3',
        '-o',
        out,
        '--json',
      ]);
      expect(pushed.code).toBe(0);
      expect(JSON.parse(pushed.stdout)).toMatchObject({
        file: 'walled.mp3',
        nick: 'bob',
        size: 300_000,
        offset: 0,
        mode: 'push',
      });
      expect((await readFile(join(out, 'walled.mp3'))).equals(other)).toBe(true);

      // An interrupted download left 250,000 bytes: the next get asks for the rest only.
      await rm(join(out, 'Band - Song.mp3'));
      await writeFile(join(out, 'Band - Song.mp3.part'), song.subarray(0, 250_000));
      const resumed = await runCli([
        'napster',
        'get',
        '--server',
        server.address,
        '--from',
        'alice',
        '--file',
        'Band - Song.mp3',
        '-o',
        out,
        '--json',
      ]);
      expect(resumed.code).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({
        offset: 250_000,
        bytes: 450_000,
        mode: 'direct',
      });
      expect((await readFile(join(out, 'Band - Song.mp3'))).equals(song)).toBe(true);

      // The file is there now: another get refuses to replace it (one line, exit 1, file
      // intact) unless --force.
      const again = ['napster', 'get', '--server', server.address, 'band song', '-o', out];
      const refused = await runCli(again);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe(
        `p2pkit: ${join(out, 'Band - Song.mp3')} already exists: remove it, or pass --force to replace it`,
      );
      expect((await readFile(join(out, 'Band - Song.mp3'))).equals(song)).toBe(true);
      expect((await runCli([...again, '--force'])).code).toBe(0);
      expect((await readFile(join(out, 'Band - Song.mp3'))).equals(song)).toBe(true);

      const missing = await runCli([
        'napster',
        'get',
        '--server',
        server.address,
        'no such words',
        '-o',
        out,
      ]);
      expect(missing.code).toBe(1);
      expect(missing.stderr.trim()).toBe('p2pkit: no file matches "no such words"');

      const exited = new Promise<number | null>((resolve) => alice.child.on('exit', resolve));
      alice.child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(alice.output()).toMatch(
        /sent "Band - Song\.mp3" to p2pkit-\w+: 683\.6 KiB \(direct\)/,
      );
      // The first get, the resumed one (450,000 bytes) and the --force one: 1,850,000 bytes.
      expect(alice.output()).toMatch(/^stopped: served 3 uploads, 1\.8 MiB$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('share: a missing folder and a data port in use are one clear line each', async () => {
    const server = await startServer();
    const missing = await runCli([
      'napster',
      'share',
      '--server',
      server.address,
      '--nick',
      'x',
      '--dir',
      '/nonexistent/p2pkit',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      'p2pkit: cannot open --dir /nonexistent/p2pkit: no such folder',
    );
    const usage = await runCli(['napster', 'get', '--server', server.address, '--from', 'bob']);
    expect(usage.code).toBe(1);
    expect(usage.stderr.trim()).toBe('p2pkit: --from and --file go together');
  }, 30_000);
});
