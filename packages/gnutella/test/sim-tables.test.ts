import { seedFromEnv, withSeed } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/scenarios/index.js';

describe('simulated Gnutella networks: last-hop QRP between ultrapeers', () => {
  it(
    'cuts the copies sent on the last hop, not the results',
    () =>
      withSeed(seedFromEnv(13), async (s) => {
        const base = {
          nodes: 300,
          degree: 4,
          ttl: 3,
          queries: 30,
          replication: 0.02,
          ultrapeers: 0.1,
          pingIntervalMs: 0,
          seed: Number(s),
        };
        const without = await simulate({ ...base, ultrapeerQueryRouting: false });
        const withTables = await simulate(base);
        // Every ultrapeer holds its peers' unions as well as its leaves' tables.
        expect(withTables.routingPerNode.qrpTables).toBeGreaterThan(
          without.routingPerNode.qrpTables,
        );
        expect(withTables.messagesPerQuery).toBeLessThan(0.9 * without.messagesPerQuery);
        expect(withTables.successRate).toBe(without.successRate);
        expect(withTables.hitsPerQuery).toBeGreaterThanOrEqual(0.95 * without.hitsPerQuery);
      }),
    60_000,
  );
});
