import { seedFromEnv, withSeed } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import { runSwarm, type SwarmOptions } from '../../src/scenarios/swarm.js';

/**
 * A CI-size flash crowd: 40 leechers and one seed, 2 MiB in 128 pieces, heterogeneous uploads
 * (8..64 KiB/s, so the bound is ~70 s: several rechoke periods), the real client on simulated
 * links and a real tracker on a simulated host.
 */
const small = (seed: SwarmOptions['seed']): SwarmOptions => ({
  seed,
  peers: 40,
  size: 2 << 20,
  pieceLength: 16384,
  upload: [8192, 16384, 16384, 32768, 65536],
  seedUpload: 65536,
  traceHash: 'fast',
});

describe('BitTorrent swarm in the simulator', () => {
  it(
    'every leecher completes with every piece verified; the same seed replays the same run',
    () =>
      withSeed(seedFromEnv(20261126), async (seed) => {
        // Node's process warnings (e.g. MaxListenersExceeded: a listener per dial on one shared
        // AbortSignal) are noise on a user's stderr and usually a leak.
        const processWarnings: string[] = [];
        const onWarning = (warning: Error) => processWarnings.push(warning.name);
        process.on('warning', onWarning);
        const a = await runSwarm(small(seed)).finally(() => process.off('warning', onWarning));
        expect(processWarnings).toEqual([]);
        expect(a.completed).toBe(40);
        // Every piece every leecher wrote equals the content, byte for byte (on top of SHA-1).
        expect(a.piecesVerified).toBe(40 * a.pieceCount);
        expect(a.piecesCorrupt).toBe(0);
        expect(a.completions.every((c) => c > 0)).toBe(true);
        // No schedule beats the fluid bound: a run below it would mean the simulator let more
        // bytes through the links than their capacity.
        expect(a.completionS.max).toBeGreaterThanOrEqual(a.boundS);
        // Tolerance from measurement: seeds 1..10 of this setting give ratios 1.21-1.32 and
        // utilization 0.80-0.88 (40 peers and 128 pieces spend a good share of ~70 s ramping up
        // and in the endgame; the 1000-peer experiment is where the 1.15 target is measured).
        // Above 1.6 the swarm would be wasting over a third of its upload: a regression.
        expect(a.ratio).toBeLessThan(1.6);
        expect(a.utilization).toBeGreaterThan(0.65);
        // Protocol trouble surfaces as session warnings (bad pieces, unrequested blocks, ...).
        expect(a.warnings).toEqual({});
        // The tracker holds every peer at the end, and its state grows with them (a few
        // hundred bytes each in V8).
        expect(a.tracker!.peers).toBe(41);
        expect(a.tracker!.stateBytes).toBeGreaterThan(41 * 300);
        expect(a.tracker!.stateBytes).toBeLessThan(41 * 1000);
        expect(a.tracker!.peakStateBytes).toBeGreaterThanOrEqual(a.tracker!.stateBytes);

        const b = await runSwarm(small(seed));
        expect(b.traceHash).toBe(a.traceHash);
        expect(b.completions).toEqual(a.completions);
        expect(b.events).toBe(a.events);
      }),
    60_000,
  );

  it(
    'a different seed gives a different run (the seed reaches every random choice)',
    () =>
      withSeed(seedFromEnv(7), async (seed) => {
        const a = await runSwarm({ ...small(seed), peers: 10 });
        const b = await runSwarm({ ...small(`${String(seed)}-other`), peers: 10 });
        expect(a.completed).toBe(10);
        expect(b.completed).toBe(10);
        expect(b.traceHash).not.toBe(a.traceHash);
        expect(a.tracker!.peers).toBe(11);
        expect(a.tracker!.stateBytes).toBeLessThan(41 * 300);
      }),
    60_000,
  );
});
