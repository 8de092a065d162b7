import { describe, expect, it } from 'vitest';
import { floodingVsBound } from '../src/scenarios/index.js';

// The flooding experiment at CI size (its own file: two networks of 1,000 servents, ~10-18 s on a busy machine).
describe('experiments at CI size: flooding', () => {
  it('flooding: messages per query follow d((d-1)^t - 1)/(d - 2) while the graph looks like a tree', async () => {
    const rows = await floodingVsBound({
      nodes: 1000,
      queries: 20,
      degrees: [3, 5],
      ttls: [1, 2, 3],
      seed: 2,
    });
    for (const r of rows) {
      // Below the bound (duplicates are dropped where cycles close), and close to it while the
      // horizon is a small part of the network.
      expect(r.messagesPerQuery, `d=${r.degree} t=${r.ttl}`).toBeLessThanOrEqual(r.bound * 1.05);
      expect(r.messagesPerQuery, `d=${r.degree} t=${r.ttl}`).toBeGreaterThan(r.bound * 0.8);
    }
  }, 60_000);
});
