// Whole-system message rate: 10^4 and 10^5 hosts, each with a bound socket and a 30 s maintenance
// interval (so 10^5 timers are always pending, as in a DHT); "lookups" start at random hosts
// and are forwarded 8 hops to random hosts over datagrams (latency U[10, 100] ms), the shape
// of a Chord lookup with the protocol work taken out. Reports delivered messages/s and
// lookups per CPU-second: the simulator's share of the budget of a protocol experiment.
import { latency, Simulation } from '../dist/index.js';
import { report, rng, stopwatch } from './util.js';

const HOPS = 8;

async function setup(HOSTS, integerLatency) {
  const model = integerLatency
    ? { name: 'uniform whole ms', delay: (_f, _t, r) => 10 + r.int(91) }
    : latency.uniform(10, 100);
  const sim = new Simulation({ seed: 1, latency: model });
  const random = rng(5);
  const picks = new Int32Array(1 << 20).map(() => Math.floor(random() * HOSTS));
  let k = 0;
  const hosts = sim.addHosts(HOSTS);
  const addresses = hosts.map((h) => ({ host: h.host, port: 4000 }));
  const sockets = [];
  let completed = 0;
  const tick = () => {};
  for (const host of hosts) {
    const socket = await host.net.bind({ port: 4000 }, (data) => {
      if (data[0] === HOPS) {
        completed++;
        return;
      }
      data[0]++;
      socket.send(data, addresses[picks[k++ & 0xfffff]]);
    });
    sockets.push(socket);
    host.clock.setInterval(tick, 30_000);
  }
  // A lookup generator: 100 lookups per ms of virtual time.
  const start = () => {
    for (let i = 0; i < 100; i++) {
      const message = new Uint8Array(20);
      sockets[picks[k++ & 0xfffff]].send(message, addresses[picks[k++ & 0xfffff]]);
    }
    sim.after(1, start);
  };
  sim.at(0, start);
  return { sim, completed: () => completed };
}

/**
 * PeerSim's event-driven Chord on this machine kind, static ring, delay 0 (the protocol's work
 * included: ours here is the simulator's share only): ../../shared/specs/simulation.md §3.1.
 */
const PEERSIM_LOOKUPS_PER_SECOND = { 10000: 164_079, 100000: 42_169 };

async function measure(hosts, integerLatency, drive) {
  const { sim, completed } = await setup(hosts, integerLatency);
  await drive(sim, 1_000); // warm up: the pipeline fills (about 440 ms per lookup)
  let best = { messages: 0, lookups: 0 };
  for (let run = 0; run < 2; run++) {
    const events = sim.eventCount;
    const done = completed();
    const elapsed = stopwatch();
    await drive(sim, 1_500);
    const seconds = elapsed().cpu;
    const messages = sim.metrics.totals().datagrams.received.messages;
    if (messages === 0) throw new Error('nothing delivered');
    const rate = (sim.eventCount - events) / seconds;
    if (rate > best.messages) best = { messages: rate, lookups: (completed() - done) / seconds };
  }
  const peer = PEERSIM_LOOKUPS_PER_SECOND[hosts];
  return {
    'events per CPU-second': Math.round(best.messages),
    'lookups per CPU-second (8 hops)': Math.round(best.lookups),
    [`ratio to PeerSim's whole Chord (${peer} lookups/s)`]:
      Math.round((best.lookups / peer) * 100) / 100,
  };
}

const sync = (sim, ms) => sim.runSync({ for: ms });
const async = (sim, ms) => sim.run({ for: ms });
report('system', {
  '10^4 hosts, runSync, latency U[10,100] ms': await measure(10_000, false, sync),
  '10^5 hosts, runSync, latency U[10,100] ms': await measure(100_000, false, sync),
  '10^5 hosts, run() (async drain per instant), latency U[10,100] ms': await measure(
    100_000,
    false,
    async,
  ),
  '10^5 hosts, run() (async drain per instant), latency whole ms in [10,100]': await measure(
    100_000,
    true,
    async,
  ),
});
