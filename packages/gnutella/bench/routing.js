/**
 * Query routing through one ultrapeer with 30 leaves (QRP tables) and 32 ultrapeer peers, on
 * core's in-memory network (no time model: CPU only). One peer sends --queries queries, one at
 * a time in batches of --batch; the ultrapeer forwards each to its 31 other peers and to the
 * leaves whose QRP table matches. Prints queries routed per second (batches in flight) and the
 * p50/p99 time from a query's send to its last forwarded copy arriving (one query at a time).
 *
 *   node bench/routing.js [--queries 20000] [--batch 50]
 */
import { parseArgs } from 'node:util';
import { createMemoryNetwork } from '@p2pkit/core';
import { Distribution } from '@p2pkit/sim';
import { Servent } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    queries: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '50' },
  },
});
const Q = Number(values.queries);
const batch = Number(values.batch);
const net = createMemoryNetwork();
let n = 0;
// No last-hop tables between the ultrapeers: the peers share nothing, so with them the TTL-1
// copies would not be sent at all, and this measures forwarding every copy.
const common = {
  maintain: false,
  pingIntervalMs: 0,
  deflate: false,
  maxUltrapeers: 64,
  ultrapeerQueryRouting: false,
};
const make = async (options) => {
  n++;
  const s = new Servent({
    runtime: net.runtime(`10.9.${n >> 8}.${n & 255}`),
    ...common,
    ...options,
  });
  await s.start();
  return s;
};
const r3 = (x) => Math.round(x * 1000) / 1000;
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

const up = await make({ role: 'ultrapeer' });
const leaves = [];
for (let i = 0; i < 30; i++) {
  const files = Array.from({ length: 20 }, (_, k) => ({
    index: k,
    name: `leaf${i} track${k} common.mp3`,
    size: 1000,
  }));
  const leaf = await make({ role: 'leaf', files });
  await leaf.connect(up.address);
  leaves.push(leaf);
}
const peers = [];
for (let i = 0; i < 32; i++) {
  const peer = await make({ role: 'ultrapeer' });
  await peer.connect(up.address);
  peers.push(peer);
}
await settle();
const source = peers[0];
const others = peers.slice(1);
const expected = others.length; // every query reaches the 31 other peers (TTL 2)
const delivered = () => others.reduce((s, p) => s + (p.stats.received.query ?? 0), 0);
const query = (i) =>
  source.search(i % 2 === 0 ? `leaf${i % 30} track${i % 20}` : `nothing${i}`, { ttl: 2 }).stop();
// Latency: one query at a time, from its send to its 31st forwarded copy arriving.
const latency = new Distribution('routing latency');
for (let i = 0; i < Math.min(1000, Q); i++) {
  const before = delivered();
  const t0 = performance.now();
  query(i);
  while (delivered() - before < expected) await Promise.resolve();
  latency.record(performance.now() - t0);
}
// Throughput: batches of --batch queries in flight.
const leafBefore = leaves.reduce((s, l) => s + (l.stats.received.query ?? 0), 0);
const started = performance.now();
let sent = 0;
while (sent < Q) {
  const before = delivered();
  const k = Math.min(batch, Q - sent);
  for (let i = 0; i < k; i++, sent++) query(sent);
  while (delivered() - before < k * expected) await new Promise((r) => setImmediate(r));
}
const ms = performance.now() - started;
const leafQueries = leaves.reduce((s, l) => s + (l.stats.received.query ?? 0), 0) - leafBefore;
for (const s of [up, ...leaves, ...peers]) await s.stop();
console.log(
  JSON.stringify({
    queries: Q,
    peers: peers.length,
    leaves: leaves.length,
    queriesPerSec: Math.round((Q / ms) * 1000),
    forwardedPerSec: Math.round(((Q * expected + leafQueries) / ms) * 1000),
    leafCopiesPerQuery: Math.round((leafQueries / Q) * 1000) / 1000,
    latencyMs: { p50: r3(latency.percentile(50)), p99: r3(latency.percentile(99)) },
  }),
);
