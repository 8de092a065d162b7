/**
 * The papers' experiments at CI size, with the spec sheet's tolerances (chord.md §5.3). The
 * full-size runs are `pnpm experiments` (results/experiments.md). Seeds are fixed; a failure
 * names the seed.
 */
import { describe, expect, it } from 'vitest';
import { churnRun, failWithSuccessorList, pathLength } from '../src/scenarios/experiments.js';
import { placement } from '../src/scenarios/placement.js';

const SEED = 1;

describe('CH-PATH at CI size: mean path ≈ ½·log2 N (hops to the predecessor)', () => {
  for (const k of [6, 7, 8, 9, 10]) {
    it(`N = 2^${k}`, async () => {
      const r = await pathLength({ k, lookups: 1000, seed: SEED });
      expect(r.wrong, `seed ${SEED}`).toBe(0);
      expect(r.failed, `seed ${SEED}`).toBe(0);
      expect(
        Math.abs(r.hops.mean - k / 2),
        `seed ${SEED}: mean ${r.hops.mean}`,
      ).toBeLessThanOrEqual(0.35);
    });
  }
});

describe('load balance at N = 10^3 (placement, SIGCOMM Figs. 8 and 9)', () => {
  it('one id per node: 1st percentile 0, 99th ≈ 4.6× mean, max ≈ 9× mean', () => {
    const r = placement({ nodes: 1000, keys: 50_000, seed: SEED });
    const { mean, p1, p99, max } = r.keysPerNode;
    // Every key has exactly one owner: the counts add up to the keys placed, over 1000 nodes.
    expect(r.counts.length).toBe(1000);
    expect(r.counts.reduce((a, c) => a + c, 0)).toBe(50_000);
    expect(p1).toBeLessThanOrEqual(1);
    expect(p99 / mean).toBeGreaterThanOrEqual(4.2);
    expect(p99 / mean).toBeLessThanOrEqual(5.1);
    expect(max / mean).toBeGreaterThanOrEqual(6);
    expect(max / mean).toBeLessThanOrEqual(13);
  });

  it('20 virtual nodes per node: 99th ≤ 1.9× mean, 1st ≥ 0.4× mean', () => {
    const r = placement({ nodes: 1000, keys: 100_000, virtualNodes: 20, seed: SEED });
    const { mean, p1, p99 } = r.keysPerNode;
    expect(p99 / mean).toBeLessThanOrEqual(1.9);
    expect(p1 / mean).toBeGreaterThanOrEqual(0.4);
  });
});

describe('CH-FAIL-SL at CI size: half the nodes fail at once, r = 2·log2 N, ring frozen', () => {
  it('N = 1000, p = 0.5: no wrong answer, every lookup succeeds, Table II path and timeouts', async () => {
    const r = await failWithSuccessorList({ nodes: 1000, p: 0.5, lookups: 1000, seed: SEED });
    expect(r.successors).toBe(20);
    expect(r.wrong, `seed ${SEED}`).toBe(0);
    expect(r.failed, `seed ${SEED}`).toBe(0);
    expect(Math.abs(r.path.mean - 5.09), `seed ${SEED}: path ${r.path.mean}`).toBeLessThanOrEqual(
      0.3,
    );
    expect(r.timeouts.mean, `seed ${SEED}`).toBeGreaterThanOrEqual(5.1 * 0.7);
    expect(r.timeouts.mean, `seed ${SEED}`).toBeLessThanOrEqual(5.1 * 1.3);
  }, 60_000);
});

describe('CH-CHURN at CI size: N = 500, joins and leaves at R = 0.4/s each, lookups 1/s', () => {
  it('path near ½·log2 N − ½·log2 r + 1, timeouts ≤ 0.7, failures ≤ 50 per 10^4', async () => {
    const r = await churnRun({
      nodes: 500,
      rate: 0.4,
      lookups: 500,
      warmupMs: 300_000,
      seed: SEED,
    });
    const model = 0.5 * Math.log2(500) - 0.5 * Math.log2(20) + 1;
    expect(r.joins + r.leaves, `seed ${SEED}`).toBeGreaterThan(300);
    expect(Math.abs(r.path.mean - model), `seed ${SEED}: path ${r.path.mean}`).toBeLessThanOrEqual(
      0.35,
    );
    expect(r.timeouts.mean, `seed ${SEED}`).toBeLessThanOrEqual(0.7);
    expect(r.failuresPer10k, `seed ${SEED}`).toBeLessThanOrEqual(50);
  }, 120_000);
});
