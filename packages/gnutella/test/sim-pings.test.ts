import { seedFromEnv, withSeed } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import { simulate } from '../src/scenarios/index.js';

// Its own file: with sim.test.ts in one file, the two took ~25 s on a busy machine.
describe('simulated Gnutella networks: pings', () => {
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
});
