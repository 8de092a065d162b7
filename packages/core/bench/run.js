// Runs core's benchmarks and writes results/<bench>.json per benchmark in the report module's
// convention (packages/report/README.md).
// Usage: pnpm --filter @p2pkit/core bench [-- name...]   (build first: pnpm turbo run build --filter=@p2pkit/core)
// Each benchmark is its own module exporting `name` and `run()` (rows, see lib.js); register
// new ones in BENCHES below. A row named "<case>: ours" next to a row "<case>: <other>" becomes
// one figure with <other> as its peer (and the ratio); a row may also carry `peer`, `goal` and
// `headline` itself (see packages/report/README.md).
//   node bench/run.js --from-files   converts bench/results/latest*.json (an earlier run), runs nothing
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The report module is a private workspace package; imported by path until @p2pkit/report is a
// devDependency of @p2pkit/core (the root `pnpm bench` builds it first).
import { loadNow, writeResult } from '../../report/dist/index.js';
import { format } from './lib.js';

const BENCHES = [
  './sha1.js',
  './ids.js',
  './hash-ring.js',
  './codec.js',
  './random.js',
  './rpc.js',
];

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
if (!existsSync(join(pkg, 'dist', 'index.js'))) {
  console.error('dist/ is missing: run `pnpm turbo run build --filter=@p2pkit/core` first');
  process.exit(1);
}

/** Rows of one bench to figures: "<case>: ours" pairs with "<case>: <peer>". */
function toFigures(rows) {
  const used = new Set();
  const figures = [];
  for (const r of rows) {
    if (used.has(r)) continue;
    const m = /^(.*): ours$/.exec(r.name);
    const other =
      m &&
      rows.find(
        (o) => o !== r && !used.has(o) && o.unit === r.unit && o.name.startsWith(`${m[1]}: `),
      );
    const figure = { figure: r.name, value: r.value, unit: r.unit };
    if (r.note) figure.note = r.note;
    if (r.peer) figure.peer = r.peer;
    if (r.goal) figure.goal = r.goal;
    if (r.headline) figure.headline = r.headline;
    if (other) {
      used.add(other);
      figure.figure = m[1];
      figure.peer = { name: other.name.slice(m[1].length + 2), value: other.value };
    }
    figures.push(figure);
  }
  return figures;
}

function write(name, rows, extra) {
  writeResult(pkg, {
    name,
    kind: 'bench',
    command: `pnpm --filter @p2pkit/core bench -- ${name}`,
    conditions: {},
    figures: toFigures(rows),
    data: rows,
    ...extra,
  });
}

const args = process.argv.slice(2).filter((a) => a !== '--');
if (args.includes('--from-files')) {
  for (const file of ['latest.json', 'latest-rpc.json']) {
    const path = join(here, 'results', file);
    if (!existsSync(path)) continue;
    const { environment: env, results } = JSON.parse(readFileSync(path, 'utf8'));
    for (const name of new Set(results.map((r) => r.bench))) {
      write(
        name,
        results.filter((r) => r.bench === name),
        {
          date: env.date,
          commit: 'unknown (converted from bench/results)',
          machine: {
            cpu: env.cpu,
            cores: env.cores,
            memoryGiB: 24,
            node: env.node,
            os: 'linux',
            loadAverage: [0, 0],
          },
        },
      );
    }
  }
  process.exit(0);
}

const only = args;
for (const file of BENCHES) {
  const bench = await import(file);
  if (only.length > 0 && !only.includes(bench.name)) continue;
  console.log(`\n## ${bench.name}`);
  const load = loadNow();
  const rows = await bench.run();
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(58)} ${format(r.value).padStart(10)} ${r.unit}${r.note ? `  (${r.note})` : ''}`,
    );
  }
  write(bench.name, rows, { loadAtStart: load });
  console.log(`  written: results/${bench.name}.json`);
}
