/**
 * PA-FAIL at CI size (pastry.md §5.3; 5,000 nodes run in `pnpm experiments`): 10 % of the nodes
 * crash silently; no lookup is misdelivered, routes get longer without repair and come back after.
 */
import { describe, expect, it } from 'vitest';
import { failRun } from '../src/scenarios/experiments.js';

describe('PA-FAIL (Fig. 9, 10) at CI size', () => {
  it('1000 nodes, 100 fail: no misdelivery; longer routes without repair; back within 0.1 after', async () => {
    const r = await failRun({ nodes: 1000, fail: 100, lookups: 3000, seed: 1 });
    for (const phase of [r.baseline, r.noRepair, r.repairing, r.afterRepair]) {
      expect(phase.misdeliveries).toBe(0);
      expect(phase.failedLookups).toBe(0);
    }
    expect(r.noRepair.hops.mean).toBeGreaterThan(r.baseline.hops.mean);
    expect(r.afterRepair.hops.mean).toBeLessThanOrEqual(r.baseline.hops.mean + 0.1);
    expect(r.afterRepair.hops.mean).toBeLessThan(r.noRepair.hops.mean);
    expect(r.repairedEntries).toBeGreaterThan(0);
    expect(r.rpcsPerFailed).toBeGreaterThan(0);
  }, 120_000);
});
