/**
 * `p2pkit kelips ...` and `p2pkit sim kelips`, run as a user would: the built binary, real UDP
 * on 127.0.0.1, wrong values, a dead peer, Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, runCli } from './helpers/cli.js';

interface Started {
  child: ChildProcess;
  address: string;
  line: string;
  output: () => string;
}

/** Starts `p2pkit kelips start ...` and waits for its "started" line. */
function startNode(args: string[]): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'kelips', 'start', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = /started (\S+) .*\n/.exec(out);
      if (m) resolve({ child, address: m[1]!, line: m[0], output: () => out });
    });
    child.stderr!.on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', (code) => reject(new Error(`node exited ${code}: ${out}`)));
  });
}

/** Sends SIGINT and resolves with the exit code once the node has left. */
function interrupt(node: Started): Promise<number | null> {
  return new Promise((resolve) => {
    node.child.removeAllListeners('exit');
    node.child.on('exit', (code) => resolve(code));
    node.child.kill('SIGINT');
  });
}

/** A UDP port nobody listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('p2pkit kelips over UDP', { timeout: 60_000 }, () => {
  const nodes: Started[] = [];
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pkit-kelips-'));
    nodes.push(await startNode(['--port', '0', '--groups', '2', '--round', '200']));
    for (let i = 0; i < 3; i++) {
      nodes.push(await startNode(['--port', '0', '--join', nodes[0]!.address, '--round', '200']));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a few gossip rounds
    // Four processes start one after the other: on a busy machine that is more than the
    // default 10 s of a hook.
  }, 60_000);

  afterAll(async () => {
    for (const node of nodes) if (node.child.exitCode === null) await interrupt(node);
    await rm(dir, { recursive: true, force: true });
  });

  it('start prints its address, group and k; joiners take the system k', () => {
    expect(nodes[0]!.line).toMatch(/^started 127\.0\.0\.1:\d+ group=[01] of k=2 via=new system\n$/);
    for (const node of nodes.slice(1)) {
      expect(node.line).toMatch(new RegExp(`of k=2 via=${nodes[0]!.address.replace('.', '\\.')}`));
    }
  });

  it('insert, lookup and get through any member', async () => {
    const via = nodes[1]!.address;
    const inserted = await runCli([
      'kelips',
      'insert',
      '--via',
      via,
      'hello.txt',
      'kelips!',
      '--json',
    ]);
    expect(inserted.stderr).toBe('');
    expect(inserted.code).toBe(0);
    const answer = JSON.parse(inserted.stdout);
    expect(answer).toMatchObject({ name: 'hello.txt', tries: 1, bytes: 7 });
    expect(nodes.map((n) => n.address)).toContain(answer.home);
    await new Promise((resolve) => setTimeout(resolve, 600)); // the filetuple spreads
    for (const node of nodes) {
      const found = await runCli([
        'kelips',
        'lookup',
        '--via',
        node.address,
        'hello.txt',
        '--json',
      ]);
      expect(found.code).toBe(0);
      const l = JSON.parse(found.stdout);
      expect(l).toMatchObject({ name: 'hello.txt', found: true, home: answer.home });
      expect(l.hops).toBeGreaterThanOrEqual(1);
      expect(l.hops).toBeLessThanOrEqual(3);
    }
    const text = await runCli(['kelips', 'lookup', '--via', via, 'hello.txt']);
    expect(text.stdout).toBe(
      `hello.txt -> ${answer.home} hops=${/hops=(\d)/.exec(text.stdout)?.[1]}\n`,
    );
    const got = await runCli(['kelips', 'get', '--via', nodes[2]!.address, 'hello.txt']);
    expect(got).toMatchObject({ code: 0, stdout: 'kelips!', stderr: '' });
  });

  it('a file given with --file; an unknown name exits 1 with one line', async () => {
    const path = join(dir, 'song.mp3');
    await writeFile(path, new Uint8Array(3000).fill(7));
    const inserted = await runCli([
      'kelips',
      'insert',
      '--via',
      nodes[0]!.address,
      'song.mp3',
      '--file',
      path,
    ]);
    expect(inserted.code).toBe(0);
    // tries: 1 normally; a contact slow to answer on a loaded machine makes it 2.
    expect(inserted.stdout).toMatch(
      /^inserted song\.mp3 \(3000 bytes\) at 127\.0\.0\.1:\d+ hops=\d tries=\d\n$/,
    );
    const missing = await runCli(['kelips', 'lookup', '--via', nodes[0]!.address, 'nothing-here']);
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: 'nothing-here: not found\n' });
    const missingGet = await runCli(['kelips', 'get', '--via', nodes[0]!.address, 'nothing-here']);
    expect(missingGet).toMatchObject({ code: 1, stderr: 'nothing-here: not found\n' });
  });

  it('view shows the group view, the contacts and the filetuples', async () => {
    const r = await runCli(['kelips', 'view', '--via', nodes[0]!.address, '--json']);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v).toMatchObject({ address: nodes[0]!.address, groups: 2 });
    const others = nodes
      .slice(1)
      .map((n) => n.address)
      .sort();
    const known = [...v.view, ...v.contacts].map((m: { address: string }) => m.address).sort();
    // Every other node is in the view (same group) or a contact (c = 2 per foreign group).
    for (const m of v.view) expect(m.group).toBe(v.group);
    for (const m of v.contacts) expect(m.group).not.toBe(v.group);
    expect(known.every((a: string) => others.includes(a))).toBe(true);
    expect(known.length).toBeGreaterThanOrEqual(Math.min(others.length, v.view.length + 1));
    const text = await runCli(['kelips', 'view', '--via', nodes[0]!.address]);
    expect(text.stdout).toMatch(
      /^127\.0\.0\.1:\d+ {2}group [01] of k=2 {2}heartbeat \d+\naffinity group view \(\d+\):/,
    );
  });

  it('wrong values, a dead peer and a bad file: one line, exit 1, no stack trace', async () => {
    const port = await deadPort();
    const cases: [string[], RegExp][] = [
      [['kelips', 'start', '--port', '70000'], /--port.*expected an integer in 0\.\.65535/],
      [['kelips', 'start', '--groups', '0'], /--groups.*expected an integer in 1\.\.65535/],
      [['kelips', 'lookup', '--via', 'nowhere', 'x'], /--via.*expected host:port/],
      [
        ['kelips', 'lookup', '--via', `127.0.0.1:${port}`, 'x'],
        /no Kelips node answers at 127\.0\.0\.1:\d+ \(timed out\)/,
      ],
      [
        ['kelips', 'start', '--join', `127.0.0.1:${port}`],
        /no Kelips node answers at 127\.0\.0\.1:\d+/,
      ],
      [
        ['kelips', 'insert', '--via', nodes[0]!.address, 'f', '--file', join(dir, 'absent')],
        /cannot read .*absent: ENOENT/,
      ],
      [
        ['kelips', 'insert', '--via', nodes[0]!.address, 'f'],
        /either as an argument or with --file/,
      ],
      [
        ['kelips', 'insert', '--via', nodes[0]!.address, 'x'.repeat(300), 'v'],
        /name must be 1\.\.255 bytes/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(1);
      // One line says what is wrong (commander may add the usage after it); no stack trace.
      expect(
        r.stderr.split('\n').filter((line) => message.test(line)),
        `${args.join(' ')}: ${r.stderr}`,
      ).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a value above 16 KiB is refused with one line', async () => {
    const path = join(dir, 'big');
    await writeFile(path, new Uint8Array(20_000));
    const r = await runCli(['kelips', 'insert', '--via', nodes[0]!.address, 'big', '--file', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/value of 20000 bytes above maxValueSize 16384/);
  });

  it('Ctrl-C while joining a dead introducer: one line, exit 130, no hang', async () => {
    const port = await deadPort();
    const child = spawn(
      process.execPath,
      [bin, 'kelips', 'start', '--port', '0', '--join', `127.0.0.1:${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (c) => {
      stderr += c;
    });
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', () => {
        if (stderr.includes('joining through')) resolve();
      });
    });
    const code = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await code).toBe(130);
    expect(stderr).toBe(`joining through 127.0.0.1:${port}...\ninterrupted while joining\n`);
  });

  it('Ctrl-C: the node leaves gracefully and exits 0; the nodes it told forget it', async () => {
    const leaving = nodes.pop()!;
    const knownBy = async (via: string): Promise<string[]> => {
      const r = await runCli(['kelips', 'view', '--via', via, '--json']);
      const v = JSON.parse(r.stdout);
      return [...v.view, ...v.contacts].map((m: { address: string }) => m.address);
    };
    // A leaving node tells its view and its contacts (contacts are not symmetric: a node that
    // has it as a contact but is not one of its own learns of the departure by timeout only).
    const told = await knownBy(leaving.address);
    expect(told.length).toBeGreaterThan(0);
    const code = await interrupt(leaving);
    expect(code).toBe(0);
    expect(leaving.output()).toMatch(/left 127\.0\.0\.1:\d+\n$/);
    for (const address of told) expect(await knownBy(address)).not.toContain(leaving.address);
  });
});
