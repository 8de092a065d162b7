/**
 * `pnpm --filter @p2pkit/napster experiments`: server load and index size as clients grow (in
 * the simulator), and search latency as the offered load grows until the server saturates
 * (real TCP over loopback). Writes results/experiments.{json,html,md} and its charts.
 *
 *   node experiments/all.js [--quick]
 */

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gitCommit, lineChart, loadNow, writeReport } from '@p2pkit/report';
import { writeReadme } from '../bench/readme.js';
import { growth } from './growth.js';
import { saturation } from './saturation.js';

const { values } = parseArgs({
  // `pnpm experiments -- --quick` hands the `--` on.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { quick: { type: 'boolean', default: false } },
});
const quick = values.quick;
const load = loadNow();
// The commit as the run starts: writeReport writes the charts before it stamps the results
// file, so a stamp taken then always says +dirty.
const commit = gitCommit(fileURLToPath(new URL('..', import.meta.url)));
const log = (line) => process.stderr.write(`napster experiments: ${line}\n`);

const sizes = quick ? [10, 30, 100] : [10, 30, 100, 300, 1000];
const grown = await growth({
  sizes,
  onStep: (r) =>
    log(
      `${r.clients} clients: ${r.files} files, index ${(r.indexBytes / 1024).toFixed(0)} KiB (${r.indexBytesPerFile.toFixed(0)} B/file), ${r.messagesPerSearch.toFixed(1)} msgs/search, ${r.serverMessagesPerSecond.toFixed(0)} msgs/s at the server`,
    ),
});
const satConditions = quick
  ? { clients: 100, files: 100, rates: [500, 1000, 2000, 4000], seconds: 2, pipelines: [1, 8] }
  : {
      clients: 1000,
      files: 100,
      rates: [500, 1000, 2000, 4000, 8000, 16000, 32000],
      seconds: 3,
      pipelines: [1, 8],
    };
const saturated = await saturation({
  ...satConditions,
  onStep: (r) =>
    log(
      `pipeline ${r.pipeline}, offered ${r.offered}/s: ${r.completedPerSecond.toFixed(0)}/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms; CPU/search: server ${r.serverCpuUsPerSearch.toFixed(0)} µs, load generator ${r.generatorCpuUsPerSearch.toFixed(0)} µs; load ${r.loadAverage.toFixed(1)}`,
    ),
});

const first = grown[0];
const last = grown.at(-1);
const depths = satConditions.pipelines;
const rowsOf = (k) => saturated.filter((r) => r.pipeline === k);
const how = (k) => (k === 1 ? 'one search per write' : `${k} searches per write`);
const satFigures = depths.flatMap((k) => {
  const rows = rowsOf(k);
  const knee = rows.find((r) => r.completedPerSecond < r.offered * 0.95 || r.p99 > 20);
  const good = rows.filter((r) => r !== knee && (!knee || r.offered < knee.offered));
  // CPU per search at the busiest step: the server's marginal cost once requests queue (at low
  // rates each search also pays a wake-up), and so one core's ceiling.
  const busiest = rows.reduce((a, b) => (b.completedPerSecond > a.completedPerSecond ? b : a));
  const cpu = busiest.serverCpuUsPerSearch;
  return [
    {
      figure: `saturation, ${how(k)}: most searches/s completed over loopback TCP`,
      value: Math.round(Math.max(...rows.map((r) => r.completedPerSecond))),
      unit: 'searches/s',
      better: 'higher',
    },
    {
      figure: `saturation, ${how(k)}: highest offered rate served with p99 ≤ 20 ms`,
      // 0: not even the lowest rate tried (the machine's load shows in the tail first).
      value: good.length > 0 ? good.at(-1).offered : 0,
      unit: 'searches/s',
      better: 'higher',
    },
    {
      figure: `saturation, ${how(k)}: server CPU per search at the busiest step (${busiest.offered}/s offered)`,
      value: Math.round(cpu),
      unit: 'µs',
      better: 'lower',
    },
    {
      figure: `saturation, ${how(k)}: searches per server CPU-second there (one core's ceiling)`,
      value: Math.round(1e6 / cpu),
      unit: 'searches/s',
      better: 'higher',
    },
  ];
});
const table = (rows, cols) =>
  [
    `| ${cols.map((c) => c[0]).join(' | ')} |`,
    `|${cols.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${cols.map((c) => c[1](r)).join(' | ')} |`),
  ].join('\n');

