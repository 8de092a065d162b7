// Memory per simulated host (run with --expose-gc): 100,000 idle hosts, then the same with one
// bound datagram socket, one listener and one 30 s maintenance interval each (an idle DHT
// node's footprint in the simulator, protocol state excluded). Counts the JS heap and, apart,
// the typed arrays' backing stores (per-host tables and counters live there, outside the heap).
import { Simulation } from '../dist/index.js';
import { mib, report } from './util.js';

const HOSTS = 100_000;

function used() {
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heap: heapUsed, buffers: arrayBuffers };
}

async function footprint(withSockets) {
  const before = used();
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
  const after = used();
  const heap = after.heap - before.heap;
  const buffers = after.buffers - before.buffers;
  if (sim.hosts.length !== HOSTS) throw new Error('lost hosts');
  return {
    'heap (MiB)': mib(heap),
    'bytes per host': Math.round(heap / HOSTS),
    'typed-array bytes per host': Math.round(buffers / HOSTS),
    'bytes per host, heap and typed arrays': Math.round((heap + buffers) / HOSTS),
  };
}

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
report('memory', {
  [`${HOSTS} idle hosts`]: await footprint(false),
  [`${HOSTS} hosts, each with a socket, a listener and an interval`]: await footprint(true),
});
