// Runs every benchmark of @p2pkit/sim in its own process (with the V8 flags it needs), prints
// the figures and writes them to bench-results/latest.json and bench-results/latest.md.
// Usage: pnpm --filter @p2pkit/sim bench   (builds first)   or   node bench/run.js [name...]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  { file: 'system.js', flags: ['--max-semi-space-size=128'], label: 'young generation 128 MiB' },
  { file: 'streams.js', flags: [] },
];
const only = process.argv.slice(2);
const results = {};
for (const { file, flags, label } of benches) {
  if (only.length > 0 && !only.some((name) => file.startsWith(name))) continue;
  process.stderr.write(`running bench/${file} ...\n`);
  // The build machines are shared: the 1-minute load average says how much CPU we really had.
  const loadBefore = loadavg()[0];
  const child = spawnSync(process.execPath, [...flags, join(here, file)], { encoding: 'utf8' });
  if (child.status !== 0) {
    process.stderr.write(child.stdout + child.stderr);
    throw new Error(`bench/${file} failed`);
  }
  for (const line of child.stdout.split('\n')) {
    if (!line.startsWith('RESULT ')) continue;
    const parsed = JSON.parse(line.slice('RESULT '.length));
    const name = label ? `${parsed.name}, ${label}` : parsed.name;
    const figures = parsed.figures;
    const load = `load average ${loadBefore.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`;
    results[name] = { ...figures, command: `node ${[...flags, `bench/${file}`].join(' ')}`, load };
    console.log(`\n## ${name} (node ${[...flags, `bench/${file}`].join(' ')}; ${load})`);
    for (const [row, value] of Object.entries(figures)) {
      console.log(`  ${row}: ${typeof value === 'object' ? JSON.stringify(value) : value}`);
    }
  }
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;
const out = join(here, '..', 'bench-results');
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'latest.json'),
  `${JSON.stringify({ machine, date: new Date().toISOString(), results }, null, 2)}\n`,
);
let md = `# @p2pkit/sim benchmark results\n\n${machine}, ${new Date().toISOString()}\n`;
for (const [name, figures] of Object.entries(results)) {
  md += `\n## ${name}\n\n`;
  for (const [row, value] of Object.entries(figures)) {
    md += `- ${row}: ${typeof value === 'object' ? JSON.stringify(value) : value}\n`;
  }
}
writeFileSync(join(out, 'latest.md'), md);
console.log(`\nwritten: bench-results/latest.json, bench-results/latest.md (${machine})`);
