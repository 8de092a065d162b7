/**
 * PA-LOC at CI size (pastry.md §5.3; 1,000 and 10,000 nodes run in `pnpm experiments`): on the
 * paper's plane, proximity-aware joins give routes within [1.2, 1.5] of the direct distance and
 * nearly optimal first rows. The negative control: experiments-locality-control.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { localityRun } from '../src/scenarios/experiments.js';

describe('PA-LOC (Fig. 6, 7) at CI size', () => {
  it('400 nodes: relative distance in [1.2, 1.5] with proximity, nearly optimal first rows', async () => {
    const best = await localityRun({ nodes: 400, lookups: 1000, sample: 60, seed: 1 });
    expect(best.misdeliveries).toBe(0);
    expect(best.relativeDistance).toBeGreaterThanOrEqual(1.2);
    expect(best.relativeDistance).toBeLessThanOrEqual(1.5);
    // Fig. 7: with the locality stage nearly every level-0 entry is the closest candidate.
    expect(best.optimalPerRow[0]).toBeGreaterThanOrEqual(13);
  }, 300_000);
});
