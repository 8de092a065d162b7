/**
 * `pnpm experiments`: the Pastry paper's experiments (Rowstron & Druschel, Middleware 2001, §5)
 * as the spec sheet sets them (pastry.md §5.3: PA-HOPS, PA-FAIL, PA-LOC), each beside the
 * published figure, side by side with Chord at the same N, with charts, through the report
 * module: results/experiments.{json,html,md} and results/experiments-*.svg.
 *
 *   node experiments/run.js [--only PA-HOPS,PA-LOC] [--quick] [--max-nodes N]
 *     [--fail-oracle] [--fail-lookups L] [--report]
 *
 * --quick shrinks every experiment (a smoke run; the report then says so). --max-nodes leaves
 * out the sizes of PA-HOPS and PA-LOC above N (the report's tables show which ran). --only
 * reruns some experiments and keeps the others' results from results/experiments.json;
 * --fail-oracle builds PA-FAIL's overlays from an oracle instead of 5,000 joins each, and
 * --fail-lookups sets its lookups per phase (default 100,000): a shorter PA-FAIL at the paper's
 * size (the report states how it was built and how many lookups ran);
 * --report reruns none.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { ChordWorld, simulate as chordSimulate } from '@p2pkit/chord/scenarios';
import * as report from '@p2pkit/report';
import { constant, Simulation } from '@p2pkit/sim';
import { failRun, hopsRun, joinCostRun, localityRun } from '../dist/scenarios/index.js';
import { updateReadme } from './readme.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'max-nodes': { type: 'string' },
    'fail-oracle': { type: 'boolean', default: false },
    'fail-lookups': { type: 'string' },
    report: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const maxNodes = values['max-nodes'] === undefined ? Infinity : Number(values['max-nodes']);
/** The sizes a run keeps (--max-nodes). */
const upTo = (sizes) => sizes.filter((n) => n <= maxNodes);
const only = values.report ? new Set() : values.only ? new Set(values.only.split(',')) : undefined;
const pkg = new URL('..', import.meta.url);

