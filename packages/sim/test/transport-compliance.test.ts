import { transportComplianceSuite } from '@p2pkit/core/testing';
import { latency, Simulation } from '../src/index.js';

// The same suite the TCP/UDP and memory transports pass, on the simulated network: once with
// plain latency, once with jittered latency and finite bandwidth (queueing, serialization),
// each with a firewalled host (refusing dials in the first, dropping them in the second).
transportComplianceSuite(
  'simulator (constant latency)',
  async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(5) });
    return harness(sim, true);
  },
  { firewall: true },
);

transportComplianceSuite(
  'simulator (jitter, 10 MB/s access links)',
  async () => {
    const sim = new Simulation({
      seed: 2,
      latency: latency.jitter(latency.uniform(2, 20), 5),
      upload: 10_000_000,
      download: 10_000_000,
    });
    return harness(sim, 'drop');
  },
  { largeWriteBytes: 1024 * 1024, firewall: true },
);

function harness(sim: Simulation, firewalled: true | 'drop') {
  const [a, b, hole] = sim.addHosts(3);
  const inside = sim.addHost({ firewalled });
  // A crashed host answers nothing: dials to it time out, as to a black hole.
  sim.crash(hole!);
  return {
    runtimes: [a!, b!],
    firewalled: inside,
    blackhole: { host: hole!.host, port: 4000 },
    settle: () => sim.run({ for: 0 }),
    advance: (ms: number) => sim.run({ for: ms }),
    close: async () => {},
  };
}
