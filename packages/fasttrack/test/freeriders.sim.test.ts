import { describe, expect, it } from 'vitest';
import { freeriderExperiment } from '../src/scenarios/freeriders.js';

describe('free-riders', () => {
  it('wait longer than contributors with participation levels, much less without', async () => {
    const seed = 5;
    const on = await freeriderExperiment({
      reputation: 'observed',
      contributors: 6,
      freeriders: 6,
      seed,
    });
    const off = await freeriderExperiment({
      reputation: 'off',
      contributors: 6,
      freeriders: 6,
      seed,
    });
    expect(on.contributorLevel, `seed ${seed}`).toBeGreaterThan(on.freeriderLevel);
    expect(on.freeriders.mean, `seed ${seed}`).toBeGreaterThan(on.contributors.mean);
    // Without levels the seeders serve in arrival order (free-riders ask first): no such gap.
    const gap = (r: typeof on) => r.freeriders.mean - r.contributors.mean;
    expect(gap(on), `seed ${seed}`).toBeGreaterThan(2 * gap(off));
    expect(off.contributorLevel).toBe(off.freeriderLevel);
  }, 30_000);
});
