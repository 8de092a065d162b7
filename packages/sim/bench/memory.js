// Heap per simulated host (run with --expose-gc): 100,000 idle hosts, then the same with one
// bound datagram socket, one listener and one 30 s maintenance interval each (an idle DHT
// node's footprint in the simulator, protocol state excluded).
import { Simulation } from '../dist/index.js';
import { mib, report } from './util.js';

const HOSTS = 100_000;

function heapUsed() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

async function footprint(withSockets) {
  const before = heapUsed();
  const sim = new Simulation({ seed: 1 });
  const noop = () => {};
  for (let i = 0; i < HOSTS; i++) {
    const host = sim.addHost();
    if (withSockets) {
      await host.net.bind({ port: 4000 }, noop);
      await host.net.listen({ port: 4001 }, noop);
      host.clock.setInterval(noop, 30_000);
    }
  }
  sim.runSync({ until: 1 });
  const after = heapUsed();
  const bytes = after - before;
  if (sim.hosts.length !== HOSTS) throw new Error('lost hosts');
  return { 'heap (MiB)': mib(bytes), 'bytes per host': Math.round(bytes / HOSTS) };
}

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
report('memory', {
  [`${HOSTS} idle hosts`]: await footprint(false),
  [`${HOSTS} hosts, each with a socket, a listener and an interval`]: await footprint(true),
});
