/**
 * Throughput benchmark: `p2pkit sim pastry`'s workload (simulate() of @p2pkit/pastry/scenarios):
 * N nodes with routing tables built directly (as PeerSim's MSPastry benchmark builds its
 * overlay), then L lookups from random nodes to random live nodes' ids, 100 issued per
 * simulated millisecond. Prints one JSON line: lookups/s of the lookup phase (wall and CPU),
 * mean hops, simulator events/s and the peak RSS of this process.
 *
 *   node bench/lookups.js [--nodes 10000] [--lookups 1000000] [--seed 1]
 */
import { parseArgs } from 'node:util';
import { simulate } from '../dist/scenarios/index.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10000' },
    lookups: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
  },
});
let peak = 0;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage().rss);
};
const timer = setInterval(sample, 250);
let started;
const result = await simulate({
  nodes: Number(values.nodes),
  lookups: Number(values.lookups),
  seed: Number(values.seed),
  onLookups: () => {
    started = process.cpuUsage();
  },
  onProgress: sample,
});
clearInterval(timer);
sample();
const cpu = process.cpuUsage(started);
process.stdout.write(
  `${JSON.stringify({
    nodes: result.nodes,
    lookups: result.lookups,
    lookupsPerSec: result.lookupsPerSec,
    lookupsPerCpuSec: Math.round(result.lookups / ((cpu.user + cpu.system) / 1e6)),
    meanHops: result.hops.mean,
    misdeliveries: result.misdeliveries,
    failedLookups: result.failedLookups,
    events: result.events,
    eventsPerSec: Math.round(result.events / ((result.wallMs - result.setupMs) / 1000)),
    setupMs: result.setupMs,
    wallMs: result.wallMs,
    peakRssMB: Math.round(peak / 1e6),
  })}\n`,
);
