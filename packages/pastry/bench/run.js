/**
 * `pnpm bench`: the issue's performance goals, each benchmark in its own process (so its peak
 * RSS is its own), written to results/<name>.json in the report module's convention
 * (packages/report/README.md):
 * - lookups: `p2pkit sim pastry --nodes 10000 --lookups 1000000`'s workload, beside PeerSim's
 *   MSPastry on the same workload (10.9k lookups/s, 3.20 hops, measured on this machine: issue
 *   15); goal ≥ 2× (≥ 22k lookups/s);
 * - memory: 10^5 nodes in ≤ 4 GiB.
 *
 *   node bench/run.js [--quick] [lookups|memory ...]
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { loadNow, writeResult } from '@p2pkit/report';
import { updateReadme } from '../experiments/readme.js';

const { values, positionals } = parseArgs({
  options: { quick: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const quick = values.quick;
const pkg = new URL('..', import.meta.url);

/** PeerSim 1.0.5's MSPastry on this workload at 10^4 nodes, as the issue measured it. */
const PEERSIM = { lookupsPerSec: 10_900, hops: 3.2 };

const BENCHES = [
  {
    name: 'lookups',
    args: quick
      ? ['--nodes', '10000', '--lookups', '100000']
      : ['--nodes', '10000', '--lookups', '1000000'],
    figures: (r) => [
      {
        figure: `lookups per second, ${r.nodes.toLocaleString('en-US')} nodes × ${r.lookups.toLocaleString('en-US')} lookups (simulator, the sim pastry workload)`,
        value: r.lookupsPerSec,
        unit: 'lookups/s',
        better: 'higher',
        peer: {
          name: 'PeerSim MSPastry',
          value: PEERSIM.lookupsPerSec,
          source: 'PeerSim 1.0.5 MSPastry, same workload, measured on this machine (issue 15)',
        },
        goal: { on: 'ratio', atLeast: 2, source: 'issue 15' },
        headline: `Pastry: ${r.nodes.toLocaleString('en-US')} nodes × ${r.lookups.toLocaleString('en-US')} lookups in the simulator, vs PeerSim MSPastry`,
      },
      {
        figure: 'lookups per CPU-second (the same run; less sensitive to a busy machine)',
        value: r.lookupsPerCpuSec,
        unit: 'lookups/CPU-s',
        better: 'higher',
        peer: {
          name: 'PeerSim MSPastry',
          value: PEERSIM.lookupsPerSec,
          source:
            "PeerSim's lookups per wall second on this machine (issue 15); one thread, so about its rate per CPU-second",
        },
        goal: { on: 'ratio', atLeast: 2, source: 'issue 15' },
      },
      {
        figure: 'mean hops',
        value: r.meanHops,
        unit: 'hops',
        peer: { name: 'PeerSim MSPastry', value: PEERSIM.hops, source: 'issue 15' },
      },
      {
        figure: 'misdelivered or failed lookups',
        value: r.misdeliveries + r.failedLookups,
        unit: 'lookups',
        goal: { on: 'value', atMost: 0 },
      },
      {
        figure: 'simulator events per second',
        value: r.eventsPerSec,
        unit: 'events/s',
        better: 'higher',
      },
      { figure: 'peak RSS', value: r.peakRssMB, unit: 'MB', better: 'lower' },
    ],
  },
  {
    name: 'memory',
    args: quick
      ? ['--nodes', '30000', '--lookups', '30000']
      : ['--nodes', '100000', '--lookups', '100000'],
    figures: (r) => [
      {
        figure: `peak RSS, ${r.nodes.toLocaleString('en-US')} nodes (tables built directly) and ${r.lookups.toLocaleString('en-US')} lookups`,
        value: r.peakRssMB,
        unit: 'MB',
        better: 'lower',
        goal: { on: 'value', atMost: 4096, source: 'issue 15 (10^5 nodes in ≤ 4 GiB)' },
        headline: `Pastry: ${r.nodes.toLocaleString('en-US')} simulated nodes, peak memory`,
      },
      { figure: 'mean hops', value: r.meanHops, unit: 'hops' },
      { figure: 'lookups per second', value: r.lookupsPerSec, unit: 'lookups/s', better: 'higher' },
    ],
  },
];

/** `--nodes 10 --lookups 5` as { nodes: 10, lookups: 5 }. */
function optionsOf(args) {
  const out = {};
  for (let i = 0; i + 1 < args.length; i += 2)
    out[args[i].replace(/^--/, '')] = Number(args[i + 1]);
  return out;
}

for (const bench of BENCHES) {
  if (positionals.length > 0 && !positionals.includes(bench.name)) continue;
  const load = loadNow();
  process.stderr.write(`bench ${bench.name}: ${bench.args.join(' ')}\n`);
  const out = execFileSync(
    process.execPath,
    [
      // Datagrams and lookups in flight die young in a larger young generation.
      '--max-semi-space-size=64',
      '--max-old-space-size=8192',
      new URL('./lookups.js', import.meta.url).pathname,
      ...bench.args,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const r = JSON.parse(out.trim().split('\n').pop());
  writeResult(pkg, {
    name: bench.name,
    kind: 'bench',
    command: `pnpm --filter @p2pkit/pastry bench${quick ? ' -- --quick' : ''} ${bench.name}`,
    conditions: { ...optionsOf(bench.args), quick, setupMs: r.setupMs, wallMs: r.wallMs },
    loadAtStart: load,
    figures: bench.figures(r),
  });
  process.stderr.write(`bench ${bench.name}: ${JSON.stringify(r)}\n`);
}
updateReadme();