const log = (line) => process.stderr.write(`${line}\n`);
const r2 = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);
const r3 = (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
const mark = (ok) => (ok ? '✅' : '❌');
const log16 = (n) => Math.log(n) / Math.log(16);

// ---- published figures (pastry.md §5.2; [paper] or [fig] as labelled there) ----
/** P1, Fig. 4: mean hops vs N [fig]. */
const P1 = {
  1000: 2.5,
  2000: 2.7,
  3000: 2.8,
  5000: 2.95,
  10000: 3.23,
  20000: 3.5,
  50000: 3.75,
  100000: 3.98,
};
/** P2, Fig. 5: P(h hops) at N = 100,000 [paper]. */
const P2 = [0, 0.0006, 0.0156, 0.1643, 0.6449, 0.1745, 0];
/** P6, Figs. 9-10: average hops [paper / figure labels]; RPCs per failed node [paper]. */
const P6 = { baseline: 2.73, noRepair: 2.96, afterRepair: 2.74, rpcs: 57 };
/** P3, Fig. 6: relative distance [fig]. */
const P3 = { 1000: 1.33, 10000: 1.33 };
/** P4, Fig. 7, WTF: optimal entries out of 15 per row [fig] (levels 0, 1, 2, 3). */
const P4_WTF = [14, 14, 10.4, 1.1];

const results = {};
const sections = [];
const checks = [];
/** Measured values beside the paper's, for results/experiments.json. */
const measured = [];

function figure(id, name, value, unit, paper, goal) {
  measured.push({
    figure: `${id}: ${name}`,
    value: r3(value),
    unit,
    ...(paper !== undefined
      ? { peer: { name: 'paper', value: paper, source: 'pastry.md §5.2' } }
      : {}),
    ...(goal !== undefined ? { goal: { on: 'value', ...goal, source: 'pastry.md §5.3' } } : {}),
  });
}

function check(id, what, ok) {
  checks.push({ id, what, ok });
  return mark(ok);
}

function lineChart(id, { title, x, y }, series) {
  return report.lineChart({
    id,
    title,
    x,
    y,
    series: series.map((s) => ({
      name: s.name,
      dashed: s.dashed === true,
      points: s.points.map(([px, py]) => ({ x: px, y: py })),
    })),
  });
}

function barChart(id, { title, x, y }, categories, series) {
  return report.barChart({ id, title, x, y, categories, series });
}

async function timed(id, fn) {
  const t = performance.now();
  log(`${id}: running${quick ? ' (quick)' : ''}...`);
  await fn();
  log(`${id}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

/** Chord at the same N: hops (its papers' count), routing state per node, datagrams per join. */
async function chordBeside(n, lookups, joins) {
  const hops = await chordSimulate({ nodes: n, lookups, seed: 1 });
  const sim = new Simulation({ seed: 1, latency: constant(10), traceHash: 'off' });
  const world = new ChordWorld(sim, { maintenance: false, expectedSize: n });
  await world.spawn(n);
  world.buildOracle();
  let state = 0;
  for (const node of world.nodes()) state += node.fingers().length + node.successorList().length;
  // Joins into the ring (maintenance off: every datagram is the join's: its lookup and the
  // stabilize round join() runs).
  const fresh = await world.spawn(joins);
  const sent0 = sim.metrics.totals().datagrams.sent.messages;
  for (const node of fresh) await world.join(node);
  const perJoin = (sim.metrics.totals().datagrams.sent.messages - sent0) / joins;
  for (const node of world.nodes()) await node.stop();
  return { n, hops: hops.hops.mean, state: state / n, messagesPerJoin: perJoin };
}

const experiments = [];

// ---------------------------------------------------------------- PA-HOPS
experiments.push({
  id: 'PA-HOPS',
  async run() {
    const sizes = upTo(quick ? [1000, 3000] : [1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000]);
    const lookups = quick ? 20_000 : 200_000;
    const rows = [];
    for (const n of sizes) {
      const r = await hopsRun({ nodes: n, lookups, seed: 1 });
      log(`  N = ${n}: mean ${r3(r.hops.mean)} (${Math.round(r.wallMs / 1000)} s)`);
      rows.push(r);
    }
    const chordSizes = upTo(quick ? [1000, 3000] : [1000, 10_000, 100_000]);
    const chord = [];
    for (const n of chordSizes) {
      const c = await chordBeside(n, quick ? 5000 : 50_000, quick ? 20 : 100);
      const joins = quick ? 20 : 100;
      c.pastryJoin = {
        wt: await joinCostRun({ nodes: n, joins, join: 'wt' }),
        wtf: await joinCostRun({ nodes: n, joins, join: 'wtf' }),
      };
      log(
        `  Chord N = ${n}: mean ${r3(c.hops)}, ${r2(c.messagesPerJoin)} datagrams per join; Pastry ${r2(c.pastryJoin.wtf.datagramsPerJoin)}`,
      );
      chord.push(c);
    }
    return { lookups, rows, chord };
  },
  render({ lookups, rows, chord }) {
    const largest = rows[rows.length - 1];
    const lines = [
      '### PA-HOPS — route length vs N (Fig. 4) and its distribution (Fig. 5)',
      '',
      `b = 4, |L| = 16; routing tables built directly from the sorted ids (each slot a random node with the right prefix, the spec's idealized model; no join traffic, as 10^5 nodes need), ${lookups.toLocaleString('en-US')} lookups per N, each from a random node to the id of another random live node (so 0 hops never occurs); hops count forwardings. Seed 1.`,
      '',
      '| N | mean hops | p50 | p99 | max | paper [fig] | log16 N | table entries per node | check (±0.15, ≤ log16 N + 0.1) |',
      '|---|---|---|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      const paper = P1[r.nodes];
      const ok =
        paper === undefined ||
        (Math.abs(r.hops.mean - paper) <= 0.15 && r.hops.mean <= log16(r.nodes) + 0.1);
      const verdict =
        paper === undefined || ![1000, 10_000, 100_000].includes(r.nodes)
          ? mark(ok)
          : check('PA-HOPS', `N=${r.nodes}: mean ${paper} ± 0.15 and ≤ log16 N + 0.1`, ok);
      figure(
        'PA-HOPS',
        `mean hops, N = ${r.nodes}`,
        r.hops.mean,
        'hops',
        paper,
        paper === undefined ? undefined : { atLeast: paper - 0.15, atMost: paper + 0.15 },
      );
      lines.push(
        `| ${r.nodes.toLocaleString('en-US')} | ${r3(r.hops.mean)} | ${r.hops.p50} | ${r.hops.p99} | ${r.hops.max} | ${paper ?? '—'} | ${r2(log16(r.nodes))} | ${r2(r.state.tableEntries)} + ${r.state.leafSet} leaf set | ${verdict} |`,
      );
    }
    const f = largest.fractions;
    const p4 = f[4] ?? 0;
    const p5 = f[5] ?? 0;
    const atMax = largest.nodes === 100_000;
    if (atMax) {
      figure('PA-HOPS', 'P(4 hops), N = 10^5', p4, 'fraction', P2[4], {
        atLeast: 0.6,
        atMost: 0.69,
      });
      figure('PA-HOPS', 'P(5 hops), N = 10^5', p5, 'fraction', P2[5], {
        atLeast: 0.14,
        atMost: 0.21,
      });
    }
    lines.push(
      '',
      `Hop distribution at N = ${largest.nodes.toLocaleString('en-US')}: ${f.map((x, h) => `P(${h}) = ${r3(x)}`).join(', ')} (paper at 10^5: ${P2.map((x, h) => `P(${h}) = ${x}`).join(', ')}).`,
      atMax
        ? `P(4) = **${r3(p4)}** (target [0.60, 0.69]) ${check('PA-HOPS', 'N=10^5: P(4) in [0.60, 0.69]', p4 >= 0.6 && p4 <= 0.69)}; P(5) = **${r3(p5)}** (target [0.14, 0.21]) ${check('PA-HOPS', 'N=10^5: P(5) in [0.14, 0.21]', p5 >= 0.14 && p5 <= 0.21)}; longest route **${largest.hops.max}** (target ≤ 6) ${check('PA-HOPS', 'N=10^5: no route above 6 hops', largest.hops.max <= 6)}; misdelivered ${rows.reduce((s, r) => s + r.misdeliveries, 0)}.`
        : '(The distribution checks apply at N = 10^5, run without --quick.)',
      '',
      lineChart(
        'hops-vs-n',
        {
          title: 'Route length vs N (Fig. 4)',
          x: { label: 'nodes', unit: 'N', log: true },
          y: { label: 'mean route length', unit: 'hops' },
        },
        [
          { name: 'ours', points: rows.map((r) => [r.nodes, r.hops.mean]) },
          {
            name: 'paper [fig]',
            dashed: true,
            points: Object.entries(P1).map(([n, h]) => [Number(n), h]),
          },
          { name: 'log16 N', dashed: true, points: rows.map((r) => [r.nodes, log16(r.nodes)]) },
          { name: 'Chord (its own count)', points: chord.map((c) => [c.n, c.hops]) },
        ],
      ),
      '',
      barChart(
        'hop-distribution',
        {
          title: `Hops per route, N = ${largest.nodes.toLocaleString('en-US')} (Fig. 5)`,
          x: { label: 'hops' },
          y: { label: 'fraction of routes' },
        },
        f.map((_, h) => String(h)),
        [
          { name: 'ours', values: f },
          ...(atMax ? [{ name: 'paper (10^5)', values: f.map((_, h) => P2[h] ?? 0) }] : []),
        ],
      ),
      '',
      '#### Beside Chord at the same N',
      '',
      "Chord: the same simulator, fingers and successor lists built from an oracle (r as its default), random keys; its hops are counted its papers' way (finger forwardings, the final step to the owner not counted: add one to compare messages on the way). State per node: distinct fingers plus the successor list for Chord; routing-table entries plus the leaf set for Pastry (tables from the oracle), and the state a node holds after a real join (table, leaf set and |M| = 32 neighbours). Datagrams per join: every datagram the network sends while one node joins an overlay of N built from an oracle (maintenance off, delays uniform in [10, 100] ms): for Chord its lookup of its own id plus one stabilize round; for Pastry the join with row copying (wt) and with the locality stage (wtf).",
      '',
      '| N | Chord hops | Pastry hops | Chord state per node | Pastry state per node (oracle; after a join, with \\|M\\|) | Chord datagrams per join | Pastry datagrams per join (wt; wtf) |',
      '|---|---|---|---|---|---|---|',
      ...chord.map((c) => {
        const p = rows.find((r) => r.nodes === c.n);
        const j = c.pastryJoin;
        return `| ${c.n.toLocaleString('en-US')} | ${r3(c.hops)} | ${p ? r3(p.hops.mean) : '—'} | ${r2(c.state)} | ${p ? r2(p.state.tableEntries + p.state.leafSet) : '—'}; ${r2(j.wtf.stateAfterJoin)} | ${r2(c.messagesPerJoin)} | ${r2(j.wt.datagramsPerJoin)}; ${r2(j.wtf.datagramsPerJoin)} |`;
      }),
      '',
      "The paper's own cost for the basic join is O(log_16 N) messages with a constant of about 3 × 2^b ≈ 48; ours counts every datagram both ways (requests and their answers, the announcements to every node of the new tables and their answers, the probes of the locality stage).",
    );
    return lines;
  },
});

