/**
 * PA-LOC's negative control at CI size (pastry.md §4: "without proximity neighbor selection ...
 * route locality is much worse"): the basic join (`sl`) with proximity off, on the same plane and
 * seed as experiments-locality.test.ts, falls far outside the [1.2, 1.5] band the proximity-aware
 * join meets, and its first rows are mostly not the closest candidates.
 */
import { describe, expect, it } from 'vitest';
import { localityRun } from '../src/scenarios/experiments.js';

describe('PA-LOC negative control at CI size', () => {
  it('400 nodes, sl join without proximity: routes far longer than direct, first rows far from optimal', async () => {
    const control = await localityRun({
      nodes: 400,
      lookups: 1000,
      sample: 60,
      seed: 1,
      join: 'sl',
      proximity: false,
    });
    expect(control.misdeliveries).toBe(0);
    // The proximity-aware join stays at or below 1.5 (the other file): 0.5 above that.
    expect(control.relativeDistance).toBeGreaterThan(2);
    // Under half of the 15 level-0 entries the closest candidate (the other file: at least 13).
    expect(control.optimalPerRow[0]!).toBeLessThan(7.5);
  }, 300_000);
});
