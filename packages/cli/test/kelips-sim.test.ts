/**
 * `p2pkit sim kelips` run as a user would (the built binary), and the tour's Kelips step.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('p2pkit sim kelips', { timeout: 60_000 }, () => {
  it('--json carries the contract fields', async () => {
    const r = await runCli([
      'sim',
      'kelips',
      '--nodes',
      '100',
      '--lookups',
      '100',
      '--seed',
      '3',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    for (const key of [
      'nodes',
      'groups',
      'lookups',
      'hops',
      'successRate',
      'failedLookups',
      'memoryPerNode',
      'gossipBytesPerNodePerSec',
      'routingPerNode',
      'filesPerNode',
      'messagesPerLookup',
      'bytesPerLookup',
      'simulatedMs',
      'wallMs',
      'seed',
    ]) {
      expect(result, key).toHaveProperty(key);
    }
    expect(Object.keys(result.hops).sort()).toEqual(['max', 'mean', 'p50', 'p99']);
    expect(result).toMatchObject({ nodes: 100, groups: 10, lookups: 100, seed: 3, successRate: 1 });
    expect(result.hops.p50).toBe(1);
    expect(result.memoryPerNode.entries).toBeGreaterThan(0);
    expect(result.memoryPerNode.bytes).toBeGreaterThan(0);
    expect(result.gossipBytesPerNodePerSec).toBeGreaterThan(0);
  });

  it('the human summary, with failures; bad values are refused', async () => {
    const r = await runCli([
      'sim',
      'kelips',
      '--nodes',
      '100',
      '--lookups',
      '50',
      '--fail',
      '0.3',
      '--after-repair',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nodes +100 in k=10 affinity groups, 100 files\n/);
    expect(r.stdout).toMatch(/\nfailed nodes +\d+\n/);
    expect(r.stdout).toMatch(/\nafter repair +100\.00 % \(0 failed, 0 wrong home\) after \d+ ms/);
    expect(r.stdout).toMatch(/\nrouting\/node +[\d.]+ entries \(view and contacts\), [\d.]+ B\n/);
    expect(r.stdout).toMatch(/\nper lookup +[\d.]+ messages, [\d.]+ B\n/);
    expect(r.stdout).toMatch(
      /\nsuccess +[\d.]+ % \(\d+ failed, \d+ wrong home, \d+ with a crashed home\)\n/,
    );
    const bad = await runCli(['sim', 'kelips', '--nodes', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--nodes.*expected an integer/);
    const lonely = await runCli(['sim', 'kelips', '--nodes', '10', '--after-repair']);
    expect(lonely.code).toBe(1);
    expect(lonely.stderr).toMatch(/give --fail too/);
    const badBuild = await runCli(['sim', 'kelips', '--nodes', '10', '--build', 'magic']);
    expect(badBuild.code).toBe(1);
    expect(badBuild.stderr).toMatch(/one of oracle, join/);
  });
});

describe('the tour step', { timeout: 60_000 }, () => {
  it('nine nodes in three groups: complete views, a file found from another group', async () => {
    const { kelipsStep } = await import('../src/tour/kelips.js');
    const rows = await kelipsStep.run(AbortSignal.timeout(30_000));
    expect(rows).toHaveLength(2);
    expect(rows[0]!.result).toMatch(
      /^views complete by gossip in \d+ ms, \d+-\d+ entries per node$/,
    );
    expect(rows[1]!.result).toMatch(/^"kelips" from 127\.0\.0\.1:\d+ \(group [012]\), [12] hops?$/);
  });
});
