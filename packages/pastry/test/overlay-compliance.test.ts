/**
 * Pastry through the overlay compliance suite of @p2pkit/core/testing, on the simulator's
 * generic overlay world (PastryWorld is that world with Pastry's adapter): sizes 16 to 256 (1024
 * with OVERLAY_LARGE=1), five seeds, crashes, partitions, churn, put/get, determinism; every
 * lookup judged against the numerically closest live node and the hop bound ⌈log_16 N⌉ + 1.
 */
import { hopBounds, numericallyClosest, overlayComplianceSuite } from '@p2pkit/core/testing';
import { constant, Simulation } from '@p2pkit/sim';
import { PastryWorld } from '../src/scenarios/world.js';

overlayComplianceSuite(
  'pastry (simulator)',
  (seed) =>
    Promise.resolve(
      new PastryWorld(new Simulation({ seed, latency: constant(10) }), {
        m: 32,
        probeMs: 2000,
        replicas: 3,
        // Constant delays make every node equally near: the locality stage (wtf) would only
        // add pings here; sim-join.test.ts covers it.
        join: 'wt',
      }).harness(),
    ),
  {
    convergeMs: 30_000,
    nodes: 32,
    replicas: 3,
    responsible: numericallyClosest,
    hopBound: hopBounds.pastry(4),
    sizes: process.env.OVERLAY_LARGE ? [16, 64, 256, 1024] : [16, 64, 256],
    largeSeeds: [1],
    timeoutMs: Number(process.env.OVERLAY_TIMEOUT_MS ?? 300_000),
  },
);