await writeReport(new URL('..', import.meta.url), {
  name: quick ? 'experiments-quick' : 'experiments',
  kind: 'experiment',
  commit,
  title: 'Napster: the server is the problem',
  command: `pnpm --filter @p2pkit/napster experiments${quick ? ' -- --quick' : ''}`,
  loadAtStart: load,
  conditions: {
    quick,
    growth: { sizes, filesPerClient: 100, searchesPerClientPerSecond: 0.5, seed: 1 },
    saturation: satConditions,
  },
  figures: [
    {
      figure: `server messages per search, ${first.clients} → ${last.clients} clients (ratio)`,
      value: +(last.messagesPerSearch / first.messagesPerSearch).toFixed(2),
      unit: 'ratio',
      note: 'a search costs the server 2 messages plus its results: more copies to return as N grows, capped at MAX_RESULTS',
    },
    {
      figure: `server load, ${first.clients} → ${last.clients} clients (ratio of messages/s)`,
      value: +(last.serverMessagesPerSecond / first.serverMessagesPerSecond).toFixed(1),
      unit: 'ratio',
      note: `N grew ${last.clients / first.clients}x`,
    },
    {
      figure: `index bytes per file at ${last.clients} clients (simulator estimate)`,
      value: Math.round(last.indexBytesPerFile),
      unit: 'bytes/file',
      better: 'lower',
      goal: { on: 'value', atMost: 300, source: 'issue 14' },
    },
    ...satFigures,
  ],
  data: { growth: grown, saturation: saturated },
  blocks: [
    `Every client shares 100 files and searches once every 2 s; the server answers alone. The simulator counts what the server receives and sends. A search is one hop and costs the server two messages plus one per result; as N grows there are more clients searching **and** more copies of each song to return (up to MAX_RESULTS = 100), so the load at the server grows faster than N until the cap, while each client's own cost stays one connection and one request per search. The index grows with the files; bytes per file stay flat.`,
    table(grown, [
      ['clients', (r) => r.clients],
      ['files', (r) => r.files],
      ['index', (r) => `${(r.indexBytes / 1024).toFixed(0)} KiB`],
      ['bytes/file', (r) => r.indexBytesPerFile.toFixed(0)],
      ['msgs/search', (r) => r.messagesPerSearch.toFixed(1)],
      ['server msgs/s', (r) => r.serverMessagesPerSecond.toFixed(0)],
      ['results/search', (r) => r.meanResults.toFixed(1)],
      ['p50 ms', (r) => r.latencyP50.toFixed(1)],
    ]),
    lineChart({
      id: 'load-vs-clients',
      title: 'Server load as clients grow (simulator)',
      x: { label: 'clients', unit: 'clients', log: true },
      y: { label: 'server messages per second', unit: 'msg/s', log: true },
      series: [
        {
          name: 'messages/s at the server',
          points: grown.map((r) => ({ x: r.clients, y: r.serverMessagesPerSecond })),
        },
      ],
    }),
    lineChart({
      id: 'index-vs-clients',
      title: 'Index size as clients grow (simulator)',
      x: { label: 'clients', unit: 'clients', log: true },
      y: { label: 'index size', unit: 'bytes', log: true },
      series: [
        { name: 'index bytes', points: grown.map((r) => ({ x: r.clients, y: r.indexBytes })) },
      ],
    }),
    `## Saturation (real TCP over loopback)\n\n${satConditions.clients} clients sharing ${satConditions.clients * satConditions.files} files; searches sent open-loop from a separate process at each rate for ${satConditions.seconds} s, first one search per socket write, then ${depths.at(-1)} at a time per client (pipelined: one read and one reply write for ${depths.at(-1)} searches). Machine load average at start: ${load} (2 cores shared with other work: wall-clock rates are pessimistic, the CPU per search is the steadier figure). The server is a single Node.js thread: past its capacity, requests queue and latency climbs.`,
    table(saturated, [
      ['searches/write', (r) => r.pipeline],
      ['offered/s', (r) => r.offered],
      ['completed/s', (r) => r.completedPerSecond.toFixed(0)],
      ['p50 ms', (r) => r.p50.toFixed(1)],
      ['p99 ms', (r) => r.p99.toFixed(1)],
      ['results/search', (r) => r.meanResults.toFixed(1)],
      ['server CPU µs/search', (r) => r.serverCpuUsPerSearch.toFixed(0)],
      ['load generator CPU µs/search', (r) => r.generatorCpuUsPerSearch.toFixed(0)],
      ['load average', (r) => r.loadAverage.toFixed(1)],
    ]),
    lineChart({
      id: 'latency-vs-load',
      title: 'Search latency as the offered load grows',
      x: { label: 'offered load', unit: 'searches/s', log: true },
      y: { label: 'latency', unit: 'ms', log: true },
      series: depths.flatMap((k) =>
        ['p50', 'p99'].map((q) => ({
          name: `${q}, ${how(k)}`,
          dashed: q === 'p50',
          points: rowsOf(k).map((r) => ({ x: r.offered, y: Math.max(r[q], 0.01) })),
        })),
      ),
    }),
    lineChart({
      id: 'throughput-vs-load',
      title: 'Completed searches as the offered load grows',
      x: { label: 'offered load', unit: 'searches/s', log: true },
      y: { label: 'completed', unit: 'searches/s', log: true },
      series: [
        ...depths.map((k) => ({
          name: `completed, ${how(k)}`,
          points: rowsOf(k).map((r) => ({ x: r.offered, y: r.completedPerSecond })),
        })),
        {
          name: 'offered',
          dashed: true,
          points: rowsOf(depths[0]).map((r) => ({ x: r.offered, y: r.offered })),
        },
      ],
    }),
  ],
});
writeReadme();
log(`wrote results/${quick ? 'experiments-quick' : 'experiments'} and the README's tables`);
