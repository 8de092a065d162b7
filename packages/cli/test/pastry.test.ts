/**
 * `p2pkit pastry` over real UDP on 127.0.0.1, as a user runs it: three nodes started as
 * separate processes, then lookup, put, get and table through any of them; a dead peer, a
 * wrong id width and a missing key each give one clear line and the right exit code.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, runCli as run } from './helpers/cli.js';

interface Started {
  child: ChildProcess;
  address: string;
  id: string;
  output: () => string;
}

/** Starts `p2pkit pastry start` and waits for its "joined" line. */
function start(args: string[]): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [bin, 'pastry', 'start', '--port', '0', '--probe', '1000', ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    child.stdout!.on('data', (c) => {
      stdout += c;
      const m = /^joined (\S+) id=([0-9a-f]+) via=/m.exec(stdout);
      if (m) resolve({ child, address: m[1]!, id: m[2]!, output: () => stdout });
    });
    child.on('exit', (code) => reject(new Error(`start exited ${code}: ${stderr}`)));
  });
}

/** A UDP port nobody listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const { port } = socket.address();
  await new Promise<void>((r) => socket.close(() => r()));
  return port;
}

describe('p2pkit pastry over UDP', () => {
  const nodes: Started[] = [];

  beforeAll(async () => {
    nodes.push(await start([]));
    nodes.push(await start(['--join', nodes[0]!.address]));
    nodes.push(await start(['--join', nodes[1]!.address]));
  }, 60_000);

  afterAll(() => {
    for (const n of nodes) n.child.kill('SIGKILL');
  });

  it('every node finds the same owner for a key; put on one, get on another', async () => {
    const owners = new Set<string>();
    for (const n of nodes) {
      const r = await run(['pastry', 'lookup', '--via', n.address, 'apple', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const answer = JSON.parse(r.stdout);
      expect(answer.key).toBe('apple');
      expect(answer.hops).toBeGreaterThanOrEqual(0);
      owners.add(answer.owner.address);
    }
    expect(owners.size).toBe(1);
    expect(nodes.map((n) => n.address)).toContain([...owners][0]);

    const put = await run(['pastry', 'put', '--via', nodes[0]!.address, 'apple', 'red']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.stdout).toBe('stored apple (version 1, 3 copies)\n');
    const get = await run(['pastry', 'get', '--via', nodes[2]!.address, 'apple']);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe('red\n');
    const again = await run(['pastry', 'put', '--via', nodes[1]!.address, 'apple', 'green']);
    expect(again.stdout).toMatch(/version 2/);
    expect((await run(['pastry', 'get', '--via', nodes[0]!.address, 'apple'])).stdout).toBe(
      'green\n',
    );
  }, 60_000);

  it('table: the leaf set holds the two other nodes', async () => {
    const r = await run(['pastry', 'table', '--via', nodes[1]!.address, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const view = JSON.parse(r.stdout);
    expect(view.node.address).toBe(nodes[1]!.address);
    expect(view.node.id).toBe(nodes[1]!.id);
    expect(view.leafSet.map((c: { address: string }) => c.address).sort()).toEqual(
      [nodes[0]!.address, nodes[2]!.address].sort(),
    );
    const text = await run(['pastry', 'table', '--via', nodes[1]!.address]);
    expect(text.stdout).toMatch(/^node [0-9a-f]{32} 127\.0\.0\.1:\d+$/m);
    expect(text.stdout).toMatch(/^leaf set \(2\):$/m);
  }, 60_000);

  it('a missing key, a dead peer, a wrong --m: one clear line each', async () => {
    const missing = await run(['pastry', 'get', '--via', nodes[0]!.address, 'pear']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('pear: not found\n');

    const port = await deadPort();
    const dead = await run(['pastry', 'lookup', '--via', `127.0.0.1:${port}`, 'x']);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toBe(
      `p2pkit: no answer from 127.0.0.1:${port} (is a Pastry node running there?)\n`,
    );

    // A --timeout shorter than the RPC's retries: the same sentence, not "operation aborted".
    for (const command of [
      ['lookup', 'x'],
      ['table', '--json'],
    ]) {
      const quick = await run([
        'pastry',
        ...command,
        '--via',
        `127.0.0.1:${port}`,
        '--timeout',
        '300',
      ]);
      expect(quick.code, command.join(' ')).toBe(1);
      expect(quick.stderr).toBe(
        `p2pkit: no answer from 127.0.0.1:${port} (is a Pastry node running there?)\n`,
      );
    }

    const width = await run(['pastry', 'lookup', '--via', nodes[0]!.address, '--m', '160', 'x']);
    expect(width.code).toBe(1);
    expect(width.stderr).toMatch(/uses 128-bit ids, not 160/);

    const badJoin = await run(['pastry', 'start', '--join', 'nowhere.invalid:4000']);
    expect(badJoin.code).toBe(1);
    expect(badJoin.stderr).toBe('p2pkit: --join: cannot resolve host nowhere.invalid\n');

    const noVia = await run(['pastry', 'lookup', 'x']);
    expect(noVia.code).toBe(1);
    expect(noVia.stderr).toMatch(/--via/);
  }, 60_000);

  it('SIGINT: a node leaves gracefully, the others keep answering', async () => {
    const extra = await start(['--join', nodes[0]!.address]);
    const exited = new Promise<number | null>((r) => extra.child.on('exit', r));
    extra.child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(extra.output()).toMatch(/^left 127\.0\.0\.1:\d+$/m);
    const r = await run(['pastry', 'get', '--via', nodes[2]!.address, 'apple']);
    expect(r.stdout).toBe('green\n');
  }, 60_000);
});
