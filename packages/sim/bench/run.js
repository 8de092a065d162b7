// Runs every benchmark of @p2pkit/sim in its own process (with the V8 flags it needs) and writes
// results/<name>.json per benchmark in the report module's convention (packages/report/README.md).
// Usage: pnpm --filter @p2pkit/sim bench   (builds first)   or   node bench/run.js [name...]
// A bench prints `RESULT {"name", "figures": {case: number | {measure: number}}}` lines
// (util.js report()); each number becomes a figure whose unit is the measure's name.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The report module is a private workspace package; imported by path until @p2pkit/report is a
// devDependency of @p2pkit/sim (the root `pnpm bench` builds it first).
import { loadNow, writeResult } from '../../report/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const benches = [
  { file: 'queue.js', flags: [] },
  { file: 'events.js', flags: [] },
  {
    file: 'datagram.js',
    flags: ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=128'],
  },
  { file: 'memory.js', flags: ['--expose-gc'] },
  { file: 'system.js', flags: [] },
  // Datagrams in flight outlive a 16 MiB young generation and get promoted: a larger one helps.
  { file: 'system.js', flags: ['--max-semi-space-size=128'], suffix: 'young-128' },
  { file: 'streams.js', flags: [] },
];

/** Figures quoted in the root README (by "<case> | <measure>"). */
const HEADLINES = {
  '100000 idle hosts | bytes per host, heap and typed arrays':
    'Simulator: 10^5 idle hosts, memory per host (heap and tables)',
  'runSync, float times (every event its own instant) | events per CPU-second':
    'Simulator: raw event rate (runSync, every event its own instant)',
};

/** {case: number | {measure: number}} to figures (unit = the measure's name). */
function toFigures(figures) {
  const out = [];
  const add = (figure, value, unit) => {
    const headline = HEADLINES[`${figure} | ${unit}`];
    out.push({ figure, value, unit, ...(headline ? { headline } : {}) });
  };
  for (const [name, value] of Object.entries(figures)) {
    if (typeof value === 'number') add(name, value, '');
    else if (value && typeof value === 'object') {
      for (const [measure, v] of Object.entries(value))
        if (typeof v === 'number') add(name, v, measure);
    }
  }
  return out;
}

const only = process.argv.slice(2);
for (const { file, flags, suffix } of benches) {
  if (only.length > 0 && !only.some((name) => file.startsWith(name))) continue;
  const command = `node ${[...flags, `packages/sim/bench/${file}`].join(' ')}`;
  process.stderr.write(`${command} ...\n`);
  const load = loadNow();
  const child = spawnSync(process.execPath, [...flags, join(here, file)], { encoding: 'utf8' });
  if (child.status !== 0) {
    process.stderr.write(child.stdout + child.stderr);
    throw new Error(`bench/${file} failed`);
  }
  for (const line of child.stdout.split('\n')) {
    if (!line.startsWith('RESULT ')) continue;
    const parsed = JSON.parse(line.slice('RESULT '.length));
    const name = `${parsed.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}${suffix ? `-${suffix}` : ''}`;
    const result = writeResult(join(here, '..'), {
      name,
      kind: 'bench',
      command,
      conditions: { flags },
      loadAtStart: load,
      figures: toFigures(parsed.figures),
      data: parsed.figures,
    });
    console.log(`\n## ${name} (${command}; load ${result.machine.loadAverage.join(' -> ')})`);
    for (const f of result.figures) console.log(`  ${f.figure}: ${f.value} ${f.unit}`);
  }
}
