/**
 * Several `p2pkit chord start` processes on 127.0.0.1 (the CLI as users run it), put/get through
 * the CLI, and a killed process whose keys survive on their replicas. Needs the CLI built
 * (`pnpm build`, which `pnpm test` runs first).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { bin } from './helpers/cli.js';

const run = promisify(execFile);
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Starts a node; resolves with its address once it printed its `joined` line. */
function startNode(
  join?: string,
): Promise<{ child: ChildProcess; address: string; output: () => string }> {
  const args = [bin, 'chord', 'start', '--host', '127.0.0.1', '--port', '0', '--stabilize', '100'];
  if (join) args.push('--join', join);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no joined line: ${out}`)), 15_000);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const m = /^joined (\S+) id=[0-9a-f]+ via=/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, address: m[1]!, output: () => out });
      }
    });
    child.stderr!.on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', (code) => reject(new Error(`node exited with ${code}: ${out}`)));
  });
}

async function cli(...args: string[]): Promise<{ stdout: string; code: number }> {
  try {
    const { stdout } = await run(process.execPath, [bin, 'chord', ...args], { timeout: 20_000 });
    return { stdout, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; code?: number };
    return { stdout: e.stdout ?? '', code: e.code ?? -1 };
  }
}

describe('p2pkit chord across processes', () => {
  it('4 processes form a ring; put/get via the CLI; a killed owner loses no data', async () => {
    expect(existsSync(bin), `build the CLI first: ${bin}`).toBe(true);
    const a = await startNode();
    const others = await Promise.all([
      startNode(a.address),
      startNode(a.address),
      startNode(a.address),
    ]);
    const nodes = [a, ...others];
    // Let stabilization settle the ring (100 ms rounds).
    let ring: { size: number; complete: boolean } = { size: 0, complete: false };
    for (let i = 0; i < 100 && !(ring.size === 4 && ring.complete); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ring = JSON.parse((await cli('ring', '--via', a.address, '--json')).stdout);
    }
    expect(ring).toMatchObject({ size: 4, complete: true });

    expect((await cli('put', '--via', others[0]!.address, 'colour', 'blue')).code).toBe(0);
    const got = await cli('get', '--via', others[1]!.address, 'colour');
    expect(got).toEqual({ stdout: 'blue\n', code: 0 });
    expect((await cli('get', '--via', a.address, 'no-such-key')).code).toBe(1);

    const lookup = JSON.parse((await cli('lookup', '--via', a.address, 'colour', '--json')).stdout);
    expect(lookup).toMatchObject({ key: 'colour', owner: { address: expect.any(String) } });
    expect(typeof lookup.hops).toBe('number');

    // Kill the owner without a goodbye; the value lives on at its successors.
    const owner = nodes.find((n) => n.address === lookup.owner.address)!;
    owner.child.kill('SIGKILL');
    const survivor = nodes.find((n) => n !== owner)!;
    let after = { stdout: '', code: -1 };
    for (let i = 0; i < 50 && after.code !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await cli('get', '--via', survivor.address, 'colour');
    }
    expect(after).toEqual({ stdout: 'blue\n', code: 0 });

    // The others leave gracefully on SIGTERM and exit 0.
    for (const n of nodes) {
      if (n === owner) continue;
      const exited = new Promise<number | null>((resolve) => n.child.on('exit', resolve));
      n.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(n.output()).toMatch(/^left /m);
    }
  }, 90_000);
});
