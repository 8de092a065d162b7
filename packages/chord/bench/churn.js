/**
 * SIM-SCALE (spec chord.md §5.4): a 10^4-node Chord ring with churn for one simulated hour;
 * reports wall time against the simulated hour (goal: faster than real time, as OverSim's
 * "10,000 nodes in real time"), events/s and peak RSS.
 *
 *   node bench/churn.js [--nodes 10000] [--hours 1] [--rate 1]
 *
 * Ring built directly, then the paper's maintenance (stabilize every [15, 45] s, one finger per
 * round, check_predecessor), joins and crashes each Poisson at --rate per second, one lookup per
 * second, exponential 50 ms delays.
 */
import { parseArgs } from 'node:util';
import { Simulation } from '@p2pkit/sim';
import { ChordWorld, exponentialLatency, randomKey } from '../dist/scenarios/index.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10000' },
    hours: { type: 'string', default: '1' },
    rate: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
  },
});
const N = Number(values.nodes);
const durationMs = Number(values.hours) * 3_600_000;
const rate = Number(values.rate);

const t0 = performance.now();
const sim = new Simulation({
  seed: Number(values.seed),
  latency: exponentialLatency(50),
  traceHash: 'off',
});
const world = new ChordWorld(sim, { expectedSize: N, mergeMs: 0 });
await world.spawn(N);
world.buildOracle();
const setupMs = performance.now() - t0;

const random = sim.random('bench:churn');
let joins = 0;
let failures = 0;
let lookups = 0;
let lookupFailures = 0;
let hopSum = 0;
const fail = () =>
  sim.after(random.exponential(1000 / rate), () => {
    fail();
    const live = world.nodes();
    world.crash(live[random.int(live.length)]);
    failures++;
  });
const join = () =>
  sim.after(random.exponential(1000 / rate), async () => {
    join();
    const live = world.nodes();
    const via = live[random.int(live.length)];
    const [node] = await world.spawn(1);
    joins++;
    await node.join(via.address).catch(() => {});
  });
const lookup = () =>
  sim.after(1000, () => {
    lookup();
    const live = world.nodes();
    live[random.int(live.length)].route(randomKey(random, 160)).then(
      (r) => {
        lookups++;
        hopSum += r.hops;
      },
      () => {
        lookups++;
        lookupFailures++;
      },
    );
  });
fail();
join();
lookup();

const events0 = sim.eventCount;
const t1 = performance.now();
for (let at = 0; at < durationMs; at += 60_000) {
  await sim.run({ for: 60_000 });
  if ((at / 60_000) % 10 === 9)
    process.stderr.write(
      `  ${(at + 60_000) / 60_000} simulated minutes, ${Math.round((performance.now() - t1) / 1000)} s wall\n`,
    );
}
const wallMs = performance.now() - t1;
const events = sim.eventCount - events0;
console.log(
  JSON.stringify({
    benchmark: 'churn-hour',
    nodes: N,
    simulatedMs: durationMs,
    rate,
    joins,
    failures,
    liveAtEnd: world.members.size,
    lookups,
    lookupFailures,
    meanHops: +(hopSum / Math.max(1, lookups - lookupFailures)).toFixed(3),
    setupMs: Math.round(setupMs),
    wallMs: Math.round(wallMs),
    speedup: +(durationMs / wallMs).toFixed(2),
    events,
    eventsPerSec: Math.round((events / wallMs) * 1000),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
process.exit(0);
