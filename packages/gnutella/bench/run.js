/**
 * `pnpm bench`: the three benchmarks, each in its own process (bench/codec.js,
 * routing.js, transfer.js print one JSON line), written through the report module as
 * results/codec.json, routing.json and transfer.json; then the README's table
 * (experiments/readme.js).
 *
 *   node bench/run.js [--quick] [--only codec,routing,transfer]
 *
 * The transfer runs side by side with curl fetching the same file from the same servent (the
 * tool a user would pick to fetch over HTTP). No Gnutella servent is packaged for this machine
 * (gnutella.md §5), so the codec and routing rates have no peer in the same run.
 */
import { execFile } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import { loadNow, writeResult } from '@p2pkit/report';
import { updateReadme } from '../experiments/readme.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'codec,routing,transfer' },
  },
});
const quick = values.quick;
const only = new Set(values.only.split(','));
const pkg = new URL('..', import.meta.url);
const command = `pnpm --filter @p2pkit/gnutella bench${quick ? ' --quick' : ''}`;

async function run(script, args) {
  process.stderr.write(`node bench/${script} ${args.join(' ')}\n`);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [new URL(script, import.meta.url).pathname, ...args],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop());
}

if (only.has('codec')) {
  const count = quick ? 20_000 : 200_000;
  const load = loadNow();
  const r = await run('codec.js', ['--count', String(count)]);
  const fig = (what, m, way) => ({
    figure: `${what} (${m.bytes} B) ${way}s per CPU-second`,
    value: m[`${way}PerSec`],
    unit: 'descriptors per CPU-second',
    better: 'higher',
  });
  writeResult(pkg, {
    name: 'codec',
    kind: 'bench',
    command,
    conditions: { count, quick },
    loadAtStart: load,
    figures: [
      fig('Query', r.query, 'encode'),
      fig('Query', r.query, 'decode'),
      fig('Query Hit with 5 results, urns and EQHD', r.queryHit, 'encode'),
      fig('Query Hit with 5 results, urns and EQHD', r.queryHit, 'decode'),
    ],
  });
}

if (only.has('routing')) {
  const queries = quick ? 2000 : 20_000;
  const load = loadNow();
  const r = await run('routing.js', ['--queries', String(queries)]);
  writeResult(pkg, {
    name: 'routing',
    kind: 'bench',
    command,
    conditions: {
      queries,
      peers: r.peers,
      leaves: r.leaves,
      quick,
      network: 'core memory network',
    },
    loadAtStart: load,
    figures: [
      {
        figure: `queries routed per second by one ultrapeer (${r.leaves} leaves, ${r.peers} peers)`,
        value: r.queriesPerSec,
        unit: 'queries/s',
        better: 'higher',
      },
      {
        figure: 'forwarded copies per second (to peers and QRP-matching leaves)',
        value: r.forwardedPerSec,
        unit: 'descriptors/s',
        better: 'higher',
      },
      {
        figure: 'p50 time from a query to its last forwarded copy',
        value: r.latencyMs.p50,
        unit: 'ms',
        better: 'lower',
      },
      {
        figure: 'p99 time from a query to its last forwarded copy',
        value: r.latencyMs.p99,
        unit: 'ms',
        better: 'lower',
      },
    ],
  });
}

if (only.has('transfer')) {
  const size = quick ? 32 : 256;
  const runs = 3;
  const load = loadNow();
  const r = await run('transfer.js', ['--size', String(size), '--runs', String(runs)]);
  writeResult(pkg, {
    name: 'transfer',
    kind: 'bench',
    command,
    conditions: { sizeMiB: size, runs, quick, network: 'loopback TCP' },
    loadAtStart: load,
    figures: [
      {
        figure: `${size} MiB HTTP download between two servents over loopback, best of ${runs} (written and SHA-1 checked)`,
        value: r.oursMiBps,
        unit: 'MiB/s',
        better: 'higher',
        peer: { name: 'curl from the same servent', value: r.curlMiBps, source: 'same run' },
        headline: `Gnutella: ${size} MiB HTTP download over loopback, ours vs curl`,
      },
    ],
  });
}
updateReadme();
process.stderr.write('results written; README tables updated\n');
