/**
 * `pnpm experiments`: the Kelips paper's experiments at its published sizes (spec sheet
 * kelips.md §5), each beside the published figure, with charts, through the report module
 * (packages/report/README.md): results/experiments.{json,html,md} and results/experiments-*.svg.
 *
 *   node experiments/run.js [--only KE-MEM,KE-FAIL] [--quick] [--report]
 *
 * --quick shrinks every experiment (a smoke run; the report says so). --only reruns some
 * experiments and keeps the others' results from results/experiments.json; --report reruns none
 * (re-renders the report from that file).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as report from '@p2pkit/report';
import { memoryModel } from '../dist/index.js';
import { failRun, insertRun, memoryRun, simulate } from '../dist/scenarios/index.js';
import { tradeoff } from './tradeoff.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    report: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const pkg = new URL('..', import.meta.url);
const previous = (() => {
  try {
    return report.readResult(pkg, 'experiments')?.data ?? {};
  } catch {
    return {};
  }
})();
const only = values.report ? new Set() : values.only ? new Set(values.only.split(',')) : undefined;
const wanted = (id) => only === undefined || only.has(id);

const log = (line) => process.stderr.write(`${line}\n`);
const r2 = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);
const load = report.loadNow();

// The paper's setups (spec §5.2): 1,000 nodes in 30 affinity groups; 1,000 files (K3, K4).
const N = quick ? 200 : 1000;
const K = quick ? 14 : 30;
const F = quick ? 200 : 1000;
const SEED = 1;

async function timed(id, fn) {
  if (!wanted(id)) return previous[id];
  const t = performance.now();
  log(`${id}: running${quick ? ' (quick)' : ''}...`);
  const out = await fn();
  log(`${id}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return out;
}

const data = {};
data['KE-MEM'] = await timed('KE-MEM', async () => {
  const model = memoryModel({ n: 100_000, k: 317, contacts: 2, files: 10_000_000 });
  const run = await memoryRun({ nodes: N, groups: K, files: F, seed: SEED, rounds: 40 });
  return { model, run };
});
data['KE-LOOKUP'] = await timed('KE-LOOKUP', () =>
  simulate({ nodes: N, groups: K, files: F, lookups: quick ? 1000 : 10_000, seed: SEED }),
);
data['KE-FAIL'] = await timed('KE-FAIL', () =>
  failRun({
    nodes: N,
    groups: K,
    files: F,
    crash: 0.5,
    before: 20,
    after: 60,
    rate: 2,
    seed: SEED,
  }),
);
data['KE-INSERT'] = await timed('KE-INSERT', async () => ({
  lossless: await insertRun({ nodes: N, groups: K, files: F, loss: 0, seed: SEED }),
  lossy: await insertRun({ nodes: N, groups: K, files: F, loss: 0.02, seed: SEED }),
}));

data['KE-TRADEOFF'] = await timed('KE-TRADEOFF', () =>
  tradeoff(quick ? [100, 300] : [100, 300, 1000], { seed: SEED, lookups: quick ? 300 : 1000, log }),
);

// ---- figures beside the paper -------------------------------------------------------------
const figures = [];
const blocks = [
  `Gupta, Birman, Linga, Demers, van Renesse, "Kelips", IPTPS 2003, beside our runs on the
deterministic simulator (seed ${SEED}; hosts in a plane, mean RTT ≈ 106 ms). Targets and
tolerances: the spec sheet's KE-MEM, KE-LOOKUP, KE-FAIL and KE-INSERT.${quick ? ' **Quick run: reduced sizes.**' : ''}`,
];

const mem = data['KE-MEM'];
if (mem) {
  const { model, run } = mem;
  figures.push({
    figure: 'KE-MEM: S(317, 10^5), F = 10^7, c = 2, 60/40 B entries',
    value: r2(model.bytes / 1e6),
    unit: 'MB per node',
    peer: { name: 'paper (§2.1)', value: 1.93, source: 'Kelips §2.1' },
    goal: { on: 'value', atLeast: 1.92, atMost: 1.94, source: 'kelips.md KE-MEM (± 0.01)' },
  });
  for (const key of ['view', 'contacts', 'tuples']) {
    const expected = run.expected[key];
    figures.push({
      figure: `KE-MEM: ${key === 'tuples' ? 'filetuples' : key} per node, ${run.nodes} nodes joined by gossip, k = ${run.groups}, F = ${run.files}`,
      value: r2(run.measured[key]),
      unit: 'entries',
      peer: {
        name: key === 'view' ? 'n/k − 1 (this run)' : key === 'contacts' ? 'c·(k−1)' : 'F/k',
        value: r2(expected),
      },
      goal: { on: 'ratio', atLeast: 0.85, atMost: 1.15, source: 'kelips.md KE-MEM (15 %)' },
    });
  }
  blocks.push(
    `## KE-MEM: soft state per node

The paper's memory formula S(k, n) = n/k + c·(k−1) + F/k at its example (n = 10^5, k = 317,
c = 2, F = 10^7, 40 B per member entry, 60 B per filetuple): **${r2(model.bytes / 1e6)} MB**
(paper: 1.93 MB; ${r2(model.tuples)} of the ${r2(model.entries)} entries are filetuples).

Measured: ${run.nodes} nodes join one after the other through one introducer, gossip runs 40
rounds, ${run.files} files are inserted through contacts, gossip runs 40 more. Per node:
view ${r2(run.measured.view)} (expected ${r2(run.expected.view)}), contacts
${r2(run.measured.contacts)} (${r2(run.expected.contacts)}), filetuples
${r2(run.measured.tuples)} (${r2(run.expected.tuples)}), ${r2(run.measured.bytes)} B at the
paper's entry sizes.`,
    report.lineChart({
      id: 'mem-over-time',
      title: 'Soft state per node while nodes join, then files are inserted',
      x: { label: 'simulated time', unit: 's' },
      y: { label: 'entries per node (mean)' },
      series: [
        { name: 'view', points: run.series.map((s) => [s.t, s.view]) },
        { name: 'contacts', points: run.series.map((s) => [s.t, s.contacts]) },
        { name: 'filetuples', points: run.series.map((s) => [s.t, s.tuples]) },
      ],
    }),
  );
}

const lookup = data['KE-LOOKUP'];
if (lookup) {
  figures.push(
    {
      figure: `KE-LOOKUP: median hops, ${lookup.nodes} nodes, k = ${lookup.groups}, stable`,
      value: lookup.hops.p50,
      unit: 'hops',
      peer: { name: 'paper (O(1): one RPC)', value: 1 },
      goal: { on: 'value', atLeast: 1, atMost: 1, source: 'kelips.md KE-LOOKUP' },
    },
    {
      figure: `KE-LOOKUP: success rate, ${lookup.lookups} lookups`,
      value: r2(lookup.successRate * 100),
      unit: '%',
      goal: { on: 'value', atLeast: 99, source: 'kelips.md KE-LOOKUP' },
    },
  );
  const total = lookup.hopCounts.reduce((a, b) => a + b, 0);
  blocks.push(
    `## KE-LOOKUP: one hop

${lookup.nodes} nodes in ${lookup.groups} groups with complete soft state, ${lookup.files} files
inserted through contacts, ${lookup.lookups} lookups from random nodes for random files: hops
mean ${r2(lookup.hops.mean)}, median ${lookup.hops.p50}, 99th percentile ${lookup.hops.p99},
max ${lookup.hops.max}; success ${r2(lookup.successRate * 100)} %; latency median
${r2(lookup.latencyMs.p50)} ms. A lookup for a file of the querier's own group takes 0 hops
(it holds the filetuple). Background traffic: ${r2(lookup.gossipBytesPerNodePerSec)} B/s per
node (the paper's bound: 6 × 272 B every 2 s = 816 B/s).`,
    report.barChart({
      id: 'lookup-hops',
      title: `Lookup hops, ${lookup.nodes} nodes, k = ${lookup.groups}`,
      x: { label: 'hops' },
      y: { label: 'fraction of lookups', format: '.0%' },
      categories: lookup.hopCounts.map((_, i) => i),
      series: [{ name: 'ours', values: lookup.hopCounts.map((c) => c / total) }],
    }),
  );
}

const fail = data['KE-FAIL'];
if (fail) {
  const count = (o, after) =>
    fail.lookups.filter((l) => l.outcome === o && (after === undefined || l.t >= 0 === after))
      .length;
  const before = fail.series.filter((s) => s.t < 0).at(-1);
  const last = fail.series.at(-1);
  const rounds =
    fail.settledAfterS === undefined ? undefined : fail.settledAfterS / (fail.roundMs / 1000);
  figures.push(
    {
      figure: `KE-FAIL: lookups failed for a live home, ${fail.crashed} of ${fail.nodes} crashed`,
      value: count('failed') + count('wrong-home'),
      unit: 'lookups',
      peer: { name: 'paper (K5)', value: 0 },
      goal: { on: 'value', atMost: 0, source: 'kelips.md KE-FAIL' },
    },
    {
      figure: 'KE-FAIL: mean view after the crash / before',
      value: r2(last.view / before.view),
      unit: 'ratio',
      peer: { name: 'paper (29 → 14.5)', value: 0.5 },
      goal: { on: 'value', atLeast: 0.4, atMost: 0.6, source: 'kelips.md KE-FAIL (about half)' },
    },
    {
      figure: 'KE-FAIL: gossip rounds until the view settles (within 5 %)',
      value: rounds ?? Number.NaN,
      unit: 'rounds',
      peer: { name: 'paper (K5: 80 s)', value: 40 },
      goal: { on: 'value', atMost: 40, source: 'kelips.md KE-FAIL (about 40 rounds)' },
    },
  );
  const buckets = new Map();
  for (const l of fail.lookups) {
    const b = Math.floor(l.t / 10) * 10;
    const row = buckets.get(b) ?? { ok: 0, crashed: 0, failed: 0 };
    if (l.outcome === 'ok') row.ok++;
    else if (l.outcome === 'home-crashed') row.crashed++;
    else row.failed++;
    buckets.set(b, row);
  }
  const times = [...buckets.keys()].sort((a, b) => a - b);
  blocks.push(
    `## KE-FAIL: half the nodes crash

${fail.nodes} nodes in ${fail.groups} groups with complete soft state, ${F} files inserted, 2
lookups per second from random live nodes; at t = 0, ${fail.crashed} nodes crash at once. After
the crash, ${count('ok', true)} lookups succeeded, ${count('home-crashed', true)} asked for a file
whose homenode had crashed (the failures the paper allows), and **${count('failed', true) + count('wrong-home', true)}**
failed otherwise. The mean view went from ${r2(before.view)} to ${r2(last.view)} (live group
members: ${r2(fail.expectedViewAfter)}) and was within 5 % of it ${fail.settledAfterS ?? '—'} s
after the crash (${rounds ?? '—'} rounds; the paper: about 40 rounds, 80 normalized seconds).
Timeouts: 25 s for view entries, 50 s for contacts (p2psim's).`,
    report.lineChart({
      id: 'fail-view',
      title: `Mean soft state of the live nodes, ${fail.crashed} of ${fail.nodes} crash at t = 0`,
      x: { label: 'time since the crash', unit: 's' },
      y: { label: 'entries per node (mean)' },
      series: [
        { name: 'view', points: fail.series.map((s) => [s.t, s.view]) },
        { name: 'contacts', points: fail.series.map((s) => [s.t, s.contacts]) },
        { name: 'filetuples', points: fail.series.map((s) => [s.t, s.tuples]) },
        {
          name: 'live group members',
          dashed: true,
          points: [
            [0, fail.expectedViewAfter],
            [fail.series.at(-1).t, fail.expectedViewAfter],
          ],
        },
      ],
      rules: [{ x: 0, label: 'crash' }],
    }),
    report.barChart({
      id: 'fail-lookups',
      title: 'Lookups per 10 s around the crash, by outcome',
      x: { label: 'time since the crash', unit: 's' },
      y: { label: 'lookups' },
      categories: times,
      series: [
        { name: 'found', values: times.map((t) => buckets.get(t).ok) },
        { name: 'home crashed', values: times.map((t) => buckets.get(t).crashed) },
        { name: 'failed (home alive)', values: times.map((t) => buckets.get(t).failed) },
      ],
    }),
  );
}

const insert = data['KE-INSERT'];
if (insert) {
  const { lossless, lossy } = insert;
  const within2 = (r) => ((r.tries[0] ?? 0) + (r.tries[1] ?? 0)) / r.files;
  figures.push(
    {
      figure: `KE-INSERT: inserts done in ≤ 2 tries, complete views, ${lossy.loss * 100} % datagram loss`,
      value: r2(within2(lossy) * 100),
      unit: '%',
      peer: { name: 'paper (K4: 66.2 + 33)', value: 99.2 },
      goal: { on: 'value', atLeast: 95, source: 'kelips.md KE-INSERT' },
    },
    {
      figure: 'KE-INSERT: inserts failed within 4 tries',
      value: lossy.failed + lossless.failed,
      unit: 'inserts',
      peer: { name: 'paper (K4)', value: 0 },
      goal: { on: 'value', atMost: 0, source: 'kelips.md KE-INSERT' },
    },
    {
      figure: 'K2: most files on one node / mean (random homes)',
      value: r2(lossless.filesPerNode.max),
      unit: 'files',
      peer: { name: '3 × mean + 3', value: r2(3 * lossless.filesPerNode.mean + 3) },
      goal: { on: 'ratio', atMost: 1, source: 'kelips.md K2 check' },
    },
  );
  const pct = (r, i) => r2(((r.tries[i] ?? 0) / r.files) * 100);
  blocks.push(
    `## KE-INSERT: tries per insert

${lossless.files} inserts from random nodes into ${lossless.nodes} nodes (${lossless.groups} groups)
with complete views, each through the closest contact of the file's group, which picks a random
member as homenode; a try that gets no answer goes to the next contact, up to 4. Without loss
every insert is done in ${lossless.tries.length === 1 ? 'one try' : `${lossless.tries.length} tries at most`};
with ${lossy.loss * 100} % of datagrams lost: ${pct(lossy, 0)} % in 1 try, ${pct(lossy, 1)} % in
2, ${pct(lossy, 2)} % in 3, ${pct(lossy, 3)} % in 4, ${lossy.failed} failed (paper, full views:
66.2 / 33 / 8 / 0 %, none failed; its tries failed under load, ours under loss). Turnaround:
median ${r2(lossless.turnaroundRtts.p50)} RTTs without loss (the paper's first tries: 5-10
RTTs, with a random walk inside the group). Files per node: mean
${r2(lossless.filesPerNode.mean)}, max ${lossless.filesPerNode.max}.`,
    report.barChart({
      id: 'insert-tries',
      title: 'Tries per insert, complete views',
      x: { label: 'tries' },
      y: { label: 'fraction of inserts', format: '.0%' },
      categories: [1, 2, 3, 4],
      series: [
        {
          name: 'no loss',
          values: [0, 1, 2, 3].map((i) => (lossless.tries[i] ?? 0) / lossless.files),
        },
        {
          name: `${lossy.loss * 100} % loss`,
          values: [0, 1, 2, 3].map((i) => (lossy.tries[i] ?? 0) / lossy.files),
        },
        { name: 'paper (K4)', values: [0.662, 0.33, 0.08, 0] },
      ],
    }),
    report.barChart({
      id: 'insert-load',
      title: 'Files stored per node (load balance, K2)',
      x: { label: 'files on a node' },
      y: { label: 'nodes' },
      categories: lossless.filesPerNode.histogram.map((_, i) => i),
      series: [{ name: 'ours', values: lossless.filesPerNode.histogram }],
    }),
  );
}

const trade = data['KE-TRADEOFF'];
if (trade) {
  const protocols = ['kelips', 'chord', 'pastry'];
  const big = trade.at(-1);
  figures.push(
    {
      figure: `Trade-off at N = ${big.n}: Kelips routing state per node / Chord's`,
      value: r2(big.kelips.entries / big.chord.entries),
      unit: 'ratio',
      note: `Kelips ${r2(big.kelips.entries)}, Chord ${r2(big.chord.entries)}, Pastry ${r2(big.pastry.entries)} entries`,
    },
    {
      figure: `Trade-off at N = ${big.n}: Kelips mean hops / Chord's`,
      value: r2(big.kelips.hops / big.chord.hops),
      unit: 'ratio',
      note: `Kelips ${r2(big.kelips.hops)}, Chord ${r2(big.chord.hops)}, Pastry ${r2(big.pastry.hops)} hops`,
    },
    {
      figure: `Trade-off at N = ${big.n}: Kelips background bytes per node per second / Chord's`,
      value: r2(big.kelips.bytesPerSec / big.chord.bytesPerSec),
      unit: 'ratio',
      note: `Kelips ${r2(big.kelips.bytesPerSec)}, Chord ${r2(big.chord.bytesPerSec)}, Pastry ${r2(big.pastry.bytesPerSec)} B/s`,
    },
  );
  const table = [
    '| N | protocol | routing entries per node | mean hops | background B/s per node |',
    '|---|---|---|---|---|',
    ...trade.flatMap((row) =>
      protocols.map(
        (p) =>
          `| ${row.n} | ${p} | ${r2(row[p].entries)} | ${r2(row[p].hops)} | ${r2(row[p].bytesPerSec)} |`,
      ),
    ),
  ].join('\n');
  const line = (title, id, key, unit, log) =>
    report.lineChart({
      id,
      title,
      x: { label: 'nodes N', log: true },
      y: { label: title, ...(unit ? { unit } : {}), log },
      series: protocols.map((p) => ({ name: p, points: trade.map((row) => [row.n, row[p][key]]) })),
    });
  blocks.push(
    `## The trade-off: memory and background traffic for one hop

Kelips beside Chord and Pastry at the same N, each with its own defaults, on the same simulator
(hosts in a plane): routing state per node (Kelips: view and contacts, filetuples aside; Chord:
distinct fingers, successors and predecessor; Pastry: routing table and leaf set), mean lookup
hops (each protocol counts its own way: Kelips RPCs from the querier, Chord finger forwardings,
Pastry forwardings), and the bytes each node sends per second at rest to keep that state fresh
(Kelips gossips every 2 s; Chord stabilizes every 30 s on average).

${table}

Kelips holds O(√N) entries and answers in one hop, and pays for it with a constant gossip
stream of a few hundred bytes per node per second; Chord and Pastry hold O(log N) and take
O(log N) hops with far less background traffic.`,
    line('routing entries per node', 'tradeoff-memory', 'entries', undefined, true),
    line('mean lookup hops', 'tradeoff-hops', 'hops', 'hops', false),
    line('background traffic per node', 'tradeoff-bytes', 'bytesPerSec', 'B/s', true),
  );
}

const written = await report.writeReport(pkg, {
  name: 'experiments',
  kind: 'experiment',
  title: 'Kelips: the paper beside our runs',
  command: `pnpm --filter @p2pkit/kelips experiments${quick ? ' --quick' : ''}`,
  conditions: { nodes: N, groups: K, files: F, seed: SEED, quick },
  loadAtStart: load,
  figures,
  data,
  blocks,
});
for (const f of written.result.figures) {
  log(`${f.met === false ? '❌' : f.met ? '✅' : '  '} ${f.figure}: ${f.value} ${f.unit}`);
}
log(`wrote ${written.files.join(', ')}`);

// The README's results table, generated from the figures just written (between its markers).
const readme = new URL('README.md', pkg);
const text = readFileSync(readme, 'utf8');
const rows = written.result.figures.map(
  (f) =>
    `| ${f.figure} | ${f.peer ? `${f.peer.value} (${f.peer.name})` : '—'} | ${f.value} ${f.unit} | ${f.met === undefined ? '' : f.met ? 'yes' : '**no**'} |`,
);
const table = [
  `Measured ${written.result.date.slice(0, 10)} at ${written.result.commit}${quick ? ' (quick run)' : ''}:`,
  '',
  '| figure | reference | ours | target met |',
  '|---|---|---|---|',
  ...rows,
].join('\n');
const start = '<!-- kelips:results -->';
const end = '<!-- /kelips:results -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a >= 0 && b > a) {
  writeFileSync(readme, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
  log('README.md results table updated');
}
