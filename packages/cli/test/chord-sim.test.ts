/**
 * `p2pkit sim chord --json`: the output fields are a contract scripts rely on (issue 4).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bin } from './helpers/cli.js';

const run = promisify(execFile);

async function sim(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [bin, 'sim', 'chord', ...args, '--json'], {
    timeout: 60_000,
  });
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!);
}

const summary = {
  mean: expect.any(Number),
  p1: expect.any(Number),
  p50: expect.any(Number),
  p99: expect.any(Number),
  max: expect.any(Number),
};

describe('p2pkit sim chord --json', () => {
  it('static ring with keys: every contract field, no failures', async () => {
    expect(existsSync(bin), `build the CLI first: ${bin}`).toBe(true);
    const r = await sim('--nodes', '300', '--lookups', '500', '--keys', '3000', '--seed', '7');
    expect(r).toMatchObject({
      nodes: 300,
      lookups: 500,
      hops: summary,
      latencyMs: { mean: 0, p50: 0, p99: 0 },
      keysPerNode: {
        mean: 10,
        p1: expect.any(Number),
        p99: expect.any(Number),
        max: expect.any(Number),
      },
      failedLookups: 0,
      wrongOwner: 0,
      timeouts: 0,
      simulatedMs: expect.any(Number),
      events: expect.any(Number),
      setupMs: expect.any(Number),
      wallMs: expect.any(Number),
      eventsPerSec: expect.any(Number),
      lookupsPerSec: expect.any(Number),
      state: { entries: expect.any(Number), bytes: expect.any(Number) },
      messagesPerLookup: expect.any(Number),
      bytesPerLookup: expect.any(Number),
    });
    expect((r.hops as { mean: number }).mean).toBeGreaterThan(1);
    // Recursive lookups: one datagram per forwarding, the first send and the owner's answer.
    const hops = (r.hops as { mean: number }).mean;
    expect(r.messagesPerLookup as number).toBeGreaterThanOrEqual(hops + 1);
    expect(r.messagesPerLookup as number).toBeLessThanOrEqual(hops + 2);
  });

  it('--latency: simulated ms per lookup, one delay per datagram of the lookup', async () => {
    const r = await sim('--nodes', '300', '--lookups', '500', '--latency', '20', '--seed', '7');
    const latency = r.latencyMs as { mean: number; p50: number; p99: number };
    // A recursive lookup is a chain of datagrams, each delayed by an exponential draw of mean
    // 20 ms: ~2,500 draws, so the mean per lookup is within a few % of 20 ms per datagram.
    const expected = (r.messagesPerLookup as number) * 20;
    expect(latency.mean).toBeGreaterThan(expected * 0.9);
    expect(latency.mean).toBeLessThan(expected * 1.1);
    expect(latency.p50).toBeLessThan(latency.p99);
    expect(r).toMatchObject({ failedLookups: 0, wrongOwner: 0 });
  });

  it('half the nodes failed, r = 2·log2 N: every lookup still finds the live owner', async () => {
    const r = await sim(
      '--nodes',
      '256',
      '--lookups',
      '300',
      '--fail',
      '0.5',
      '--successors',
      '16',
      '--seed',
      '3',
    );
    expect(r).toMatchObject({ failedLookups: 0, wrongOwner: 0 });
    expect(r.timeouts as number).toBeGreaterThan(0);
    expect(r).not.toHaveProperty('keysPerNode');
  });

  it('the same seed gives the same answers', async () => {
    const a = await sim('--nodes', '100', '--lookups', '100', '--seed', '11');
    const b = await sim('--nodes', '100', '--lookups', '100', '--seed', '11');
    expect(b.hops).toEqual(a.hops);
    expect(b.events).toBe(a.events);
  });

  it('a bad --mode or --build exits 1 and says which values it takes', async () => {
    for (const [option, value, expected] of [
      ['--mode', 'sideways', 'one of recursive, iterative'],
      ['--build', 'nope', 'one of oracle, join'],
    ] as const) {
      const failed = await run(process.execPath, [
        bin,
        'sim',
        'chord',
        '--nodes',
        '10',
        option,
        value,
      ]).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toContain(expected);
    }
  });

  it('runs in a child with the V8 flags it needs; SIGTERM reaches that child and ends both', async () => {
    // The CLI starts `sim` again as `node --max-semi-space-size=128 ...` (bin.ts): a signal to the
    // process a user started must stop the run, not leave it in a child until its end.
    const p = spawn(
      process.execPath,
      [bin, 'sim', 'chord', '--nodes', '300', '--lookups', '100000000'],
      {
        // Its own process group, so that a failure can end the child too (kill -pgid).
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      p.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk;
        if (stderr.includes('100000000 lookups')) resolve();
      });
      p.on('exit', () => reject(new Error(`ended before the lookups: ${stderr}`)));
    });
    const ended = new Promise<NodeJS.Signals | null>((resolve) =>
      p.on('exit', (_c, s) => resolve(s)),
    );
    p.kill('SIGTERM');
    const timer = setTimeout(() => process.kill(-p.pid!, 'SIGKILL'), 20_000);
    expect(await ended).toBe('SIGTERM');
    clearTimeout(timer);
  }, 60_000);
});
