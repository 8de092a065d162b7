// A BitTorrent-shaped stream workload: 1,000 hosts with heterogeneous upload capacity
// (128 KiB/s to 1 MiB/s), each keeping 4 outgoing connections busy with 16 KiB blocks (writes
// paced by 'drain'), for 60 s of virtual time, latency U[10, 100] ms. Reports CPU and wall
// time, events per CPU-second, simulated bytes moved per CPU-second, and upload utilization (bytes delivered /
// capacity × time), which the bandwidth model should keep near 100% for backlogged senders.
import { latency, Simulation } from '../dist/index.js';
import { report, stopwatch } from './util.js';

const HOSTS = 1_000;
const PEERS = 4;
const SECONDS = 60;
const BLOCK = 16 * 1024;
const RATES = [128, 256, 512, 1024].map((k) => k * 1024);

async function swarm() {
  const sim = new Simulation({ seed: 1, latency: latency.uniform(10, 100) });
  const hosts = [];
  for (let i = 0; i < HOSTS; i++) hosts.push(sim.addHost({ upload: RATES[i % RATES.length] }));
  const block = new Uint8Array(BLOCK);
  for (const host of hosts) await host.net.listen({ port: 6881 }, (c) => c.on('data', () => {}));
  const pump = (connection) => {
    while (connection.write(block)) {}
  };
  sim.at(0, () => {
    for (const host of hosts) {
      for (let k = 0; k < PEERS; k++) {
        const peer = host.random.pick(hosts);
        if (peer === host) continue;
        host.net.dial({ host: peer.host, port: 6881 }).then((connection) => {
          connection.on('drain', () => pump(connection));
          pump(connection);
        });
      }
    }
  });
  const elapsed = stopwatch();
  await sim.run({ until: SECONDS * 1000 });
  const { cpu, wall } = elapsed();
  let capacity = 0;
  let delivered = 0;
  for (const host of hosts) {
    // What reached the peers, against capacity over the whole run (dials take a round trip).
    capacity += host.upload * SECONDS;
    delivered += sim.metrics.host(host).streams.received.bytes;
  }
  return {
    'CPU time (s)': Math.round(cpu * 10) / 10,
    'wall time (s)': Math.round(wall * 10) / 10,
    'events per CPU-second': Math.round(sim.eventCount / cpu),
    'simulated MiB moved': Math.round(delivered / 1024 / 1024),
    'simulated MiB per CPU-second': Math.round(delivered / 1024 / 1024 / cpu),
    'upload utilization (%)': Math.round((delivered / capacity) * 1000) / 10,
  };
}

report('streams', { [`${HOSTS} hosts × ${PEERS} connections, ${SECONDS} s`]: await swarm() });