// ---------------------------------------------------------------- PA-FAIL
experiments.push({
  id: 'PA-FAIL',
  async run() {
    const nodes = quick ? 1000 : 5000;
    return failRun({
      nodes,
      fail: nodes / 10,
      lookups: quick ? 5000 : Number(values['fail-lookups'] ?? 100_000),
      seed: 1,
      build: quick || values['fail-oracle'] ? 'oracle' : 'join',
      onProgress: (phase) => log(`  ${phase} done`),
    });
  },
  render(r) {
    const misdelivered =
      r.baseline.misdeliveries +
      r.noRepair.misdeliveries +
      r.repairing.misdeliveries +
      r.afterRepair.misdeliveries;
    const failed =
      r.noRepair.failedLookups + r.repairing.failedLookups + r.afterRepair.failedLookups;
    figure('PA-FAIL', 'mean hops, no failure', r.baseline.hops.mean, 'hops', P6.baseline);
    figure(
      'PA-FAIL',
      'mean hops after failures, no repair',
      r.noRepair.hops.mean,
      'hops',
      P6.noRepair,
      { atLeast: r.baseline.hops.mean },
    );
    figure('PA-FAIL', 'mean hops after repair', r.afterRepair.hops.mean, 'hops', P6.afterRepair, {
      atMost: r.baseline.hops.mean + 0.1,
    });
    figure('PA-FAIL', 'repair RPCs per failed node', r.rpcsPerFailed, 'RPCs', P6.rpcs);
    figure('PA-FAIL', 'misdelivered lookups', misdelivered, 'lookups', 0, { atMost: 0 });
    const rows = [
      ['no failure', r.baseline, P6.baseline],
      ['after failures, no repair', r.noRepair, P6.noRepair],
      ['after failures, while repairing', r.repairing, undefined],
      ['after repair', r.afterRepair, P6.afterRepair],
    ];
    return [
      '### PA-FAIL — 10 % of the nodes fail silently (Figs. 9, 10)',
      '',
      `${r.nodes} nodes (${r.build === 'join' ? 'built by joins' : 'tables from an oracle'}), b = 4, |L| = 16, |M| = 32; ${r.failed} random nodes crash at once, nothing sent; ${r.baseline.lookups.toLocaleString('en-US')} lookups per phase from random live nodes to random live nodes' ids, one per simulated ms. Delays uniform in [10, 100] ms, so that the 500 ms RPC timeout means "dead". Each forwarding waits for the next hop's acknowledgement and reroutes around a hop that does not answer. Two runs with the same seed and the same failures: lazy routing-table repair off, then on (leaf sets are repaired in both). Maintenance probes are off: dead nodes are found by routing.`,
      '',
      '| phase | mean hops | p99 | max | misdelivered | failed | paper |',
      '|---|---|---|---|---|---|---|',
      ...rows.map(
        ([name, p, paper]) =>
          `| ${name} | ${r3(p.hops.mean)} | ${p.hops.p99} | ${p.hops.max} | ${p.misdeliveries} | ${p.failedLookups} | ${paper ?? '—'} |`,
      ),
      '',
      `Misdelivered lookups: **${misdelivered}** (target 0) ${check('PA-FAIL', '0 misdelivered lookups', misdelivered === 0)}; lookups without an answer: ${failed}. Without repair the routes are longer than before the failures (**${r3(r.noRepair.hops.mean)}** vs ${r3(r.baseline.hops.mean)}) ${check('PA-FAIL', 'hops without repair > no-failure baseline', r.noRepair.hops.mean > r.baseline.hops.mean)}; after repair **${r3(r.afterRepair.hops.mean)}** ≤ baseline + 0.1 ${check('PA-FAIL', 'hops after repair <= baseline + 0.1', r.afterRepair.hops.mean <= r.baseline.hops.mean + 0.1)}. Repair cost: **${r2(r.rpcsPerFailed)} RPCs per failed node** (paper: 57), ${r.repairedEntries} routing-table entries replaced.`,
      '',
      barChart(
        'fail',
        {
          title: '10 % of the nodes fail (Fig. 9)',
          x: { label: 'phase' },
          y: { label: 'mean route length', unit: 'hops' },
        },
        ['no failure', 'no repair', 'after repair'],
        [
          {
            name: 'ours',
            values: [r.baseline.hops.mean, r.noRepair.hops.mean, r.afterRepair.hops.mean],
          },
          { name: 'paper', values: [P6.baseline, P6.noRepair, P6.afterRepair] },
        ],
      ),
    ];
  },
});

