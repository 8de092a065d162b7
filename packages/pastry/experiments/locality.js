/**
 * PA-LOC at one size on its own (pastry.md §5.3): N proximity-aware joins (the paper's WTF
 * variant) in the 1000 × 1000 plane, then lookups between random live nodes; the route latency
 * over the direct latency against the spec's band [1.2, 1.5]. This is `p2pkit sim pastry
 * --nodes N --locality` (the same simulate()), written to results/locality-<N>.json so that the
 * README's table can quote it; experiments/run.js runs the whole PA-LOC experiment (both sizes,
 * the negative control and the routing-table quality), which takes far longer at 10^4.
 *
 *   node experiments/locality.js [--nodes 10000] [--lookups 10000] [--seed 1]
 *   node experiments/locality.js --from run.json   (the JSON of `p2pkit sim pastry --locality`)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadNow, writeResult } from '@p2pkit/report';
import { simulate } from '../dist/scenarios/index.js';
import { updateReadme } from './readme.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10000' },
    lookups: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    from: { type: 'string' },
  },
});
const pkg = new URL('..', import.meta.url);
const load = loadNow();
let r;
let command;
if (values.from !== undefined) {
  r = JSON.parse(readFileSync(values.from, 'utf8'));
  command = `p2pkit sim pastry --nodes ${r.nodes} --locality --lookups ${r.lookups} --seed ${r.seed} --json`;
} else {
  const nodes = Number(values.nodes);
  const step = Math.max(1, Math.floor(nodes / 20));
  r = await simulate({
    nodes,
    lookups: Number(values.lookups),
    seed: Number(values.seed),
    locality: true,
    onSetup: (done, total) => {
      if (done % step === 0) process.stderr.write(`joins ${done}/${total}\n`);
    },
  });
  command = `pnpm --filter @p2pkit/pastry exec node experiments/locality.js --nodes ${r.nodes} --lookups ${r.lookups} --seed ${r.seed}`;
}
if (r.relativeDistance === undefined) throw new Error('not a --locality run');
// relativeDistance: the mean over lookups of route latency / direct latency (the paper's ratio).
const ratio = r.relativeDistance;
writeResult(pkg, {
  name: `locality-${r.nodes}`,
  kind: 'experiment',
  command,
  conditions: { nodes: r.nodes, lookups: r.lookups, seed: r.seed, join: 'wtf', proximity: true },
  loadAtStart: load,
  figures: [
    {
      figure: `PA-LOC: relative distance, N = ${r.nodes}, wtf`,
      value: Math.round(ratio * 1000) / 1000,
      unit: 'route / direct latency',
      peer: { name: 'paper', value: 1.33, source: 'pastry.md §5.2 (Fig. 6)' },
      goal: { on: 'value', atLeast: 1.2, atMost: 1.5, source: 'pastry.md §5.3' },
    },
    { figure: 'mean hops', value: r.hops.mean, unit: 'hops' },
    {
      figure: 'misdelivered or failed lookups',
      value: r.misdeliveries + r.failedLookups,
      unit: 'lookups',
      goal: { on: 'value', atMost: 0 },
    },
    { figure: 'setup (joins), wall', value: r.setupMs, unit: 'ms' },
  ],
});
process.stderr.write(`PA-LOC N = ${r.nodes}: route / direct latency ${ratio.toFixed(3)}\n`);
updateReadme();
