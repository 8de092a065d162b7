// Cost of one datagram hop through the simulated network: send -> route (latency draw, loss
// check) -> event -> delivery to the bound socket's handler. 1,000 hosts pass 1,000 messages
// around (each delivery forwards the bytes to another host). Reports hops per CPU-second and heap bytes
// allocated per hop, measured with GC kept out of the window (run with --expose-gc and a large
// young generation, as bench/run.js does).
import { PerformanceObserver } from 'node:perf_hooks';
import { latency, Simulation } from '../dist/index.js';
import { report, rng, stopwatch } from './util.js';

const HOSTS = 1_000;
const IN_FLIGHT = 1_000;

let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

async function setup(copyDatagrams) {
  const sim = new Simulation({ seed: 1, latency: latency.uniform(10, 100), copyDatagrams });
  const random = rng(3);
  const hosts = sim.addHosts(HOSTS);
  const targets = hosts.map((h) => ({ host: h.host, port: 4000 }));
  const next = new Int32Array(1 << 16).map(() => Math.floor(random() * HOSTS));
  let k = 0;
  const sockets = [];
  for (const host of hosts) {
    const socket = await host.net.bind({ port: 4000 }, (data) => {
      socket.send(data, targets[next[k++ & 0xffff]]);
    });
    sockets.push(socket);
  }
  for (let i = 0; i < IN_FLIGHT; i++)
    sockets[i % HOSTS].send(new Uint8Array(32), targets[(i * 7) % HOSTS]);
  return sim;
}

async function hopCost(copyDatagrams) {
  const sim = await setup(copyDatagrams);
  sim.runSync({ maxEvents: 500_000 }); // warm up
  // Allocation: a window small enough to fit the young generation, GC forced before it.
  let bytesPerHop = Number.NaN;
  for (let attempt = 0; attempt < 5 && Number.isNaN(bytesPerHop); attempt++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the observer see that GC
    const gcBefore = gcs;
    const heapBefore = process.memoryUsage().heapUsed;
    const eventsBefore = sim.eventCount;
    sim.runSync({ maxEvents: 100_000 });
    const heapAfter = process.memoryUsage().heapUsed;
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (gcs === gcBefore) bytesPerHop = (heapAfter - heapBefore) / (sim.eventCount - eventsBefore);
  }
  // Speed: best of 3.
  let best = 0;
  for (let run = 0; run < 3; run++) {
    const before = sim.eventCount;
    const elapsed = stopwatch();
    sim.runSync({ maxEvents: 2_000_000 });
    best = Math.max(best, (sim.eventCount - before) / elapsed().cpu);
  }
  return {
    'hops per CPU-second': Math.round(best),
    'heap bytes per hop': Math.round(bytesPerHop * 10) / 10,
  };
}

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
report('datagram hop', {
  'copyDatagrams: true (default; the receiver gets its own 32-byte copy)': await hopCost(true),
  'copyDatagrams: false (zero-copy)': await hopCost(false),
});