// ---------------------------------------------------------------- PA-LOC
experiments.push({
  id: 'PA-LOC',
  async run() {
    const sizes = upTo(quick ? [500] : [1000, 10_000]);
    const rows = [];
    for (const n of sizes) {
      for (const variant of [
        { join: 'wtf', proximity: true },
        { join: 'sl', proximity: false },
      ]) {
        const r = await localityRun({
          nodes: n,
          lookups: quick ? 1000 : 10_000,
          sample: quick ? 50 : 200,
          seed: 1,
          ...variant,
          onProgress: (done, total) => {
            if (done % Math.max(1, Math.floor(total / 10)) === 0)
              log(`  N = ${n} ${variant.join}: ${done}/${total} joined`);
          },
        });
        log(`  N = ${n} ${variant.join}: relative distance ${r3(r.relativeDistance)}`);
        rows.push(r);
      }
    }
    return rows;
  },
  render(rows) {
    const lines = [
      '### PA-LOC — route locality (Fig. 6) and routing-table quality (Fig. 7)',
      '',
      "Nodes at random in the paper's 1000 × 1000 plane, one-way delay proportional to the Euclidean distance (0.08 ms per unit, no access delay); each node joins through the nearest node, one at a time. Proximity neighbour selection uses round-trip times the nodes measure with PINGs. With proximity, 3 rounds of routing-table maintenance follow the joins (each node asks a random entry of each row for that row and keeps the closer nodes it names: what the periodic maintenance does, so that nodes that joined early learn the closer nodes that joined after them); the table quality below is measured before them, on the joins' own tables (as Fig. 7). Relative distance: for each route between two random nodes, the time the route took (the answer's own trip back removed) over the direct one-way delay, averaged. Negative control: the basic join (`sl`) with proximity off.",
      '',
      '| N | join | proximity | relative distance | paper [fig] | mean hops | datagrams per join | table maintenance rounds (datagrams per node) | check ([1.2, 1.5]) |',
      '|---|---|---|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      const wtf = r.join === 'wtf';
      const ok = r.relativeDistance >= 1.2 && r.relativeDistance <= 1.5;
      figure(
        'PA-LOC',
        `relative distance, N = ${r.nodes}, ${r.join}${r.proximity ? '' : ' without proximity'}`,
        r.relativeDistance,
        'route / direct latency',
        wtf ? (P3[r.nodes] ?? 1.33) : undefined,
        wtf ? { atLeast: 1.2, atMost: 1.5 } : undefined,
      );
      figure(
        'PA-LOC',
        `datagrams per join, N = ${r.nodes}, ${r.join}`,
        r.messagesPerJoin,
        'datagrams',
      );
      lines.push(
        `| ${r.nodes.toLocaleString('en-US')} | ${r.join} | ${r.proximity ? 'on' : 'off'} | ${r3(r.relativeDistance)} | ${wtf ? (P3[r.nodes] ?? '—') : '(control)'} | ${r3(r.hops)} | ${r2(r.messagesPerJoin)} | ${r.tableRounds ?? 0}${r.tableRounds ? ` (${r2(r.tableRoundMessagesPerNode)})` : ''} | ${wtf ? ([1000, 10_000].includes(r.nodes) ? check('PA-LOC', `N=${r.nodes}: relative distance in [1.2, 1.5]`, ok) : mark(ok)) : `${r3(r.relativeDistance)} > ${r3(rows.find((x) => x.nodes === r.nodes && x.join === 'wtf')?.relativeDistance)}: ${mark(r.relativeDistance > (rows.find((x) => x.nodes === r.nodes && x.join === 'wtf')?.relativeDistance ?? 0))}`} |`,
      );
    }
    const best = rows.filter((r) => r.join === 'wtf');
    const last = best[best.length - 1];
    const control = rows.find((r) => r.nodes === last.nodes && r.join === 'sl');
    lines.push(
      '',
      `Routing-table quality at N = ${last.nodes.toLocaleString('en-US')} (Fig. 7; a sample of nodes, each entry compared with the closest live node that has its slot's prefix): optimal entries per row ${last.optimalPerRow.map((x, l) => `level ${l}: ${r2(x)} of ${r2(last.filledPerRow[l])}`).join(', ')}; paper (WTF, 5,000 nodes) ${P4_WTF.map((x, l) => `level ${l}: ${x}`).join(', ')}. Level 0: **${r2(last.optimalPerRow[0])}** optimal of 15 (target ≥ 13) ${check('PA-LOC', 'WTF: level-0 optimal entries >= 13 of 15', last.optimalPerRow[0] >= 13)}.`,
      '',
      lineChart(
        'locality',
        {
          title: 'Relative distance of a route (Fig. 6)',
          x: { label: 'nodes', unit: 'N', log: true },
          y: { label: 'route latency / direct latency' },
        },
        [
          { name: 'ours (wtf, proximity)', points: best.map((r) => [r.nodes, r.relativeDistance]) },
          {
            name: 'ours (sl, no proximity)',
            points: rows.filter((r) => r.join === 'sl').map((r) => [r.nodes, r.relativeDistance]),
          },
          {
            name: 'paper [fig]',
            dashed: true,
            points: best.map((r) => [r.nodes, P3[r.nodes] ?? 1.33]),
          },
        ],
      ),
      '',
      barChart(
        'table-quality',
        {
          title: `Optimal routing-table entries per row, N = ${last.nodes.toLocaleString('en-US')} (Fig. 7)`,
          x: { label: 'row (level)' },
          y: { label: 'entries per node' },
        },
        last.filledPerRow.map((_, l) => String(l)),
        [
          { name: 'ours: optimal (wtf)', values: last.optimalPerRow },
          { name: 'ours: filled', values: last.filledPerRow },
          ...(control
            ? [
                {
                  name: 'ours: optimal (sl, no proximity)',
                  values: last.filledPerRow.map((_, l) => control.optimalPerRow[l] ?? 0),
                },
              ]
            : []),
          { name: 'paper: optimal (WTF)', values: last.filledPerRow.map((_, l) => P4_WTF[l] ?? 0) },
        ],
      ),
    );
    return lines;
  },
});

