/**
 * `pnpm experiments`: the Chord papers' experiments at their published sizes (spec sheet
 * chord.md §5.3), each beside the published figure, with charts, through the report module
 * (packages/report/README.md): results/experiments.{json,html,md} and results/experiments-*.svg.
 *
 *   node experiments/run.js [--only CH-PATH,CH-CHURN] [--quick] [--report]
 *
 * --quick shrinks every experiment (a smoke run; the report then says so). --only reruns some
 * experiments and keeps the others' results from results/experiments.json; --report reruns none
 * (re-renders the report from that file).
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as report from '@p2pkit/report';
import {
  churnRun,
  failWithoutReplication,
  failWithSuccessorList,
  pathLength,
  placement,
} from '../dist/scenarios/index.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    report: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const only = values.report ? new Set() : values.only ? new Set(values.only.split(',')) : undefined;
const pkg = new URL('..', import.meta.url);

const log = (line) => process.stderr.write(`${line}\n`);
const r2 = (x) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);
const r3 = (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
const mark = (ok) => (ok ? '✅' : '❌');

// ---- published figures (chord.md §5.2; [paper] or [fig] as labelled there) ----
const C1_P99 = [47, 91, 138, 181, 228, 272, 320, 364, 411, 463]; // K = 1..10 × 10^5 [fig]
const C2 = { 1: [0, 477], 2: [7, 347], 5: [24, 220], 10: [37, 186], 20: [49, 160] }; // 1st/99th, mean 100 [fig]
const C3 = {
  3: [1.7, 1, 3],
  4: [2.1, 1, 4],
  5: [2.5, 1, 5],
  6: [2.95, 1, 5],
  7: [3.4, 1, 6],
  8: [3.9, 1, 7],
  9: [4.4, 1, 7],
  10: [4.9, 2, 8],
  11: [5.35, 2, 9],
  12: [5.85, 2, 10],
  13: [6.35, 2, 10],
  14: [6.85, 3, 11],
}; // mean (1st, 99th) [fig]
const C4 = [0, 0.003, 0.018, 0.057, 0.128, 0.212, 0.225, 0.193, 0.11, 0.041, 0.009, 0.001, 0]; // PDF [fig]
const C5 = { 0.01: 0.009, 0.025: 0.021, 0.05: 0.047, 0.1: 0.094, 0.15: 0.147, 0.2: 0.2 }; // [fig]
const C6 = {
  0.1: [4.03, 2, 6, 0.6, 0, 2],
  0.2: [4.22, 2, 6, 1.17, 0, 3],
  0.3: [4.44, 2, 6, 2.02, 0, 5],
  0.4: [4.69, 2, 7, 3.23, 0, 8],
  0.5: [5.09, 3, 8, 5.1, 0, 11],
}; // path (1st, 99th), timeouts (1st, 99th) [paper]
const C8 = {
  0.05: [3.9, 1, 9, 0.05, 0, 2, 0],
  0.2: [3.81, 1, 9, 0.23, 0, 3, 5],
  0.4: [4.06, 1, 10, 0.46, 0, 5, 15],
}; // path (1st, 99th), timeouts (1st, 99th), failures per 10^4 [paper]

const results = {};
const sections = [];
const checks = [];

function check(id, what, ok) {
  checks.push({ id, what, ok });
  return mark(ok);
}

/** A chart placed in the report: its id is the name it had as an SVG file. */
function svg(name, chart) {
  return { ...chart, id: name.replace(/\.svg$/, '') };
}

/** Lines through the report module; a point [x, y, low, high] gets an error bar. */
function lineChart({ title, xLabel, yLabel, logX }, series) {
  return report.lineChart({
    id: 'chart',
    title,
    x: { label: xLabel, log: logX === true },
    y: { label: yLabel },
    series: series.map((s) => ({
      name: s.name,
      dashed: s.dashed === true,
      points: s.points.map(([x, y, low, high]) =>
        low === undefined ? { x, y } : { x, y, low, high },
      ),
    })),
  });
}

function barChart({ title, xLabel, yLabel }, categories, series) {
  return report.barChart({
    id: 'chart',
    title,
    x: { label: xLabel },
    y: { label: yLabel },
    categories,
    series,
  });
}

