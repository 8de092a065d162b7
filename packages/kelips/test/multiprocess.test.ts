/**
 * Eight Kelips nodes, each in its own process, over real UDP on 127.0.0.1 (k = 2, 200 ms
 * rounds, so timeouts are 2.5 s and 5 s): files inserted anywhere are found from everywhere;
 * then a kill -9 of half of one affinity group. The survivors' views shed the dead within the
 * timeouts, files on live homes are still found, files on dead homes are reported missing.
 * Needs the package built (`pnpm build`, which CI runs first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/node-process.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

interface Proc {
  child: ChildProcess;
  address: string;
  group: number;
  call(op: string, name?: string): Promise<Reply>;
}

/** What the fixture answers (the fields of the operation asked). */
interface Reply {
  result: { home: string | null; tries: number; view: string[]; contacts: string[] };
  error?: string;
}

const procs: Proc[] = [];

function start(introducer?: string): Promise<Proc> {
  const args = [script, '2', '200', ...(introducer ? [introducer] : [])];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting = new Map<number, (v: Reply) => void>();
  let next = 1;
  let stderr = '';
  child.stderr!.on('data', (c) => {
    stderr += c;
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`node process exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line);
      if (msg.ready) {
        const proc: Proc = {
          child,
          address: msg.ready,
          group: msg.group,
          call(op, name) {
            const id = next++;
            child.stdin!.write(`${JSON.stringify({ id, op, name })}\n`);
            return new Promise((r) => waiting.set(id, r));
          },
        };
        procs.push(proc);
        resolve(proc);
      } else {
        waiting.get(msg.id)?.(msg);
        waiting.delete(msg.id);
      }
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(() => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

describe('kelips across processes over UDP', () => {
  it('eight processes; kill -9 half of a group; the rest carries on', {
    timeout: 60_000,
  }, async () => {
    expect(existsSync(dist), `build the package first: ${dist}`).toBe(true);
    const first = await start();
    for (let i = 0; i < 7; i++) await start(first.address);
    await sleep(2000); // ten rounds: complete views
    for (const p of procs) {
      const { result } = await p.call('view');
      const same = procs.filter((q) => q !== p && q.group === p.group).map((q) => q.address);
      expect(result.view.sort()).toEqual(same.sort());
    }
    const names = Array.from({ length: 16 }, (_, i) => `file-${i}`);
    const homes = new Map<string, string>();
    for (const [i, name] of names.entries()) {
      const { result, error } = await procs[i % procs.length]!.call('insert', name);
      expect(error).toBeUndefined();
      homes.set(name, result.home!);
    }
    await sleep(1500);
    for (const [i, name] of names.entries()) {
      const { result } = await procs[(i * 3 + 1) % procs.length]!.call('lookup', name);
      expect(result.home).toBe(homes.get(name));
    }

    // kill -9 half of the larger group (no LEAVE is sent).
    const groups = [0, 1].map((g) => procs.filter((p) => p.group === g));
    const victimGroup = groups[0]!.length >= groups[1]!.length ? groups[0]! : groups[1]!;
    const victims = victimGroup.slice(0, Math.floor(victimGroup.length / 2));
    expect(victims.length).toBeGreaterThan(0);
    for (const v of victims) v.child.kill('SIGKILL');
    const dead = new Set(victims.map((v) => v.address));
    const live = procs.filter((p) => !dead.has(p.address));
    await sleep(6500); // past the 5 s contact timeout
    for (const p of live) {
      const { result } = await p.call('view');
      expect([...result.view, ...result.contacts].filter((a: string) => dead.has(a))).toEqual([]);
    }
    for (const [i, name] of names.entries()) {
      const { result } = await live[i % live.length]!.call('lookup', name);
      if (dead.has(homes.get(name)!)) expect(result.home).toBeNull();
      else expect(result.home).toBe(homes.get(name));
    }
    // The survivors leave gracefully when their input closes.
    for (const p of live) {
      const exited = new Promise((resolve) => p.child.on('exit', resolve));
      p.child.stdin!.end();
      expect(await exited).toBe(0);
    }
  });
});
