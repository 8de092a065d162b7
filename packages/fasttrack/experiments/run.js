/**
 * `pnpm experiments`: FastTrack against Gnutella (issue 17, "Science") in the simulator, real
 * nodes on simulated hosts, the same workload for both (@p2pkit/sim's FileCatalogue: the same
 * files on the same nodes and the same queries for one seed), through the report module:
 * results/experiments.{json,html,md} and results/experiments-*.svg.
 *
 *   node experiments/run.js [--quick] [--only tiers,churn] [--report]
 *
 * tiers: messages, bytes and success per query at the same N: FastTrack (1 % supernodes) beside
 *        Gnutella flat flooding and Gnutella ultrapeers + QRP (`p2pkit sim gnutella`'s scenario);
 *        load on supernodes against ordinary nodes.
 * churn: a fraction of the supernodes crash during the queries: queries lost, time for their
 *        children to re-parent (shares uploaded to the new supernode).
 *
 * freeriders: download times of contributors and free-riders racing for one popular file held
 *        by seeders with one upload slot, with participation levels and without.
 *
 * --quick shrinks every experiment (a smoke run); --only reruns some and keeps the others' data
 * from results/experiments.json; --report reruns none (re-renders).
 */
import { parseArgs } from 'node:util';
import { simulate as gnutella } from '@p2pkit/gnutella/scenarios';
import { barChart, lineChart, loadNow, readResult, writeReport } from '@p2pkit/report';
import { freeriderExperiment, simulate } from '../dist/scenarios/index.js';
import { updateReadme } from './readme.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    report: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const pkg = new URL('..', import.meta.url);
const ALL = ['tiers', 'churn', 'freeriders'];
const only = values.report ? new Set() : new Set(values.only ? values.only.split(',') : ALL);
const log = (line) => process.stderr.write(`${line}\n`);
const r3 = (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
const pct = (x) => `${(100 * x).toFixed(1)} %`;

const SIZE = quick
  ? {
      tiers: { sizes: [500, 1000], queries: 30 },
      churn: { nodes: 1000, queries: 60, rates: [0, 0.2, 0.4] },
    }
  : {
      tiers: { sizes: [1000, 3000, 10_000], queries: 200 },
      churn: { nodes: 3000, queries: 200, rates: [0, 0.1, 0.2, 0.4] },
    };
/** One workload for every protocol: files on 1 % of the nodes, 100 files, seed 1. */
const WORKLOAD = { files: 100, replication: 0.01, latencyMs: 50, seed: 1 };
/** Gnutella as `p2pkit sim gnutella` runs it by default: degree 4, TTL 4; 10 % ultrapeers. */
const GNUTELLA = { degree: 4, ttl: 4, pingIntervalMs: 0 };
const FASTTRACK = { supernodeRatio: 0.01, supernodeDegree: 4, ttl: 3 };

const previous = (() => {
  try {
    return readResult(pkg, 'experiments')?.data ?? {};
  } catch {
    return {};
  }
})();
const data = {};
const load = loadNow();
const started = performance.now();

if (only.has('tiers')) {
  const size = SIZE.tiers;
  const rows = [];
  for (const n of size.sizes) {
    const common = { ...WORKLOAD, nodes: n, queries: size.queries };
    const ft = await simulate({ ...common, ...FASTTRACK });
    rows.push({
      nodes: n,
      shape: 'fasttrack',
      queryMessages: ft.messagesPerQuery,
      searchMessages: ft.messagesPerQuery + ft.resultMessagesPerQuery,
      allMessages: ft.totalMessagesPerQuery,
      bytesPerQuery: ft.bytesPerQuery,
      successRate: ft.successRate,
      hitsPerQuery: ft.hitsPerQuery,
      busiest: ft.supernodeLoad.queries.max,
      meanLoad: ft.supernodeLoad.queries.mean,
      ordinaryLoad: ft.ordinaryLoad.mean,
      children: ft.supernodeLoad.children,
      routingEntries: ft.routingEntries,
      routingBytes: ft.routingBytes,
      wallMs: ft.wallMs,
    });
    log(
      `  fasttrack N=${n}: ${r3(ft.messagesPerQuery)} query messages, success ${pct(ft.successRate)}, ${ft.wallMs} ms`,
    );
    for (const [shape, ultrapeers] of [
      ['gnutella flat', 0],
      ['gnutella ultrapeers+QRP', 0.1],
    ]) {
      const g = await gnutella({ ...common, ...GNUTELLA, ultrapeers });
      rows.push({
        nodes: n,
        shape,
        queryMessages: g.messagesPerQuery,
        searchMessages: g.messagesPerQuery + g.hitMessagesPerQuery,
        allMessages: g.totalMessagesPerQuery,
        bytesPerQuery: g.bytesPerQuery ?? null,
        successRate: g.successRate,
        hitsPerQuery: g.hitsPerQuery,
        busiest: g.queryLoad.max,
        meanLoad: g.queryLoad.mean,
        wallMs: g.wallMs,
      });
      log(
        `  ${shape} N=${n}: ${r3(g.messagesPerQuery)} query messages, success ${pct(g.successRate)}, ${g.wallMs} ms`,
      );
    }
  }
  data.tiers = { size, rows };
} else if (previous.tiers) data.tiers = previous.tiers;

if (only.has('churn')) {
  const size = SIZE.churn;
  const rows = [];
  for (const churn of size.rates) {
    const r = await simulate({
      ...WORKLOAD,
      ...FASTTRACK,
      nodes: size.nodes,
      queries: size.queries,
      churn,
    });
    rows.push({
      churn,
      crashed: r.churn.crashed,
      orphans: r.churn.orphans,
      reparents: r.churn.reparents,
      successRate: r.successRate,
      reparentP50: r.reparentMs.p50,
      reparentP99: r.reparentMs.p99,
      reparentMax: r.reparentMs.max,
      allMessages: r.totalMessagesPerQuery,
      wallMs: r.wallMs,
    });
    log(
      `  churn ${churn}: success ${pct(r.successRate)}, re-parent p50 ${r3(r.reparentMs.p50)} ms, p99 ${r3(r.reparentMs.p99)} ms`,
    );
  }
  data.churn = { size, rows };
} else if (previous.churn) data.churn = previous.churn;

if (only.has('freeriders')) {
  const seeds = quick ? [1] : [1, 2, 3];
  const rows = [];
  for (const reputation of ['observed', 'off']) {
    for (const seed of seeds) {
      const r = await freeriderExperiment({ reputation, contributors: 12, freeriders: 12, seed });
      rows.push(r);
      log(
        `  free-riders, ${reputation}, seed ${seed}: contributors ${r3(r.contributors.mean)} ms, free-riders ${r3(r.freeriders.mean)} ms`,
      );
    }
  }
  data.freeriders = { seeds, rows };
} else if (previous.freeriders) data.freeriders = previous.freeriders;

const figures = [];
const blocks = [
  `Every run: real \`FastTrackNode\`s and Gnutella servents on simulated hosts, one-way latency uniform in [25, 75] ms, 100 files each on 1 % of the nodes, the same queries for both protocols (seed ${WORKLOAD.seed}). FastTrack: ${FASTTRACK.supernodeRatio * 100} % supernodes, ${FASTTRACK.supernodeDegree} supernode links dialed by each, queries ${FASTTRACK.ttl} supernode hops. Gnutella: degree ${GNUTELLA.degree}, TTL ${GNUTELLA.ttl}, no pings; two-tier with 10 % ultrapeers and QRP.${quick ? '\n\n**Quick run** (--quick): small sizes, a smoke test, not the figures.' : ''}`,
];

if (data.tiers) {
  const { rows } = data.tiers;
  const sizes = [...new Set(rows.map((r) => r.nodes))];
  const top = Math.max(...sizes);
  const row = (n, shape) => rows.find((r) => r.nodes === n && r.shape === shape);
  const shapes = ['fasttrack', 'gnutella flat', 'gnutella ultrapeers+QRP'];
  for (const shape of shapes) {
    const r = row(top, shape);
    figures.push(
      {
        figure: `TIERS: query-carrying messages per query, N = ${top}, ${shape}`,
        value: r3(r.queryMessages),
        unit: 'messages',
        better: 'lower',
        ...(shape === 'fasttrack'
          ? { headline: `FastTrack: query messages per query, N = ${top}` }
          : {}),
      },
      {
        figure: `TIERS: success rate, N = ${top}, ${shape}`,
        value: r3(r.successRate),
        unit: 'fraction',
        better: 'higher',
      },
    );
  }
  const ft = row(top, 'fasttrack');
  const flat = row(top, 'gnutella flat');
  figures.push({
    figure: `TIERS: FastTrack query messages per query against Gnutella flat flooding, N = ${top}`,
    value: r3(ft.queryMessages),
    unit: 'messages',
    better: 'lower',
    peer: {
      name: 'Gnutella flat flooding',
      value: r3(flat.queryMessages),
      source: 'same run, same workload',
    },
    goal: {
      on: 'ratio',
      atMost: 1,
      source: 'issue 17: the supernode tier is cheaper than flooding',
    },
  });
  blocks.push(
    `## Messages and success at the same N\n\nQuery messages: FastTrack's QUERY + FORWARD, Gnutella's Query transmissions (duplicates included). Search messages add the answers (Results / Query Hits, every hop). All: every message sent during the query phase. Load: queries received per supernode (FastTrack) or per servent (Gnutella).\n\n| N | protocol | query msgs/query | search msgs/query | all msgs/query | bytes/query | success | results/query | load mean, max | wall s |\n|---|---|---|---|---|---|---|---|---|---|\n${rows.map((r) => `| ${r.nodes} | ${r.shape} | ${r3(r.queryMessages)} | ${r3(r.searchMessages)} | ${r3(r.allMessages)} | ${r.bytesPerQuery === null ? '–' : Math.round(r.bytesPerQuery)} | ${pct(r.successRate)} | ${r3(r.hitsPerQuery)} | ${r3(r.meanLoad)}, ${r.busiest} | ${Math.round(r.wallMs / 1000)} |`).join('\n')}`,
    lineChart({
      id: 'tiers-messages',
      title: 'Query messages per query against N, same workload',
      x: { label: 'nodes', unit: 'nodes', log: true },
      y: { label: 'query-carrying messages per query', unit: 'messages', log: true },
      series: shapes.map((shape) => ({
        name: shape,
        points: sizes.map((n) => ({ x: n, y: row(n, shape).queryMessages })),
      })),
    }),
    lineChart({
      id: 'tiers-success',
      title: 'Success rate against N, same workload',
      x: { label: 'nodes', unit: 'nodes', log: true },
      y: { label: 'queries with at least one result', unit: 'fraction' },
      series: shapes.map((shape) => ({
        name: shape,
        points: sizes.map((n) => ({ x: n, y: row(n, shape).successRate })),
      })),
    }),
    `## Supernodes against ordinary nodes\n\nWhat the two tiers carry in FastTrack: children and queries received per supernode, messages received per ordinary node during the query phase, and routing state (sessions, cached supernodes, index entries; bytes estimated from the wire sizes).\n\n| N | children per supernode: mean, p99 | queries per supernode: mean, max | messages per ordinary node | routing entries: supernode, ordinary | routing bytes: supernode, ordinary |\n|---|---|---|---|---|---|\n${rows
      .filter((r) => r.shape === 'fasttrack')
      .map(
        (r) =>
          `| ${r.nodes} | ${r3(r.children.mean)}, ${r.children.p99} | ${r3(r.meanLoad)}, ${r.busiest} | ${r3(r.ordinaryLoad)} | ${r3(r.routingEntries.supernode)}, ${r3(r.routingEntries.ordinary)} | ${Math.round(r.routingBytes.supernode)}, ${Math.round(r.routingBytes.ordinary)} |`,
      )
      .join('\n')}`,
  );
}

if (data.churn) {
  const { rows, size } = data.churn;
  const worst = rows[rows.length - 1];
  figures.push(
    {
      figure: `CHURN: success with ${worst.churn * 100} % of the supernodes crashing, N = ${size.nodes}`,
      value: r3(worst.successRate),
      unit: 'fraction',
      better: 'higher',
    },
    {
      figure: `CHURN: re-parenting time p99, ${worst.churn * 100} % of the supernodes crashing, N = ${size.nodes}`,
      value: r3(worst.reparentP99),
      unit: 'ms',
      better: 'lower',
      headline: `FastTrack: re-parenting after a supernode crash, p99, N = ${size.nodes}`,
    },
  );
  blocks.push(
    `## What supernode churn costs\n\nN = ${size.nodes}, ${size.queries} queries; a fraction of the supernodes crash at random times during the queries. Children notice the reset, fail over to their standby (or a cached supernode) and upload their shares again; re-parenting time runs from the loss to the shares being in the new index.\n\n| crashed supernodes | children orphaned | re-parented | success | re-parent p50, p99, max (ms) | all msgs/query |\n|---|---|---|---|---|---|\n${rows.map((r) => `| ${r.crashed} (${r.churn * 100} %) | ${r.orphans} | ${r.reparents} | ${pct(r.successRate)} | ${r3(r.reparentP50)}, ${r3(r.reparentP99)}, ${r3(r.reparentMax)} | ${r3(r.allMessages)} |`).join('\n')}`,
    barChart({
      id: 'churn',
      title: `Success and re-parenting under supernode churn, N = ${size.nodes}`,
      x: { label: 'supernodes crashed', unit: '%' },
      y: { label: 're-parenting time', unit: 'ms' },
      categories: rows.map((r) => `${r.churn * 100} %`),
      series: [
        { name: 'p50', values: rows.map((r) => r.reparentP50) },
        { name: 'p99', values: rows.map((r) => r.reparentP99) },
      ],
    }),
  );
}

if (data.freeriders) {
  const { rows } = data.freeriders;
  const mean = (mode, group) => {
    const xs = rows.filter((r) => r.reputation === mode).map((r) => r[group].mean);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const on = { c: mean('observed', 'contributors'), f: mean('observed', 'freeriders') };
  const off = { c: mean('off', 'contributors'), f: mean('off', 'freeriders') };
  figures.push({
    figure:
      "FREERIDERS: free-riders' mean download time over contributors', with participation levels",
    value: r3(on.f / on.c),
    unit: 'ratio',
    better: 'higher',
    peer: { name: 'without participation levels', value: r3(off.f / off.c), source: 'same run' },
    headline: 'FastTrack: free-riders wait longer than contributors (ratio of download times)',
  });
  blocks.push(
    `## Free-riders with and without participation levels\n\n12 contributors (others downloaded from them) and 12 free-riders (they only downloaded) race for one 2 MiB file held by 2 seeders with one upload slot each (2 MB/s); free-riders ask 5 ms earlier. Levels come from the reports of the other side of each transfer; a claimed level is ignored.\n\n| levels | seed | contributors: mean, p90 ms | free-riders: mean, p90 ms | level: contributors, free-riders |\n|---|---|---|---|---|\n${rows.map((r) => `| ${r.reputation} | ${r.seed} | ${Math.round(r.contributors.mean)}, ${Math.round(r.contributors.p90)} | ${Math.round(r.freeriders.mean)}, ${Math.round(r.freeriders.p90)} | ${r3(r.contributorLevel)}, ${r3(r.freeriderLevel)} |`).join('\n')}`,
    barChart({
      id: 'freeriders',
      title: 'Mean download time of the popular file',
      x: { label: 'participation levels', unit: 'mode' },
      y: { label: 'download time', unit: 'ms' },
      categories: ['observed', 'off'],
      series: [
        { name: 'contributors', values: [on.c, off.c] },
        { name: 'free-riders', values: [on.f, off.f] },
      ],
    }),
  );
}

await writeReport(pkg, {
  name: 'experiments',
  kind: 'experiment',
  title: 'FastTrack against Gnutella: the same files, the same queries',
  command: `pnpm --filter @p2pkit/fasttrack experiments${quick ? ' -- --quick' : ''}`,
  conditions: { quick, seed: WORKLOAD.seed, ...SIZE },
  loadAtStart: load,
  figures,
  data,
  blocks,
});
updateReadme(pkg);
log(
  `experiments done in ${Math.round((performance.now() - started) / 1000)} s: results/experiments.html`,
);
