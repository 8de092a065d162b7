import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('p2pkit sim fasttrack', () => {
  it('prints the JSON contract, the same for the same seed', async () => {
    const args = [
      'sim',
      'fasttrack',
      '--nodes',
      '120',
      '--queries',
      '20',
      '--supernode-ratio',
      '0.05',
      '--seed',
      '4',
      '--json',
    ];
    const a = await runCli(args);
    expect(a.code, a.stderr).toBe(0);
    const r = JSON.parse(a.stdout);
    for (const key of [
      'nodes',
      'supernodes',
      'messagesPerQuery',
      'successRate',
      'supernodeLoad',
      'reparentMs',
      'simulatedMs',
      'wallMs',
      'seed',
    ]) {
      expect(r).toHaveProperty(key);
    }
    expect(r.nodes).toBe(120);
    expect(r.supernodes).toBe(6);
    expect(r.seed).toBe(4);
    expect(r.successRate).toBeGreaterThan(0.8);
    expect(r.supernodeLoad.children.mean).toBeCloseTo(19, 0);
    expect(r.supernodeLoad.queries).toHaveProperty('p99');
    expect(r.reparentMs).toHaveProperty('p50');
    const b = JSON.parse((await runCli(args)).stdout);
    expect({ ...b, wallMs: 0 }).toEqual({ ...r, wallMs: 0 });
  }, 30_000);

  it('re-parents the children of crashed supernodes (--churn)', async () => {
    const run = await runCli([
      'sim',
      'fasttrack',
      '--nodes',
      '120',
      '--queries',
      '20',
      '--supernode-ratio',
      '0.05',
      '--churn',
      '0.3',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r.churn.crashed).toBe(2);
    expect(r.churn.reparents).toBeGreaterThan(0);
    expect(r.reparentMs.p99).toBeGreaterThan(0);
  }, 30_000);

  it('refuses a bad value naming the option, exit 1', async () => {
    const run = await runCli(['sim', 'fasttrack', '--nodes', '200', '--supernode-ratio', '2']);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toMatch(/--supernode-ratio.*fraction/);
    expect(run.stdout).toBe('');
  });
});
