// Raw event rate of the simulator with 10^5 pending events: 10^5 timers on one host, each of
// which re-arms itself (setTimeout) when it fires. Measures queue + dispatch + timer API, no
// protocol work; events per CPU-second and per wall second, best of 3. Then the same workload under the async drivers, to price the guarantee that
// promise continuations run before virtual time advances.
import { Simulation } from '../dist/index.js';
import { report, rng, stopwatch } from './util.js';

const PENDING = 100_000;
const EVENTS = 3_000_000;

function setup(integerTimes) {
  const sim = new Simulation({ seed: 1, traceHash: 'fast' });
  const host = sim.addHost();
  const clock = host.clock;
  const random = rng(7);
  const delays = new Float64Array(1 << 16);
  for (let i = 0; i < delays.length; i++) {
    delays[i] = integerTimes ? 1 + Math.floor(random() * 100) : random() * 100;
  }
  let i = 0;
  const tick = () => {
    clock.setTimeout(tick, delays[i++ & 0xffff]);
  };
  for (let k = 0; k < PENDING; k++) clock.setTimeout(tick, delays[k & 0xffff]);
  return sim;
}

async function measure(label, integerTimes, drive, events = EVENTS) {
  let bestCpu = 0;
  let bestWall = 0;
  for (let run = 0; run < 3; run++) {
    const sim = setup(integerTimes);
    await drive(sim, 200_000); // warm up
    const before = sim.eventCount;
    const elapsed = stopwatch();
    await drive(sim, events);
    const { cpu, wall } = elapsed();
    bestCpu = Math.max(bestCpu, (sim.eventCount - before) / cpu);
    bestWall = Math.max(bestWall, (sim.eventCount - before) / wall);
    if (sim.pending !== PENDING) throw new Error(`${label}: pending ${sim.pending}`);
  }
  return {
    'events per CPU-second': Math.round(bestCpu),
    'events per wall second': Math.round(bestWall),
  };
}

const figures = {
  'runSync, float times (every event its own instant)': await measure('sync', false, (sim, n) =>
    sim.runSync({ maxEvents: n }),
  ),
  'run() drain per instant, float times': await measure(
    'instant',
    false,
    (sim, n) => sim.run({ maxEvents: n }),
    500_000,
  ),
  'run() drain per instant, whole-ms times (≈1000 events per instant)': await measure(
    'instant-int',
    true,
    (sim, n) => sim.run({ maxEvents: n }),
  ),
  "run({ drain: 'event' }), setImmediate after every event": await measure(
    'event',
    false,
    (sim, n) => sim.run({ maxEvents: n, drain: 'event' }),
    500_000,
  ),
  // Rejected option, priced for comparison: one `await null` per event drains one level of
  // promise chains only (a 200-deep chain would still be pending when time advances).
  'step() + await null per event (insufficient drain)': await measure(
    'await-null',
    false,
    async (sim, n) => {
      for (let i = 0; i < n && sim.step(); i++) await null;
    },
  ),
};
report('events', figures);
