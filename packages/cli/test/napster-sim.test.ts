/**
 * `p2pkit sim napster`, run as a user would (the built binary): the JSON contract of issue 14
 * and the fields p2pkit compare reads, --fail and --latency, the text output.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('p2pkit sim napster', () => {
  it('--json carries the contract fields', async () => {
    const r = await runCli([
      'sim',
      'napster',
      '--clients',
      '12',
      '--files-per-client',
      '20',
      '--searches',
      '60',
      '--downloads',
      '2',
      '--seed',
      '3',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const key of [
      'clients',
      'files',
      'searches',
      'successRate',
      'serverMessagesPerSearch',
      'serverIndexBytes',
      'simulatedMs',
      'wallMs',
      // What p2pkit compare reads: routing state per client, messages and bytes per lookup.
      'clientRoutingEntries',
      'clientRoutingBytes',
      'memoryPerNode.entries',
      'memoryPerNode.bytes',
      'messagesPerLookup',
      'bytesPerLookup',
    ]) {
      expect(out).toHaveProperty(key);
    }
    expect(out).toMatchObject({ clients: 12, searches: 60, seed: 3 });
    expect(out.successRate).toBeGreaterThan(0.5);
    expect(r.stderr).toMatch(/60\/60 searches/);
  }, 60_000);

  it('--fail and --latency: crashed clients leave the index; latency follows the links', async () => {
    const r = await runCli([
      'sim',
      'napster',
      '--clients',
      '20',
      '--files-per-client',
      '10',
      '--searches',
      '40',
      '--downloads',
      '0',
      '--fail',
      '0.5',
      '--latency',
      '40',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.crashed).toBe(10);
    expect(out.filesAfterCrash).toBeLessThan(out.files);
    expect(out.searchLatencyMs.p50).toBeGreaterThanOrEqual(80);
  }, 60_000);

  it('text output names the figures', async () => {
    const r = await runCli([
      'sim',
      'napster',
      '--clients',
      '5',
      '--files-per-client',
      '5',
      '--searches',
      '10',
      '--downloads',
      '0',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Napster: 5 clients sharing \d+ files, 10 searches \(seed 1\)$/m);
    expect(r.stdout).toMatch(/^search latency \(ms\): p50/m);
  }, 60_000);
});
