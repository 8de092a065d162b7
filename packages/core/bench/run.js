// Runs core's benchmarks and writes bench/results/latest.{json,md}.
// Usage: pnpm --filter @p2pkit/core bench [-- name...]   (build first: pnpm turbo run build --filter=@p2pkit/core)
// Each benchmark is its own module exporting `name` and `run()` (rows, see lib.js); register
// new ones in BENCHES below.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
if (!existsSync(join(here, '..', 'dist', 'index.js'))) {
  console.error('dist/ is missing: run `pnpm turbo run build --filter=@p2pkit/core` first');
  process.exit(1);
}

const only = process.argv.slice(2).filter((a) => a !== '--');
const results = [];
for (const file of BENCHES) {
  const bench = await import(file);
  if (only.length > 0 && !only.includes(bench.name)) continue;
  console.log(`\n## ${bench.name}`);
  const rows = await bench.run();
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(58)} ${format(r.value).padStart(10)} ${r.unit}${r.note ? `  (${r.note})` : ''}`,
    );
  }
  results.push(...rows);
}

const environment = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  command: `pnpm --filter @p2pkit/core bench${only.length ? ` -- ${only.join(' ')}` : ''}`,
};
const out = join(here, 'results');
mkdirSync(out, { recursive: true });
const suffix = only.length ? `-${only.join('-')}` : '';
writeFileSync(
  join(out, `latest${suffix}.json`),
  `${JSON.stringify({ environment, results }, null, 2)}\n`,
);
const md = [
  '# @p2pkit/core benchmarks',
  '',
  `\`${environment.command}\` — ${environment.date}, Node ${environment.node}, ${environment.cpu} (${environment.cores} cores, shared).`,
  '',
  '| bench | case | value | unit | note |',
  '|---|---|---:|---|---|',
  ...results.map((r) => `| ${r.bench} | ${r.name} | ${format(r.value)} | ${r.unit} | ${r.note} |`),
  '',
];
writeFileSync(join(out, `latest${suffix}.md`), md.join('\n'));
console.log(`\nwritten: bench/results/latest${suffix}.{json,md}`);
