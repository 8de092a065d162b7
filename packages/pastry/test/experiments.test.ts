/**
 * The reproduction targets at CI size (pastry.md §5.3; the full sizes run in `pnpm
 * experiments`): each asserts what the experiment measures, against the spec's tolerance
 * (PA-FAIL: experiments-fail.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { hopsRun } from '../src/scenarios/experiments.js';

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
