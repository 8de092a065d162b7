/**
 * Pastry through the overlay compliance suite of @p2pkit/core/testing, on the simulator's
 * generic overlay world (PastryWorld is that world with Pastry's adapter): crashes, partitions,
 * churn, put/get, determinism, and overlays of 16 and 64 nodes built by joins; every lookup judged
 * against the numerically closest live node and the hop bound ⌈log_16 N⌉ + 1.
 *
 * CI runs three seeds and sizes up to 64 (a 256-node overlay joining one node at a time costs
 * about as much as all the rest together); OVERLAY_LARGE=1 runs five seeds and adds 256 and 1024
 * (one seed), as before a release. Larger overlays are in the experiments (PA-HOPS, PA-LOC).
 */
import { hopBounds, numericallyClosest, overlayComplianceSuite } from '@p2pkit/core/testing';
import { constant, Simulation } from '@p2pkit/sim';
import { PastryWorld } from '../src/scenarios/world.js';

const large = process.env.OVERLAY_LARGE !== undefined;

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
    sizes: large ? [16, 64, 256, 1024] : [16, 64],
    seeds: large ? [1, 2, 3, 4, 5] : [1, 2, 3],
    largeSeeds: [1],
    timeoutMs: Number(process.env.OVERLAY_TIMEOUT_MS ?? 300_000),
  },
);
