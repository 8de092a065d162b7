/**
 * Five `p2pkit pastry start` processes on 127.0.0.1 (real UDP, the CLI as users run it): values
 * stored through one process are read through another; the node responsible for a key is killed
 * with SIGKILL (no goodbye), and the overlay routes around it: lookups name the next closest
 * node, and the value is read from its replicas.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { bin, runCli } from './helpers/cli.js';

const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function startNode(
  join?: string,
): Promise<{ child: ChildProcess; address: string; output: () => string }> {
  const args = [bin, 'pastry', 'start', '--host', '127.0.0.1', '--port', '0', '--probe', '200'];
  if (join) args.push('--join', join);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no joined line: ${out}`)), 20_000);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = /^joined (\S+) id=[0-9a-f]+ via=/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, address: m[1]!, output: () => out });
      }
    });
    child.stderr!.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => reject(new Error(`node exited with ${code}: ${out}`)));
  });
}

const pastry = (...args: string[]) => runCli(['pastry', ...args]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('p2pkit pastry across processes', () => {
  it('5 processes; put/get through different nodes; kill -9 the responsible node: no value lost', async () => {
    const first = await startNode();
    const nodes = [first];
    for (let i = 0; i < 4; i++) nodes.push(await startNode(nodes[i]!.address));
    // Every leaf set holds the four others (|L| = 16 > 4).
    for (const n of nodes) {
      const view = JSON.parse((await pastry('table', '--via', n.address, '--json')).stdout);
      expect(view.leafSet).toHaveLength(4);
    }

    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    for (const [i, key] of keys.entries()) {
      const put = await pastry('put', '--via', nodes[i % 5]!.address, key, `value-${key}`);
      expect(put.code, put.stderr).toBe(0);
      expect(put.stdout).toMatch(/\(version 1, 5 copies\)/);
    }
    const lookup = JSON.parse(
      (await pastry('lookup', '--via', nodes[1]!.address, 'gamma', '--json')).stdout,
    );
    const owner = nodes.find((n) => n.address === lookup.owner.address)!;
    expect(owner).toBeDefined();

    owner.child.kill('SIGKILL');
    const survivors = nodes.filter((n) => n !== owner);
    // Lookups route around the dead node at once (hop acknowledgements), and name a live node.
    const after = JSON.parse(
      (await pastry('lookup', '--via', survivors[0]!.address, 'gamma', '--json')).stdout,
    );
    expect(after.owner.address).not.toBe(owner.address);
    expect(survivors.map((n) => n.address)).toContain(after.owner.address);
    for (const [i, key] of keys.entries()) {
      const got = await pastry('get', '--via', survivors[i % 4]!.address, key);
      expect(got.stdout, got.stderr).toBe(`value-${key}\n`);
    }
    // The keep-alive (200 ms) removes the dead node from every leaf set.
    let sizes: number[] = [];
    for (let i = 0; i < 50; i++) {
      sizes = [];
      for (const n of survivors) {
        sizes.push(
          JSON.parse((await pastry('table', '--via', n.address, '--json')).stdout).leafSet.length,
        );
      }
      if (sizes.every((s) => s === 3)) break;
      await sleep(200);
    }
    expect(sizes).toEqual([3, 3, 3, 3]);

    // The others leave gracefully on SIGTERM and exit 0.
    for (const n of survivors) {
      const exited = new Promise<number | null>((resolve) => n.child.on('exit', resolve));
      n.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(n.output()).toMatch(/^left /m);
    }
  }, 120_000);
});
