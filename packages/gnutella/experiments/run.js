/**
 * `pnpm experiments`: the lecture's Gnutella experiments (issue 13, "Science") in the simulator,
 * real servents on simulated hosts, through the report module: results/experiments.{json,html,md}
 * and results/experiments-*.svg, then the README's tables (experiments/readme.js).
 *
 *   node experiments/run.js [--quick] [--only flood,success,pings,tiers] [--report]
 *
 * flood:   messages per query against the flooding bound d((d-1)^t - 1)/(d - 2), several d, t
 * success: success rate against TTL, for several replication ratios
 * pings:   the share of Ping/Pong in all traffic, with and without pong caching
 * tiers:   ultrapeers + QRP against flat flooding at the same N (messages, bytes, success,
 *          per-servent load), up to 10^4 servents: the flooding costs FastTrack is measured against
 *
 * --quick shrinks every experiment (a smoke run; the report says so). --only reruns some and
 * keeps the others' data from results/experiments.json; --report reruns none (re-renders).
 */
import { parseArgs } from 'node:util';
import { barChart, lineChart, loadNow, readResult, writeReport } from '@p2pkit/report';
import {
  floodBound,
  floodingVsBound,
  pingPongShare,
  successVsTtl,
  ultrapeersVsFlat,
} from '../dist/scenarios/index.js';
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
const ALL = ['flood', 'success', 'pings', 'tiers'];
const only = values.report ? new Set() : new Set(values.only ? values.only.split(',') : ALL);
const log = (line) => process.stderr.write(`${line}\n`);
const r3 = (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
const pct = (x) => `${(100 * x).toFixed(1)} %`;

/** Sizes: the full run, and --quick (a smoke run in about a minute). */
const SIZE = quick
  ? {
      flood: { nodes: 1000, queries: 20, degrees: [3, 4], ttls: [1, 2, 3] },
      success: { nodes: 500, queries: 40, degree: 4, ttls: [1, 2, 3], replications: [0.005, 0.05] },
      pings: { nodes: 200, queries: 20, degree: 4, ttl: 4, pingIntervalMs: 3000 },
      tiers: { sizes: [500, 1000], queries: 20, degree: 4, ttl: 4, ultrapeers: 0.1 },
    }
  : {
      flood: { nodes: 10_000, queries: 100, degrees: [3, 4, 6], ttls: [1, 2, 3, 4, 5] },
      success: {
        nodes: 3000,
        queries: 100,
        degree: 4,
        ttls: [1, 2, 3, 4, 5],
        replications: [0.001, 0.005, 0.01, 0.05],
      },
      pings: { nodes: 500, queries: 100, degree: 4, ttl: 4, pingIntervalMs: 3000 },
      tiers: { sizes: [1000, 3000, 10_000], queries: 100, degree: 4, ttl: 4, ultrapeers: 0.1 },
    };
/** Query rates (one query every so many ms, network-wide) for the Ping/Pong share. */
const QUERY_INTERVALS = quick ? [100, 10] : [100, 30, 10];
const SEED = 1;
/** The tiers experiment's network shapes, as the charts and tables name them. */
const SHAPES = {
  flat: 'flat flooding',
  'ultrapeers-no-up-qrp': 'ultrapeers, QRP to leaves only',
  ultrapeers: 'ultrapeers, QRP to leaves and on the last hop',
};

const data = {};
const onRun = (label, r) =>
  log(
    `  ${label}: ${r3(r.messagesPerQuery)} messages/query, success ${pct(r.successRate)}, ${r.wallMs} ms`,
  );

const load = loadNow();
const started = performance.now();
if (only.has('flood')) {
  log('flood: messages per query against the bound');
  // Past N/4 transmissions a flood covers the network many times over and says nothing more
  // about the bound; d = 6, t = 5 alone took a quarter of an hour of a busy machine.
  const rows = [];
  for (const degree of SIZE.flood.degrees) {
    const ttls = SIZE.flood.ttls.filter((t) => floodBound(degree, t) <= SIZE.flood.nodes / 4);
    rows.push(
      ...(await floodingVsBound({ ...SIZE.flood, degrees: [degree], ttls, seed: SEED, onRun })),
    );
  }
  data.flood = { size: SIZE.flood, rows };
}

if (only.has('success')) {
  log('success: against TTL and replication');
  data.success = {
    size: SIZE.success,
    rows: await successVsTtl({ ...SIZE.success, seed: SEED, onRun }),
  };
}

if (only.has('pings')) {
  log('pings: share of Ping/Pong, with and without pong caching');
  const rows = [];
  for (const queryIntervalMs of QUERY_INTERVALS) {
    for (const row of await pingPongShare({
      ...SIZE.pings,
      queryIntervalMs,
      seed: SEED,
      onRun,
    })) {
      rows.push({ queryIntervalMs, ...row });
    }
  }
  data.pings = { size: SIZE.pings, rows };
}

if (only.has('tiers')) {
  log('tiers: ultrapeers + QRP against flat flooding');
  const runs = [];
  const rows = await ultrapeersVsFlat({
    ...SIZE.tiers,
    withoutUltrapeerQrp: true,
    seed: SEED,
    onRun: (label, r) => {
      onRun(label, r);
      runs.push(r);
    },
  });
  // Bytes and routing state come from the full results (every row of sim gnutella --json).
  data.tiers = {
    size: SIZE.tiers,
    rows: rows.map((row, i) => ({
      ...row,
      bytesPerQuery: runs[i].bytesPerQuery,
      totalMessagesPerQuery: runs[i].totalMessagesPerQuery,
      routingBytesPerNode: runs[i].memoryPerNode.bytes,
      ultrapeerRoutingBytes: runs[i].routingPerNode.ultrapeerBytes,
      firstHitHops: runs[i].hops.mean,
      firstHitMs: runs[i].latencyMs.p50,
      wallMs: runs[i].wallMs,
    })),
  };
}

// What this run did not redo comes from the last results file, read now (not at the start) so
// that two runs of different parts at once both land.
const previous = (() => {
  try {
    return readResult(pkg, 'experiments')?.data ?? {};
  } catch {
    return {};
  }
})();
for (const k of ALL) {
  data[k] ??= previous[k];
  if (data[k] === undefined) log(`no ${k} data yet: its section is left out`);
}

// ---------------------------------------------------------------- figures and charts
const figures = [];
const blocks = [];
const command = `pnpm --filter @p2pkit/gnutella experiments${quick ? ' --quick' : ''}`;

// flood
if (data.flood) {
  const { rows, size } = data.flood;
  const treeLike = rows.filter((r) => r.bound <= size.nodes / 20);
  for (const r of treeLike) {
    figures.push({
      figure: `FLOOD: messages per query, N = ${size.nodes}, d = ${r.degree}, t = ${r.ttl}`,
      value: r3(r.messagesPerQuery),
      unit: 'messages',
      better: 'lower',
      peer: { name: 'tree bound d((d-1)^t - 1)/(d - 2)', value: r3(r.bound), source: 'issue 13' },
      goal: { on: 'ratio', atLeast: 0.8, atMost: 1.02, source: 'tree-like while the bound ≤ N/20' },
    });
  }
  const degrees = [...new Set(rows.map((r) => r.degree))];
  blocks.push(
    `## Flooding: messages per query against the bound\n\nFlat network of ${size.nodes} servents, random graph of average degree d, ${size.queries} queries per point, every Query transmission counted (duplicates included, dropped on arrival). While the flood's horizon is a small part of the network the graph looks like a tree and the count follows d((d-1)^t - 1)/(d - 2); past it, cycles close and duplicates are dropped, so the count bends below the bound and then stops at about d·N.\n\n| d | t | messages/query | bound | ratio | success |\n|---|---|---|---|---|---|\n${rows.map((r) => `| ${r.degree} | ${r.ttl} | ${r3(r.messagesPerQuery)} | ${r3(r.bound)} | ${r3(r.messagesPerQuery / r.bound)} | ${pct(r.successRate)} |`).join('\n')}`,
    lineChart({
      id: 'flood',
      title: `Messages per query against TTL, N = ${size.nodes}`,
      x: { label: 'TTL', unit: 'hops' },
      y: { label: 'Query transmissions per query', unit: 'messages', log: true },
      series: degrees.flatMap((d) => [
        {
          name: `measured, d = ${d}`,
          points: rows
            .filter((r) => r.degree === d)
            .map((r) => ({ x: r.ttl, y: r.messagesPerQuery })),
        },
        {
          name: `bound, d = ${d}`,
          dashed: true,
          points: rows.filter((r) => r.degree === d).map((r) => ({ x: r.ttl, y: r.bound })),
        },
      ]),
    }),
  );
}

// success
if (data.success) {
  const { rows, size } = data.success;
  const reps = [...new Set(rows.map((r) => r.replication))];
  const ttls = [...new Set(rows.map((r) => r.ttl))];
  const at = (t, rep) => rows.find((r) => r.ttl === t && r.replication === rep);
  for (const rep of reps) {
    const best = at(Math.max(...ttls), rep);
    figures.push({
      figure: `SUCCESS: success rate, N = ${size.nodes}, d = ${size.degree}, t = ${best.ttl}, replication ${rep}`,
      value: r3(best.successRate),
      unit: 'fraction',
      better: 'higher',
    });
  }
  blocks.push(
    `## Success against TTL and replication\n\nFlat network of ${size.nodes} servents, degree ${size.degree}, ${size.queries} queries per point for files held by a fraction r of the servents (at least one copy). A query succeeds with at least one hit within 10 s.\n\n| r | ${ttls.map((t) => `t = ${t}`).join(' | ')} |\n|---|${ttls.map(() => '---|').join('')}\n${reps.map((rep) => `| ${rep} | ${ttls.map((t) => pct(at(t, rep).successRate)).join(' | ')} |`).join('\n')}`,
    lineChart({
      id: 'success',
      title: `Success rate against TTL, N = ${size.nodes}, d = ${size.degree}`,
      x: { label: 'TTL', unit: 'hops' },
      y: { label: 'queries with a hit', unit: 'fraction' },
      series: reps.map((rep) => ({
        name: `replication ${rep}`,
        points: ttls.map((t) => ({ x: t, y: at(t, rep).successRate })),
      })),
    }),
  );
}

// pings
if (data.pings) {
  const { rows, size } = data.pings;
  const intervals = [...new Set(rows.map((r) => r.queryIntervalMs))];
  const share = (iv, caching) =>
    rows.find((r) => r.queryIntervalMs === iv && r.pongCaching === caching).pingPongShare;
  for (const iv of intervals) {
    figures.push({
      figure: `PINGS: Ping+Pong share without pong caching, one query per ${iv} ms`,
      value: r3(share(iv, false)),
      unit: 'fraction',
      better: 'lower',
      peer: { name: 'lecture (Gnutella 0.4 measurements)', value: 0.5, source: 'about half' },
    });
    figures.push({
      figure: `PINGS: Ping+Pong share with pong caching, one query per ${iv} ms`,
      value: r3(share(iv, true)),
      unit: 'fraction',
      better: 'lower',
    });
  }
  const queriesPerServentSec = (iv) => 1000 / iv / size.nodes;
  blocks.push(
    `## Ping/Pong share of the traffic\n\n${size.nodes} servents, degree ${size.degree}, TTL ${size.ttl}, a Ping from every servent every ${size.pingIntervalMs / 1000} s, queries at several rates. Without pong caching (0.4 style) a Ping is flooded like a Query and every servent it reaches answers with a Pong; with caching a servent answers from its cache and pings only its neighbours. The share depends on how many queries there are per Ping: the lecture's "about half" is one point on that curve.\n\n| one query per | queries per servent per s | without caching | with caching |\n|---|---|---|---|\n${intervals.map((iv) => `| ${iv} ms | ${r3(queriesPerServentSec(iv))} | ${pct(share(iv, false))} | ${pct(share(iv, true))} |`).join('\n')}`,
    barChart({
      id: 'pings',
      title: 'Ping + Pong share of all descriptors',
      x: { label: 'one query (network-wide) per', unit: 'ms' },
      y: { label: 'share of descriptors', unit: 'fraction' },
      categories: intervals.map((iv) => `${iv} ms`),
      series: [
        { name: 'no pong caching', values: intervals.map((iv) => share(iv, false)) },
        { name: 'pong caching', values: intervals.map((iv) => share(iv, true)) },
      ],
    }),
  );
}

// tiers
if (data.tiers) {
  const { rows, size } = data.tiers;
  const sizes = [...new Set(rows.map((r) => r.nodes))];
  const row = (n, shape) => rows.find((r) => r.nodes === n && r.shape === shape);
  const top = Math.max(...sizes);
  const shapes = Object.keys(SHAPES).filter((shape) => rows.some((r) => r.shape === shape));
  for (const shape of shapes) {
    const r = row(top, shape);
    const what = shape === 'flat' ? SHAPES.flat : `${size.ultrapeers * 100} % ${SHAPES[shape]}`;
    figures.push(
      {
        figure: `TIERS: messages per query, N = ${top}, ${what}, d = ${size.degree}, t = ${size.ttl}`,
        value: r3(r.messagesPerQuery),
        unit: 'messages',
        better: 'lower',
        ...(shape === 'ultrapeers-no-up-qrp'
          ? {}
          : {
              headline: `Gnutella ${shape === 'flat' ? 'flooding' : 'ultrapeers + QRP'}: Query messages per query, N = ${top}`,
            }),
      },
      {
        figure: `TIERS: bytes per query (Query + Query Hit), N = ${top}, ${what}`,
        value: Math.round(r.bytesPerQuery),
        unit: 'bytes',
        better: 'lower',
      },
      {
        figure: `TIERS: success rate, N = ${top}, ${what}`,
        value: r3(r.successRate),
        unit: 'fraction',
        better: 'higher',
      },
      {
        figure: `TIERS: queries received by the busiest servent, N = ${top}, ${what}`,
        value: r.queryLoadMax,
        unit: 'queries',
        better: 'lower',
      },
    );
  }
  const series = (field, label) =>
    shapes.map((shape) => ({
      name: `${SHAPES[shape]}${label ?? ''}`,
      points: sizes.map((n) => ({ x: n, y: row(n, shape)[field] })),
    }));
  blocks.push(
    `## Ultrapeers + QRP against flat flooding\n\nThe same N, degree ${size.degree} between (ultra)peers, TTL ${size.ttl}, files on 1 % of the servents, ${size.queries} queries; two-tier: ${size.ultrapeers * 100} % ultrapeers, each leaf on 3 of them and its QRP table (2^13 slots) on each; with last-hop QRP the ultrapeers also send each other the union of their leaves' tables, and a copy that would arrive with TTL 1 goes only where it matches. Messages and bytes count every Query and Query Hit transmission; load is the queries each servent received.\n\n| N | shape | messages/query | bytes/query | success | results/query | queries per servent: mean, p99, max | routing bytes per servent (per ultrapeer) | first hit: hops, p50 ms | wall s |\n|---|---|---|---|---|---|---|---|---|---|\n${rows.map((r) => `| ${r.nodes} | ${SHAPES[r.shape]} | ${r3(r.messagesPerQuery)} | ${Math.round(r.bytesPerQuery)} | ${pct(r.successRate)} | ${r3(r.hitsPerQuery)} | ${r3(r.queryLoadMean)}, ${r.queryLoadP99}, ${r.queryLoadMax} | ${Math.round(r.routingBytesPerNode)} (${Math.round(r.ultrapeerRoutingBytes)}) | ${r3(r.firstHitHops)}, ${r3(r.firstHitMs)} | ${Math.round(r.wallMs / 1000)} |`).join('\n')}`,
    lineChart({
      id: 'tiers-messages',
      title: `Query messages per query against N (d = ${size.degree}, t = ${size.ttl})`,
      x: { label: 'servents', unit: 'nodes', log: true },
      y: { label: 'Query transmissions per query', unit: 'messages', log: true },
      series: series('messagesPerQuery'),
    }),
    lineChart({
      id: 'tiers-success',
      title: `Results per query against N (d = ${size.degree}, t = ${size.ttl})`,
      x: { label: 'servents', unit: 'nodes', log: true },
      y: { label: 'results per query', unit: 'hits', log: true },
      series: series('hitsPerQuery'),
    }),
    barChart({
      id: 'tiers-load',
      title: `Queries received per servent, N = ${top}`,
      x: { label: 'statistic over the servents', unit: 'queries' },
      y: { label: 'queries received', unit: 'queries' },
      categories: ['mean', 'p99', 'max'],
      series: shapes.map((shape) => {
        const r = row(top, shape);
        return {
          name: SHAPES[shape],
          values: [r.queryLoadMean, r.queryLoadP99, r.queryLoadMax],
        };
      }),
    }),
  );
}

await writeReport(pkg, {
  name: 'experiments',
  kind: 'experiment',
  title: `Gnutella: flooding, TTL, pings and ultrapeers in the simulator${quick ? ' (quick run, shrunk sizes)' : ''}`,
  command,
  conditions: { quick, seed: SEED, sizes: SIZE, queryIntervals: QUERY_INTERVALS },
  loadAtStart: load,
  figures,
  data,
  blocks,
});
updateReadme();
log(
  `results/experiments.{json,html,md} written in ${Math.round((performance.now() - started) / 1000)} s`,
);
