/**
 * Throughput benchmark: a static ring of N nodes with fingers built directly (as PeerSim's
 * Chord example does), then L recursive lookups from random nodes for random keys, one per
 * simulated millisecond. Prints lookups/s for the lookup phase, events/s, peak RSS and the ratio
 * to PeerSim's 42,000 lookups/s at N = 10^5 (simulation.md §3.1).
 *
 *   node bench/lookups.js [--nodes 100000] [--lookups 1000000] [--latency 0]
 */
import { parseArgs } from 'node:util';
import { createRandom } from '@p2pkit/core';
import { constant, Simulation, uniform } from '@p2pkit/sim';
import { ChordWorld, randomKey } from '../dist/scenarios/index.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100000' },
    lookups: { type: 'string', default: '1000000' },
    latency: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
  },
});
const N = Number(values.nodes);
const L = Number(values.lookups);
const latency = values.latency === 'uniform' ? uniform(10, 100) : constant(Number(values.latency));

const t0 = performance.now();
const sim = new Simulation({ seed: Number(values.seed), latency, traceHash: 'off' });
const world = new ChordWorld(sim, {
  maintenance: false,
  lookup: 'recursive',
  successors: 12,
});
await world.spawn(N);
world.buildOracle();
const nodes = world.nodes();
const setupMs = performance.now() - t0;

const random = createRandom(`bench:${values.seed}`);
let issued = 0;
let done = 0;
let failed = 0;
let hopSum = 0;
const hist = new Uint32Array(64);
const record = (r) => {
  done++;
  hopSum += r.hops;
  hist[Math.min(63, r.hops)]++;
};
const fail = () => {
  done++;
  failed++;
};
const issue = () => {
  const node = nodes[random.int(N)];
  node.route(randomKey(random, 160), { mode: 'recursive' }).then(record, fail);
  if (++issued < L) sim.after(1, issue);
};
sim.after(1, issue);

const events0 = sim.eventCount;
const t1 = performance.now();
const cpu1 = process.cpuUsage();
while (done < L) {
  sim.runSync({ for: 1000 });
  await null;
  await null;
  if (sim.pending === 0 && done < L) {
    await new Promise((r) => setImmediate(r));
    if (sim.pending === 0 && done < L) break;
  }
}
const wallMs = performance.now() - t1;
const cpu = process.cpuUsage(cpu1);
const cpuMs = (cpu.user + cpu.system) / 1000;
const events = sim.eventCount - events0;
const lookupsPerSec = (L / wallMs) * 1000;
const result = {
  nodes: N,
  lookups: L,
  latency: latency.name,
  setupMs: Math.round(setupMs),
  lookupPhaseMs: Math.round(wallMs),
  lookupsPerSec: Math.round(lookupsPerSec),
  eventsPerSec: Math.round((events / wallMs) * 1000),
  // CPU time of the lookup phase: steadier than wall time on a shared machine.
  lookupsPerCpuSec: Math.round((L / cpuMs) * 1000),
  meanHops: +(hopSum / (done - failed)).toFixed(3),
  failed,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  ratioToPeerSim: +(lookupsPerSec / 42_000).toFixed(2),
};
console.log(JSON.stringify({ benchmark: 'lookups', ...result }));
