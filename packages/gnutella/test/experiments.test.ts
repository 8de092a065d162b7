import { describe, expect, it } from 'vitest';
import { successVsTtl, ultrapeersVsFlat } from '../src/scenarios/index.js';

// The experiments at CI size, with tolerances; `pnpm experiments` runs them at full size.
describe('experiments at CI size', () => {
  it('success grows with TTL and with replication', async () => {
    const rows = await successVsTtl({
      nodes: 400,
      queries: 30,
      degree: 4,
      ttls: [1, 3],
      replications: [0.005, 0.05],
      seed: 3,
    });
    const at = (t: number, r: number) =>
      rows.find((x) => x.ttl === t && x.replication === r)!.successRate;
    expect(at(3, 0.005)).toBeGreaterThan(at(1, 0.005));
    expect(at(1, 0.05)).toBeGreaterThan(at(1, 0.005));
    expect(at(3, 0.05)).toBeGreaterThan(0.9);
  }, 60_000);

  it('ultrapeers + QRP: more results per query, leaves spared', async () => {
    const rows = await ultrapeersVsFlat({
      sizes: [500],
      queries: 30,
      degree: 4,
      ttl: 3,
      ultrapeers: 0.1,
      seed: 4,
    });
    const flat = rows.find((r) => r.shape === 'flat')!;
    const tiered = rows.find((r) => r.shape === 'ultrapeers')!;
    expect(tiered.hitsPerQuery).toBeGreaterThan(flat.hitsPerQuery);
    expect(tiered.successRate).toBeGreaterThanOrEqual(flat.successRate);
    expect(tiered.queryLoadMean).toBeLessThan(flat.queryLoadMean * 1.5);
  }, 60_000);
});
