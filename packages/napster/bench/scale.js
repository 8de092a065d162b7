/**
 * `pnpm --filter @p2pkit/napster bench`: the lecture's "the server is the problem", measured.
 * One server process holding the files of N concurrently connected clients over loopback TCP
 * (issue 14: 10^3 clients, 10^6 files): login + share time, index memory per file and RSS,
 * then searches sent open-loop at the goal's rate (20,000/s), with p50/p99 latency.
 * Writes results/scale.json (the report module's convention).
 *
 *   node bench/scale.js [--quick] [--clients 1000] [--files 1000] [--rate 20000] [--seconds 5] [--pipeline 1,8]
 *
 * OpenNap, the server a user would run instead, is not packaged by Debian 12 and cannot be
 * fetched here (see README); the index is measured beside FlexSearch, the in-memory full-text
 * index a Node user would pick to build one, on the same files and searches (index-peer.js),
 * and the ratios are printed.
 */
import { parseArgs } from 'node:util';
import { loadNow, writeResult } from '@p2pkit/report';
import { child, flags } from './processes.js';
import { writeReadme } from './readme.js';

const { values } = parseArgs({
  // `pnpm bench -- --quick` hands the `--` on.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    clients: { type: 'string' },
    files: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    // Searches sent k at a time on one connection; each depth is one search phase.
    pipeline: { type: 'string' },
    // Profiling runs: the TCP part alone (no results file is written).
    'server-only': { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const clients = Number(values.clients ?? (quick ? 100 : 1000));
const files = Number(values.files ?? (quick ? 100 : 1000));
const rate = Number(values.rate ?? (quick ? 5000 : 20_000));
const seconds = Number(values.seconds ?? (quick ? 3 : 5));
const pipelines = (values.pipeline ?? '1,8').split(',').map(Number);
const load = loadNow();

const log = (line) => process.stderr.write(`napster bench: ${line}\n`);
const server = child('server.js', files, [
  '--expose-gc',
  '--max-semi-space-size=64',
  ...flags('SERVER_FLAGS'),
]);
const listening = await server.next('listening');
const generator = child('load.js', files, ['--max-old-space-size=4096', ...flags('LOAD_FLAGS')]);
await generator.next('ready');
log(`server on port ${listening.port}; ${clients} clients x ${files} files`);

const t0 = performance.now();
const connected = await generator.ask(
  { type: 'connect', port: listening.port, clients, files },
  'connected',
);
let indexed;
for (;;) {
  indexed = await server.ask({ type: 'stats' }, 'stats');
  if (indexed.stats.files >= clients * files * 0.999 || performance.now() - t0 > 600_000) break;
  await new Promise((r) => setTimeout(r, 100));
}
// Wait for the count to settle (duplicate names are refused, so the total may fall short).
for (let last = -1; last !== indexed.stats.files; ) {
  last = indexed.stats.files;
  await new Promise((r) => setTimeout(r, 500));
  indexed = await server.ask({ type: 'stats' }, 'stats');
}
const loginShareMs = performance.now() - t0;
const full = await server.ask({ type: 'stats', memory: true }, 'stats');
const filesIndexed = full.stats.files;
const base = listening.baseline;
const heapPerFile =
  (full.memory.heapUsed + full.memory.arrayBuffers - base.heapUsed - base.arrayBuffers) /
  filesIndexed;
log(
  `${full.stats.users} users, ${filesIndexed} files indexed in ${(loginShareMs / 1000).toFixed(1)} s; ${heapPerFile.toFixed(0)} bytes/file, RSS ${(full.memory.rss / 2 ** 20).toFixed(0)} MiB`,
);

// One search phase per pipeline depth: depth 1 is every search its own write (the worst case
// for the sockets), depth k is each client sending k searches at once.
const phases = [];
for (const pipeline of pipelines) {
  const loadBefore = loadNow();
  const before = await server.ask({ type: 'stats' }, 'stats');
  const searched = await generator.ask({ type: 'search', rate, seconds, pipeline }, 'searched');
  const after = await server.ask({ type: 'stats' }, 'stats');
  const [cpu0, cpu1] = [before.cpu, after.cpu];
  const serverCpuMs = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / 1000;
  // The server's CPU covers the warm-up too: per search, divide by every search it answered.
  const answered = after.stats.searches - before.stats.searches;
  const phase = {
    pipeline,
    loadAverage: [loadBefore, loadNow()],
    searched,
    serverCpuMs,
    serverCpuUsPerSearch: (serverCpuMs / Math.max(1, answered)) * 1000,
    generatorCpuUsPerSearch: (searched.generatorCpuMs / Math.max(1, searched.completed)) * 1000,
  };
  phases.push(phase);
  const l = searched.latencyMs;
  log(
    `pipeline ${pipeline}, offered ${rate}/s: ${searched.searchesPerSecond.toFixed(0)}/s completed, p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms, ${searched.meanResults.toFixed(1)} results/search; CPU per search: server ${phase.serverCpuUsPerSearch.toFixed(1)} µs, load generator ${phase.generatorCpuUsPerSearch.toFixed(1)} µs; load ${phase.loadAverage.map((x) => x.toFixed(1)).join(' → ')}`,
  );
  await new Promise((r) => setTimeout(r, 2000));
}

generator.proc.send({ type: 'stop' });
server.proc.send({ type: 'stop' });

if (values['server-only']) {
  process.stdout.write(`${JSON.stringify({ phases, stats: full.stats })}\n`);
  process.exit(0);
}

// The index alone, ours and FlexSearch's, one after the other in fresh processes.
const indexes = {};
for (const which of ['ours', 'flexsearch']) {
  const proc = child('index-peer.js', files, ['--expose-gc', '--max-old-space-size=8192']);
  await proc.next('ready');
  log(`index alone: ${which}, ${clients * files} files...`);
  indexes[which] = await proc.ask({ type: 'run', which, clients, files }, 'done');
  proc.proc.send({ type: 'stop' });
}
const peerName = 'FlexSearch 0.8.212 (Index + the records in an array)';
const sideBySide = [
  [
    'searches per second, in process',
    'searchesPerSecond',
    'searches/s',
    'higher',
    (x) => Math.round(x),
  ],
  ['search p99', 'p99', 'µs', 'lower', round],
  ['bytes per file (heap + buffers)', 'bytesPerFile', 'bytes/file', 'lower', Math.round],
  ['build time', 'buildMs', 'ms', 'lower', Math.round],
].map(([what, key, unit, better, fix]) => {
  const get = (r) => (key === 'p99' ? r.latencyUs.p99 : r[key]);
  return { what, unit, better, ours: fix(get(indexes.ours)), peer: fix(get(indexes.flexsearch)) };
});
log(
  `the index alone, ${indexes.ours.files} files, the same searches (${indexes.ours.searches} and ${indexes.flexsearch.searches} of them; mean results ${round(indexes.ours.meanResults)} ours, ${round(indexes.flexsearch.meanResults)} FlexSearch):`,
);
for (const f of sideBySide) {
  log(
    `  ${f.what}: ours ${f.ours} ${f.unit}, FlexSearch ${f.peer} ${f.unit}, ratio ${(f.ours / f.peer).toPrecision(3)}`,
  );
}

const command = `pnpm --filter @p2pkit/napster bench${quick ? ' -- --quick' : ''}`;
/** The full-size run's one-search-per-write figures go into the root README's headline table. */
const headline = (phase, text) => (!quick && phase.pipeline === 1 ? { headline: text } : {});
writeResult(new URL('..', import.meta.url), {
  name: quick ? 'scale-quick' : 'scale',
  kind: 'bench',
  command,
  loadAtStart: load,
  conditions: {
    clients,
    filesPerClient: files,
    offeredRate: rate,
    seconds,
    quick,
    transport: 'TCP over loopback, server and load generator in separate processes',
  },
  figures: [
    ...phases.flatMap((p) => {
      const l = p.searched.latencyMs;
      const how = p.pipeline === 1 ? 'one search per write' : `${p.pipeline} searches per write`;
      return [
        {
          figure: `searches per second, one server, ${filesIndexed} files from ${clients} clients, offered ${rate}/s, ${how}`,
          value: Math.round(p.searched.searchesPerSecond),
          unit: 'searches/s',
          better: 'higher',
          goal: { on: 'value', atLeast: 20_000, source: 'issue 14' },
          ...headline(
            p,
            'Napster: one server, 10^6 files from 10^3 clients over loopback TCP, searches/s (wall)',
          ),
        },
        {
          figure: `search latency p50, ${how}`,
          value: round(l.p50),
          unit: 'ms',
          better: 'lower',
        },
        {
          figure: `search latency p99, ${how}`,
          value: round(l.p99),
          unit: 'ms',
          better: 'lower',
          goal: { on: 'value', atMost: 20, source: 'issue 14' },
        },
        {
          figure: `server CPU per search, ${how}`,
          value: round(p.serverCpuUsPerSearch),
          unit: 'µs',
          better: 'lower',
        },
        {
          figure: `searches per server CPU-second (one core's ceiling), ${how}`,
          value: Math.round(1e6 / p.serverCpuUsPerSearch),
          unit: 'searches/s',
          better: 'higher',
          goal: { on: 'value', atLeast: 20_000, source: 'issue 14' },
          ...headline(p, 'Napster: the same server, searches per server CPU-second'),
        },
        {
          figure: `load generator CPU per search, ${how}`,
          value: round(p.generatorCpuUsPerSearch),
          unit: 'µs',
          better: 'lower',
        },
      ];
    }),
    {
      figure: 'server heap and buffers per shared file (whole server state / files)',
      value: Math.round(heapPerFile),
      unit: 'bytes/file',
      better: 'lower',
      goal: { on: 'value', atMost: 300, source: 'issue 14' },
    },
    {
      figure: "index's own estimate of its size per file",
      value: Math.round(full.indexBytes / filesIndexed),
      unit: 'bytes/file',
      better: 'lower',
    },
    {
      figure: 'server RSS with every file indexed',
      value: Math.round(full.memory.rss / 2 ** 20),
      unit: 'MiB',
      better: 'lower',
    },
    {
      figure: `login + share time, ${clients} clients`,
      value: round(loginShareMs / 1000),
      unit: 's',
      better: 'lower',
    },
    {
      figure: 'results per search (mean)',
      value: round(phases[0].searched.meanResults),
      unit: 'results',
    },
    ...sideBySide.map((f) => ({
      figure: `the index alone, ${indexes.ours.files} files: ${f.what}`,
      value: f.ours,
      unit: f.unit,
      better: f.better,
      peer: { name: peerName, value: f.peer, source: 'same run' },
    })),
  ],
  data: {
    connected,
    phases,
    indexed: full.stats,
    memory: full.memory,
    baseline: base,
    indexes,
  },
});
writeReadme();
process.stdout.write(
  `${JSON.stringify({ phases: phases.map((p) => ({ pipeline: p.pipeline, searchesPerSecond: Math.round(p.searched.searchesPerSecond), p50: p.searched.latencyMs.p50, p99: p.searched.latencyMs.p99, serverCpuUsPerSearch: p.serverCpuUsPerSearch })), bytesPerFile: Math.round(heapPerFile), loginShareS: loginShareMs / 1000 })}\n`,
);

function round(x) {
  return Math.round(x * 100) / 100;
}