async function timed(id, fn) {
  const t = performance.now();
  log(`${id}: running${quick ? ' (quick)' : ''}...`);
  await fn();
  log(`${id}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

const experiments = [];

// ---------------------------------------------------------------- CH-LB-1
experiments.push({
  id: 'CH-LB-1',
  async run() {
    const N = quick ? 1000 : 10_000;
    const seeds = quick ? 2 : 5;
    const ks = quick ? [1, 5] : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const rows = [];
    for (const k of ks) {
      const K = k * 100_000 * (N / 10_000);
      const runs = [];
      for (let s = 1; s <= seeds; s++)
        runs.push(placement({ nodes: N, keys: K, seed: s }).keysPerNode);
      const avg = (f) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
      rows.push({
        k,
        K,
        mean: avg((r) => r.mean),
        p1: avg((r) => r.p1),
        p99: avg((r) => r.p99),
        max: avg((r) => r.max),
      });
    }
    return { nodes: N, seeds, rows };
  },
  render(result) {
    const { nodes: N, seeds, rows } = result;

    const at5 = rows.find((r) => r.k === 5);
    const lines = [
      `### CH-LB-1 — load balance, one id per node (SIGCOMM §6.2, ToN Fig. 8)`,
      '',
      `N = ${N} nodes, K keys, ${seeds} seeds per K (placement by the ring's owner rule; ids = SHA-1 of "host:port", keys = SHA-1 of the key string). Keys per node:`,
      '',
      '| K | mean | 1st pct | 99th pct | max | published 99th [fig] |',
      '|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.K} | ${r2(r.mean)} | ${r2(r.p1)} | ${r2(r.p99)} | ${r2(r.max)} | ${N === 10_000 ? C1_P99[r.k - 1] : '—'} |`,
      ),
      '',
      `At K = 5×10^5 (mean ${r2(at5.mean)}): 99th/mean = **${r2(at5.p99 / at5.mean)}** (paper 4.6×, target [4.2, 5.1]) ${check('CH-LB-1', '99th/mean in [4.2, 5.1]', at5.p99 / at5.mean >= 4.2 && at5.p99 / at5.mean <= 5.1)}; 1st percentile **${r2(at5.p1)}** (paper 0, target ≤ 1) ${check('CH-LB-1', '1st percentile <= 1', at5.p1 <= 1)}; max/mean **${r2(at5.max / at5.mean)}** (paper 9.1×, target [7, 13]) ${check('CH-LB-1', 'max/mean in [7, 13]', at5.max / at5.mean >= 7 && at5.max / at5.mean <= 13)}.`,
      '',
      svg(
        'lb-keys-per-node.svg',
        lineChart(
          {
            title: `Keys per node, N = ${N} (Fig. 8)`,
            xLabel: 'keys (×10^5)',
            yLabel: 'keys per node',
          },
          [
            { name: 'ours: 99th', points: rows.map((r) => [r.k, r.p99]) },
            { name: 'ours: mean', points: rows.map((r) => [r.k, r.mean]) },
            { name: 'ours: 1st', points: rows.map((r) => [r.k, r.p1]) },
            ...(N === 10_000
              ? [
                  {
                    name: 'paper: 99th',
                    dashed: true,
                    points: rows.map((r) => [r.k, C1_P99[r.k - 1]]),
                  },
                ]
              : []),
          ],
        ),
      ),
    ];
    return lines;
  },
});

// ---------------------------------------------------------------- CH-LB-VN
experiments.push({
  id: 'CH-LB-VN',
  async run() {
    const N = quick ? 1000 : 10_000;
    const K = quick ? 100_000 : 1_000_000;
    const rows = [];
    for (const v of [1, 2, 5, 10, 20]) {
      const s = placement({ nodes: N, keys: K, virtualNodes: v, seed: 1 }).keysPerNode;
      rows.push({ v, ...s });
    }
    return { nodes: N, keys: K, rows };
  },
  render(result) {
    const { nodes: N, keys: K, rows } = result;

    const r20 = rows.find((r) => r.v === 20);
    return [
      `### CH-LB-VN — load balance with virtual nodes (ToN Fig. 9)`,
      '',
      `N = ${N} real nodes, K = ${K} keys (mean ${K / N}); each real node runs v virtual nodes (full Chord nodes on consecutive ports, so every id is still nodeId(host, port)). Keys per real node:`,
      '',
      '| v | 1st pct | 99th pct | 1st / mean | 99th / mean | published 1st / 99th (mean 100) [fig] |',
      '|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.v} | ${r2(r.p1)} | ${r2(r.p99)} | ${r2(r.p1 / r.mean)} | ${r2(r.p99 / r.mean)} | ${C2[r.v][0]} / ${C2[r.v][1]} |`,
      ),
      '',
      `v = 20: 99th = **${r2(r20.p99 / r20.mean)}×** mean (paper 1.6×, target ≤ 1.9×) ${check('CH-LB-VN', '99th <= 1.9x mean', r20.p99 / r20.mean <= 1.9)}; 1st = **${r2(r20.p1 / r20.mean)}×** mean (paper 0.5×, target ≥ 0.4×) ${check('CH-LB-VN', '1st >= 0.4x mean', r20.p1 / r20.mean >= 0.4)}.`,
      '',
      svg(
        'lb-virtual-nodes.svg',
        lineChart(
          {
            title: 'Keys per real node vs virtual nodes (Fig. 9)',
            xLabel: 'virtual nodes per real node',
            yLabel: 'keys per node / mean',
          },
          [
            { name: 'ours: 99th', points: rows.map((r) => [r.v, r.p99 / r.mean]) },
            { name: 'ours: 1st', points: rows.map((r) => [r.v, r.p1 / r.mean]) },
            { name: 'paper: 99th', dashed: true, points: rows.map((r) => [r.v, C2[r.v][1] / 100]) },
            { name: 'paper: 1st', dashed: true, points: rows.map((r) => [r.v, C2[r.v][0] / 100]) },
          ],
        ),
      ),
    ];
  },
});

