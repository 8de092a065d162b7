/**
 * The churn run as the CLI gives it (`p2pkit sim chord --nodes 500 --lookups 2000 --churn 0.5`):
 * 500 nodes, joins and crashes each Poisson at 0.5/s, stabilization every [15, 45] s, 2000
 * iterative lookups one per second, exponential 50 ms delays. Reports simulator events per
 * CPU-second and per wall second (issue 19's goal: 400k events/s), and the wrong owners.
 *
 *   node --max-semi-space-size=128 bench/churn-cli.js [--nodes 500] [--lookups 2000] [--churn 0.5]
 */
import { parseArgs } from 'node:util';
import { simulate } from '../dist/scenarios/index.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '500' },
    lookups: { type: 'string', default: '2000' },
    churn: { type: 'string', default: '0.5' },
    seed: { type: 'string', default: '1' },
  },
});
const cpu0 = process.cpuUsage();
const r = await simulate({
  nodes: Number(values.nodes),
  lookups: Number(values.lookups),
  churn: Number(values.churn),
  seed: Number(values.seed),
});
const cpu = process.cpuUsage(cpu0);
const cpuSec = (cpu.user + cpu.system) / 1e6;
console.log(
  JSON.stringify({
    benchmark: 'churn-cli',
    nodes: r.nodes,
    lookups: r.lookups,
    churn: r.churn,
    events: r.events,
    simulatedMs: r.simulatedMs,
    wallMs: r.wallMs,
    cpuMs: Math.round(cpuSec * 1000),
    eventsPerSec: r.eventsPerSec,
    eventsPerCpuSec: Math.round(r.events / cpuSec),
    wrongOwner: r.wrongOwner,
    staleOwner: r.staleOwner,
    failedLookups: r.failedLookups,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
