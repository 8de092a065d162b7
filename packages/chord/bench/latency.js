/**
 * 64 real Chord nodes over UDP on 127.0.0.1 (one process): lookup latency p50/p99, iterative
 * and recursive (goal p50 ≤ 2 ms).
 *
 *   node bench/latency.js [--nodes 64] [--lookups 2000]
 */
import { parseArgs } from 'node:util';
import { realRuntime } from '@p2pkit/core/node';
import { createChordNode } from '../dist/index.js';
import { summarize } from '../dist/scenarios/index.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '64' },
    lookups: { type: 'string', default: '2000' },
  },
});
const N = Number(values.nodes);
const L = Number(values.lookups);
const runtime = realRuntime({ host: '127.0.0.1' });
const nodes = [];
for (let i = 0; i < N; i++) {
  const node = createChordNode({ runtime, stabilizeMs: 100 });
  await node.start();
  if (i > 0) await node.join(nodes[0].address);
  nodes.push(node);
}
const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : 1));
const consistent = () =>
  sorted.every(
    (n, i) =>
      n.successor().id === sorted[(i + 1) % N].id &&
      n.predecessor()?.id === sorted[(i - 1 + N) % N].id,
  );
while (!consistent()) await new Promise((r) => setTimeout(r, 50));
// Let fix_fingers fill the finger tables (one slot per 100 ms round).
await new Promise((r) => setTimeout(r, 5000));

const result = { benchmark: 'loopback-latency', nodes: N, lookups: L };
for (const mode of ['iterative', 'recursive']) {
  const ms = [];
  const hops = [];
  for (let i = 0; i < L; i++) {
    const from = nodes[(i * 7919) % N];
    const t = performance.now();
    const r = await from.lookup(`bench-key-${i}`, { mode });
    ms.push(performance.now() - t);
    hops.push(r.hops);
  }
  const s = summarize(ms);
  result[mode] = {
    p50Ms: +s.p50.toFixed(3),
    p99Ms: +s.p99.toFixed(3),
    meanMs: +s.mean.toFixed(3),
    meanHops: +summarize(hops).mean.toFixed(2),
  };
}
for (const n of nodes) await n.stop();
await runtime.close();
console.log(JSON.stringify(result));
