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
        // What p2pkit compare reads: bytes, routing state, hops and time to the first hit.
        expect(t4.bytesPerQuery).toBeGreaterThan(23 * t4.messagesPerQuery);
        expect(t4.bytesPerQuery).toBe(((t4.bytes.query ?? 0) + (t4.bytes.queryhit ?? 0)) / 40);
        expect(t4.routingPerNode.connections).toBeGreaterThan(3);
        expect(t4.routingPerNode.connections).toBeLessThan(5);
        expect(t4.memoryPerNode.entries).toBeGreaterThan(t4.routingPerNode.connections);
        expect(t4.routingPerNode.qrpTables).toBe(0);
        expect(t4.hops.mean).toBeGreaterThanOrEqual(1);
        expect(t4.hops.p99).toBeLessThanOrEqual(4);
        // Each hop takes 25..75 ms each way: the first hit comes back after 2 x hops of them.
        expect(t4.latencyMs.p50).toBeGreaterThanOrEqual(50 * t4.hops.p50 * 0.5);
        expect(t4.latencyMs.p99).toBeLessThanOrEqual(2 * 75 * 4);
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
        // Ultrapeers hold their leaves' QRP tables (2^13 slots each in the simulator).
        expect(tiered.routingPerNode.qrpTables).toBeGreaterThan(2);
        expect(tiered.routingPerNode.ultrapeerBytes).toBeGreaterThan(8192 * 10);
        expect(flat.routingPerNode.ultrapeerBytes).toBeLessThan(8192);
      }),
    60_000,
  );

  it('one seed gives one result', async () => {
    const run = () => simulate({ nodes: 100, degree: 3, ttl: 3, queries: 10, seed: 11 });
    const [a, b] = [await run(), await run()];
    expect({ ...a, wallMs: 0 }).toEqual({ ...b, wallMs: 0 });
  }, 60_000);
});