// ---------------------------------------------------------------- run, then render
for (const e of experiments) {
  if (only && !only.has(e.id)) continue;
  await timed(e.id, async () => {
    results[e.id] = {
      quick,
      date: new Date().toISOString().slice(0, 10),
      ...(Number.isFinite(maxNodes) ? { maxNodes } : {}),
      result: await e.run(),
    };
  });
}
// The others' results as they are now, not when this run started: two `--only` runs of
// different experiments at once (hours at full size) keep each other's results.
const previous = report.readResult(pkg, 'experiments')?.data ?? {};
for (const e of experiments) {
  if (results[e.id] === undefined && previous[e.id] !== undefined) results[e.id] = previous[e.id];
}
for (const e of experiments) {
  const stored = results[e.id];
  if (stored) sections.push('', ...e.render(stored.result, stored.quick));
}
const anyQuick = Object.values(results).some((r) => r.quick);

// ---------------------------------------------------------------- report
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url))).version;
const passed = checks.filter((c) => c.ok).length;
const header = [
  `Generated by \`pnpm experiments\` (\`node experiments/run.js\`; \`--only <ids>\` re-runs some experiments and keeps the others' results from results/experiments.json, \`--report\` re-renders without running), @p2pkit/pastry ${version}, Node ${process.version}, ${cpus().length} CPUs. Runs: ${Object.entries(
    results,
  )
    .map(
      ([id, r]) =>
        `${id} ${r.date ?? 'earlier'}${r.maxNodes ? ` (sizes up to ${r.maxNodes}: --max-nodes)` : ''}`,
    )
    .join(', ')}. Every run is seeded on the deterministic simulator running the real node code.`,
  anyQuick ? "\n**Quick run: shrunk sizes, not the paper's — do not quote these numbers.**\n" : '',
  "Targets and tolerances are the spec sheet's (`pastry.md` §5.3); published values are marked [paper] (text or table) or [fig] (read off a figure, ±2 % of full scale).",
  '',
  `**Checks: ${passed} of ${checks.length} within tolerance.**`,
  '',
  '| experiment | check | result |',
  '|---|---|---|',
  ...checks.map((c) => `| ${c.id} | ${c.what.replaceAll('|', '\\|')} | ${mark(c.ok)} |`),
  '',
].join('\n');
await report.writeReport(pkg, {
  name: 'experiments',
  kind: 'experiment',
  title: 'Pastry experiments: the paper beside our runs',
  date: new Date(
    Math.max(...Object.values(results).map((r) => Date.parse(r.date ?? '1970-01-01'))),
  ).toISOString(),
  command: `pnpm --filter @p2pkit/pastry experiments${quick ? ' -- --quick' : ''}`,
  conditions: {
    quick: anyQuick,
    seed: 1,
    runs: Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.date])),
  },
  figures: [
    {
      figure: "checks within the spec sheet's tolerances (pastry.md §5.3)",
      value: passed,
      unit: `of ${checks.length} checks`,
      goal: { on: 'value', atLeast: checks.length },
      headline: 'Pastry: the Middleware 2001 experiments (hops vs N, 10 % failures, locality)',
    },
    ...measured,
  ],
  data: results,
  blocks: [header, ...sections],
});
log(`experiments: ${passed} of ${checks.length} checks within tolerance`);
updateReadme();