// ---------------------------------------------------------------- CH-PATH
experiments.push({
  id: 'CH-PATH',
  async run() {
    const ks = quick ? [6, 8, 10] : [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
    const rows = [];
    let pdf12;
    for (const k of ks) {
      const lookups = quick ? 2000 : k === 12 ? 50_000 : 10_000;
      const r = await pathLength({ k, lookups, seed: 1 });
      rows.push({ k, n: r.nodes, lookups, ...r.hops, wrong: r.wrong, failed: r.failed });
      if (k === 12) pdf12 = r.pdf;
      log(`  N = 2^${k}: mean ${r3(r.hops.mean)}`);
    }
    return { rows, pdf12 };
  },
  render(result) {
    const { rows, pdf12 } = result;

    const lines = [
      `### CH-PATH — path length vs N (SIGCOMM §6.3, ToN Fig. 10)`,
      '',
      "N = 2^k nodes with a single successor (as the SIGCOMM simulator), fingers built directly, iterative lookups of random keys from random nodes over the simulated network; hops = finger forwardings until the key's predecessor (spec §5.1).",
      '',
      '| N | lookups | mean | 1st | 99th | max | published mean (1st, 99th) [fig] | ½·log2 N | check |',
      '|---|---|---|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      const p = C3[r.k];
      const ok = r.k < 6 || Math.abs(r.mean - r.k / 2) <= 0.35;
      const c =
        r.k >= 6 && r.k <= 12
          ? check(
              'CH-PATH',
              `N=2^${r.k}: |mean - k/2| <= 0.35`,
              ok && r.wrong === 0 && r.failed === 0,
            )
          : '';
      lines.push(
        `| ${r.n} | ${r.lookups} | ${r3(r.mean)} | ${r.p1} | ${r.p99} | ${r.max} | ${p[0]} (${p[1]}, ${p[2]}) | ${r.k / 2} | ${c} |`,
      );
    }
    lines.push(
      '',
      `Wrong owners: ${rows.reduce((a, r) => a + r.wrong, 0)}; failed lookups: ${rows.reduce((a, r) => a + r.failed, 0)}.`,
    );
    if (pdf12) {
      const row12 = rows.find((r) => r.k === 12);
      const mode = pdf12.indexOf(Math.max(...pdf12));
      const binsOk = C4.every((p, h) => Math.abs((pdf12[h] ?? 0) - p) <= 0.03);
      lines.push(
        '',
        `N = 2^12: mean **${r3(row12.mean)}** (target [5.65, 6.05]) ${check('CH-PATH', 'k=12 mean in [5.65, 6.05]', row12.mean >= 5.65 && row12.mean <= 6.05)}; mode **${mode}** (target 5 or 6) ${check('CH-PATH', 'k=12 mode in {5, 6}', mode === 5 || mode === 6)}; 1st percentile **${row12.p1}** (target 2 ± 1) ${check('CH-PATH', 'k=12 1st pct 2 +- 1', Math.abs(row12.p1 - 2) <= 1)}; 99th **${row12.p99}** (target 10 ± 1) ${check('CH-PATH', 'k=12 99th pct 10 +- 1', Math.abs(row12.p99 - 10) <= 1)}; every PDF bin within ±0.03 of Fig. 10(b) ${check('CH-PATH', 'k=12 PDF bins +- 0.03', binsOk)}.`,
        '',
        `| hops | ${C4.map((_, h) => h).join(' | ')} |`,
        `|---|${C4.map(() => '---').join('|')}|`,
        `| ours | ${C4.map((_, h) => r3(pdf12[h] ?? 0)).join(' | ')} |`,
        `| Fig. 10(b) | ${C4.join(' | ')} |`,
        '',
        svg(
          'path-pdf.svg',
          barChart(
            {
              title: 'Path length PDF, N = 2^12 (Fig. 10(b))',
              xLabel: 'hops',
              yLabel: 'fraction of lookups',
            },
            C4.map((_, h) => h),
            [
              { name: 'ours', values: C4.map((_, h) => pdf12[h] ?? 0) },
              { name: 'paper', values: C4 },
            ],
          ),
        ),
      );
    }
    lines.push(
      '',
      svg(
        'path-vs-n.svg',
        lineChart(
          { title: 'Path length vs N (Fig. 10(a))', xLabel: 'N', yLabel: 'hops', logX: true },
          [
            { name: 'ours (1st..99th)', points: rows.map((r) => [r.n, r.mean, r.p1, r.p99]) },
            { name: 'paper mean', dashed: true, points: rows.map((r) => [r.n, C3[r.k][0]]) },
            {
              name: '½·log2 N',
              dashed: true,
              color: '#999',
              points: rows.map((r) => [r.n, r.k / 2]),
            },
          ],
        ),
      ),
    );
    return lines;
  },
});

// ---------------------------------------------------------------- CH-FAIL-SL
experiments.push({
  id: 'CH-FAIL-SL',
  async run() {
    const ps = [0.1, 0.2, 0.3, 0.4, 0.5];
    const rows = [];
    for (const p of ps) {
      const r = await failWithSuccessorList({
        nodes: 1000,
        p,
        lookups: quick ? 1000 : 10_000,
        seed: 1,
      });
      rows.push(r);
      log(
        `  p = ${p}: path ${r3(r.path.mean)}, timeouts ${r3(r.timeouts.mean)}, wrong ${r.wrong}, failed ${r.failed}`,
      );
    }
    return rows;
  },
  render(result) {
    const rows = result;

    const lines = [
      `### CH-FAIL-SL — simultaneous failures with a successor list (ToN Table II)`,
      '',
      `N = 1000, r = 20, ring built then frozen (no stabilization; dead fingers are found only by timeouts), each node fails with probability p, then ${rows[0].lookups} iterative lookups from live nodes with the ToN retry rule; 500 ms timeouts, delays uniform in [10, 100] ms. Path = hops to the key's predecessor; timeouts = contacts to dead nodes.`,
      '',
      '| p | failed nodes | path mean (1st, 99th) | paper | timeouts mean (1st, 99th) | paper | wrong | failed | check |',
      '|---|---|---|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      const c = C6[r.p];
      const ok =
        r.wrong === 0 &&
        r.failed === 0 &&
        Math.abs(r.path.mean - c[0]) <= 0.3 &&
        Math.abs(r.timeouts.mean - c[3]) <= 0.3 * c[3];
      lines.push(
        `| ${r.p} | ${r.failedNodes} | ${r3(r.path.mean)} (${r.path.p1}, ${r.path.p99}) | ${c[0]} (${c[1]}, ${c[2]}) | ${r3(r.timeouts.mean)} (${r.timeouts.p1}, ${r.timeouts.p99}) | ${c[3]} (${c[4]}, ${c[5]}) | ${r.wrong} | ${r.failed} | ${check('CH-FAIL-SL', `p=${r.p}: 0 wrong, path +-0.3, timeouts +-30%`, ok)} |`,
      );
    }
    lines.push(
      '',
      svg(
        'fail-successor-list.svg',
        lineChart(
          {
            title: 'Failures with a successor list (ToN Table II)',
            xLabel: 'fraction of nodes failed',
            yLabel: 'per lookup',
          },
          [
            { name: 'ours: path', points: rows.map((r) => [r.p, r.path.mean]) },
            { name: 'ours: timeouts', points: rows.map((r) => [r.p, r.timeouts.mean]) },
            { name: 'paper: path', dashed: true, points: rows.map((r) => [r.p, C6[r.p][0]]) },
            { name: 'paper: timeouts', dashed: true, points: rows.map((r) => [r.p, C6[r.p][3]]) },
          ],
        ),
      ),
    );
    return lines;
  },
});

// ---------------------------------------------------------------- CH-FAIL-NOREP
experiments.push({
  id: 'CH-FAIL-NOREP',
  async run() {
    const ps = quick ? [0.2] : [0.01, 0.025, 0.05, 0.1, 0.15, 0.2];
    const rows = [];
    for (const p of ps) {
      const r = await failWithoutReplication({
        nodes: quick ? 1000 : 10_000,
        keys: quick ? 100_000 : 1_000_000,
        p,
        lookups: quick ? 5000 : 20_000,
        seed: 1,
        onProgress: (what) => log(`  p = ${p}: ${what}`),
      });
      rows.push(r);
      log(`  p = ${p}: failed ${r3(r.failedFraction)}, lost ${r3(r.lostKeys)}`);
    }
    return rows;
  },
  render(result) {
    const rows = result;

    const lines = [
      `### CH-FAIL-NOREP — simultaneous failures, no replication (SIGCOMM §6.4, Fig. 11)`,
      '',
      `N = ${rows[0].nodes}, ${rows[0].keys} keys; a fraction p of the nodes fails at once; the ring then stabilizes (until every successor and predecessor pointer is right); ${rows[0].lookups} lookups of random keys, correct only if they reach the node originally responsible.`,
      '',
      '| p | keys lost (all keys) | keys lost (looked-up keys) | failed lookups | paper [fig] | stabilized after | check |',
      '|---|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      const ok = Math.abs(r.failedFraction - r.lostLookedUp) <= 0.005;
      lines.push(
        `| ${r.p} | ${r3(r.lostKeys)} | ${r3(r.lostLookedUp)} | ${r3(r.failedFraction)} | ${C5[r.p] ?? '—'} | ${Math.round(r.convergeMs / 1000)} s | ${r.p === 0.2 ? check('CH-FAIL-NOREP', 'p=0.2: failed = lost +- 0.5 pp', ok) : mark(ok)} |`,
      );
    }
    lines.push(
      '',
      "Routing adds no failures: a lookup fails exactly when the key's node died.",
      '',
      svg(
        'fail-no-replication.svg',
        lineChart(
          {
            title: 'Failed lookups vs failed nodes (Fig. 11)',
            xLabel: 'fraction of nodes failed',
            yLabel: 'fraction of lookups failed',
          },
          [
            { name: 'ours', points: rows.map((r) => [r.p, r.failedFraction]) },
            {
              name: 'keys lost',
              dashed: true,
              color: '#999',
              points: rows.map((r) => [r.p, r.lostKeys]),
            },
            {
              name: 'paper',
              dashed: true,
              points: rows.filter((r) => C5[r.p] !== undefined).map((r) => [r.p, C5[r.p]]),
            },
          ],
        ),
      ),
    );
    return lines;
  },
});

// ---------------------------------------------------------------- CH-CHURN
experiments.push({
  id: 'CH-CHURN',
  async run() {
    const rates = [0.05, 0.2, 0.4];
    const rows = [];
    for (const rate of rates) {
      const r = await churnRun({
        nodes: quick ? 500 : 1000,
        rate,
        lookups: quick ? 500 : 10_000,
        warmupMs: quick ? 300_000 : 1_800_000,
        seed: 1,
        onProgress: (done, total) => {
          if (done % 2000 < 60) log(`  R = ${rate}: ${done}/${total}`);
        },
      });
      rows.push(r);
      log(
        `  R = ${rate}: path ${r3(r.path.mean)}, timeouts ${r3(r.timeouts.mean)}, failures ${r2(r.failuresPer10k)}/10^4`,
      );
    }
    return rows;
  },
  render(result, quick) {
    const rows = result;

    const lines = [
      `### CH-CHURN — lookups under churn (ToN Table III)`,
      '',
      `Start with ${rows[0].nodes} nodes (ring built directly), r = 20; joins and voluntary leaves each a Poisson process at rate R per second; stabilization every [15, 45] s (successor list plus one finger per round); delays exponential with mean 50 ms; a node is dead after 500 ms without an answer; departure optimizations on (leaving nodes hand over and notify their neighbours). ${rows[0].lookups} iterative lookups, one per second for the whole system, after ${quick ? 300 : 1800} s of churn, judged against the current successor among the joined live nodes.`,
      '',
      '| R (per s) | path mean (1st, 99th) | paper | timeouts mean (1st, 99th) | paper | failures per 10^4 | paper | joins / leaves | check |',
      '|---|---|---|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      const c = C8[r.rate];
      const ok =
        Math.abs(r.path.mean - 3.82) <= 0.3 && r.timeouts.mean <= 0.7 && r.failuresPer10k <= 50;
      lines.push(
        `| ${r.rate} | ${r3(r.path.mean)} (${r.path.p1}, ${r.path.p99}) | ${c[0]} (${c[1]}, ${c[2]}) | ${r3(r.timeouts.mean)} (${r.timeouts.p1}, ${r.timeouts.p99}) | ${c[3]} (${c[4]}, ${c[5]}) | ${r2(r.failuresPer10k)} | ${c[6]} | ${r.joins} / ${r.leaves} | ${quick ? mark(ok) : check('CH-CHURN', `R=${r.rate}: path 3.82 +- 0.3, timeouts <= 0.7, failures <= 50/10^4`, ok)} |`,
      );
    }
    lines.push(
      '',
      `Simulator cost: ${rows.map((r) => `R = ${r.rate}: ${Math.round(r.simulatedMs / 1000)} s simulated, ${r.events} events in ${Math.round(r.wallMs / 1000)} s wall`).join('; ')}.`,
      '',
      svg(
        'churn.svg',
        lineChart(
          {
            title: 'Lookups under churn (ToN Table III)',
            xLabel: 'joins and leaves per second, each',
            yLabel: 'per lookup',
          },
          [
            { name: 'ours: path', points: rows.map((r) => [r.rate, r.path.mean]) },
            { name: 'ours: timeouts', points: rows.map((r) => [r.rate, r.timeouts.mean]) },
            { name: 'paper: path', dashed: true, points: rows.map((r) => [r.rate, C8[r.rate][0]]) },
            {
              name: 'paper: timeouts',
              dashed: true,
              points: rows.map((r) => [r.rate, C8[r.rate][3]]),
            },
          ],
        ),
      ),
    );
    return lines;
  },
});

// ---------------------------------------------------------------- run, then render
const previous = report.readResult(pkg, 'experiments')?.data ?? {};
for (const e of experiments) {
  if (only && !only.has(e.id)) {
    const prev = previous[e.id];
    if (prev !== undefined) results[e.id] = prev;
    continue;
  }
  await timed(e.id, async () => {
    results[e.id] = { quick, date: new Date().toISOString().slice(0, 10), result: await e.run() };
  });
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
  `Generated by \`pnpm experiments\` (\`node experiments/run.js\`; \`--only <ids>\` re-runs some experiments and keeps the others' results from results/experiments.json, \`--report\` re-renders without running), @p2pkit/chord ${version}, Node ${process.version}, ${cpus().length} CPUs. Runs: ${Object.entries(
    results,
  )
    .map(([id, r]) => `${id} ${r.date ?? 'earlier'}`)
    .join(
      ', ',
    )}. Every run is seeded (seed 1 unless noted) on the deterministic simulator running the real node code.`,
  anyQuick ? "\n**Quick run: shrunk sizes, not the papers' — do not quote these numbers.**\n" : '',
  "Targets and tolerances are the spec sheet's (`chord.md` §5.3); published values are marked [paper] (text or table) or [fig] (read off a figure, ±2 % of full scale).",
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
  title: 'Chord experiments: the papers beside our runs',
  // The newest run's day (a --report or --only render keeps the runs it did not redo).
  date: new Date(
    Math.max(...Object.values(results).map((r) => Date.parse(r.date ?? '1970-01-01'))),
  ).toISOString(),
  command: `pnpm --filter @p2pkit/chord experiments${quick ? ' -- --quick' : ''}`,
  conditions: {
    quick: anyQuick,
    seed: 1,
    runs: Object.fromEntries(Object.entries(results).map(([id, r]) => [id, r.date])),
  },
  figures: [
    {
      figure: "checks within the spec sheet's tolerances (chord.md §5.3)",
      value: passed,
      unit: `of ${checks.length} checks`,
      goal: { on: 'value', atLeast: checks.length },
      headline: 'Chord: the ToN/SIGCOMM experiments (load balance, path length, failures, churn)',
    },
    ...checks.map((c) => ({
      figure: `${c.id}: ${c.what}`,
      value: c.ok ? 1 : 0,
      unit: 'within tolerance',
      goal: { on: 'value', atLeast: 1, source: 'chord.md §5.3' },
    })),
  ],
  data: results,
  blocks: [header, ...sections],
});
log(`wrote results/experiments.{json,html,md}: ${passed}/${checks.length} checks within tolerance`);
