import { describe, expect, it } from 'vitest';
import { simulate } from '../src/scenarios/index.js';

describe('sim fasttrack', () => {
  it('finds replicated files through the supernode tier', async () => {
    const seed = 3;
    const r = await simulate({
      nodes: 300,
      queries: 60,
      supernodeRatio: 0.05,
      replication: 0.02,
      seed,
    });
    expect(r.supernodes, `seed ${seed}`).toBe(15);
    expect(r.successRate, `seed ${seed}`).toBeGreaterThan(0.9);
  }, 60_000);
});
