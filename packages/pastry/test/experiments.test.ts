/**
 * The reproduction targets at CI size (pastry.md §5.3; the full sizes run in `pnpm
 * experiments`): each asserts what the experiment measures, against the spec's tolerance.
 */
import { describe, expect, it } from 'vitest';
import { failRun, hopsRun } from '../src/scenarios/experiments.js';

const log16 = (n: number) => Math.log(n) / Math.log(16);

describe('PA-HOPS (Fig. 4, 5) at CI size', () => {
  for (const [n, paper] of [
    [1000, 2.5],
    [3000, 2.8],
  ] as const) {
    it(`N = ${n}: mean hops within ±0.15 of the paper's ${paper}, never 0 hops, within ⌈log16 N⌉ + 1`, async () => {
      const r = await hopsRun({ nodes: n, lookups: 20_000, seed: 1 });
      expect(Math.abs(r.hops.mean - paper)).toBeLessThanOrEqual(0.15);
      expect(r.hops.mean).toBeLessThanOrEqual(log16(n) + 0.1);
      expect(r.fractions[0]).toBe(0);
      expect(r.hops.max).toBeLessThanOrEqual(Math.ceil(log16(n)) + 1);
      expect(r.fractions.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 9);
      expect(r.misdeliveries).toBe(0);
    }, 120_000);
  }
});

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
