import { seedFromEnv, withSeed } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import { floodBound, simulate } from '../src/scenarios/index.js';

describe('simulated Gnutella networks', () => {
  it(
    'flat flooding: messages per query stay under the tree bound, more TTL finds more',
    () =>
      withSeed(seedFromEnv(3), async (s) => {
        const seed = Number(s);
        const base = {
          nodes: 300,
          degree: 4,
          queries: 40,
          replication: 0.01,
          pingIntervalMs: 0,
          seed,
        };
        const t2 = await simulate({ ...base, ttl: 2 });
        const t4 = await simulate({ ...base, ttl: 4 });
        expect(t2.messagesPerQuery).toBeGreaterThan(0);
        // A random graph has cycles: duplicates add copies, but dedup cuts the tree below the bound.
        expect(t2.messagesPerQuery).toBeLessThanOrEqual(floodBound(4, 2) * 1.05);
        expect(t4.messagesPerQuery).toBeGreaterThan(t2.messagesPerQuery * 2);
        expect(t4.successRate).toBeGreaterThan(t2.successRate);
        expect(t4.successRate).toBeGreaterThan(0.5);
        expect(t4.hitsPerQuery).toBeGreaterThan(0);
        expect(t2.seed).toBe(seed);
      }),
    60_000,
  );

  it(
    'ultrapeers with QRP find more holders than flat flooding for the same messages',
    () =>
      withSeed(seedFromEnv(5), async (s) => {
        const seed = Number(s);
        const base = {
          nodes: 400,
          degree: 4,
          ttl: 3,
          queries: 40,
          replication: 0.02,
          pingIntervalMs: 0,
          seed,
        };
        const flat = await simulate(base);
        const tiered = await simulate({ ...base, ultrapeers: 0.1 });
        expect(tiered.ultrapeers).toBe(40);
        // The same TTL reaches every ultrapeer, hence every leaf's table, for about the same
        // number of messages that reach a small fraction of the flat network.
        expect(tiered.successRate).toBeGreaterThan(flat.successRate);
        expect(tiered.hitsPerQuery).toBeGreaterThan(2 * flat.hitsPerQuery);
        expect(tiered.messagesPerQuery).toBeLessThan(1.5 * flat.messagesPerQuery);
        // Leaves receive only queries their tables match: most servents see almost none.
        expect(tiered.queryLoad.p50).toBeLessThan(flat.queryLoad.p50);
      }),
    60_000,
  );

  it(
    'pings and pongs: pong caching lowers their share of the traffic',
    () =>
      withSeed(seedFromEnv(9), async (s) => {
        const seed = Number(s);
        const base = {
          nodes: 100,
          degree: 3,
          ttl: 4,
          queries: 20,
          queryIntervalMs: 200,
          queryTimeoutMs: 3000,
          pingIntervalMs: 3000,
          seed,
        };
        const flooded = await simulate({ ...base, pongCaching: false });
        const cached = await simulate({ ...base, pongCaching: true });
        expect(flooded.pingPongShare).toBeGreaterThan(cached.pingPongShare);
        expect(flooded.pingPongShare).toBeGreaterThan(0.3);
      }),
    60_000,
  );

  it('one seed gives one result', async () => {
    const run = () => simulate({ nodes: 100, degree: 3, ttl: 3, queries: 10, seed: 11 });
    const [a, b] = [await run(), await run()];
    expect({ ...a, wallMs: 0 }).toEqual({ ...b, wallMs: 0 });
  }, 60_000);
});
