/**
 * `pnpm bench`: runs each benchmark in its own process (so peak RSS is its own), prints the
 * figures and writes docs/benchmarks.json.
 *
 *   node bench/run.js [--quick]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const here = new URL('.', import.meta.url);
const benches = values.quick
  ? [
      ['lookups.js', '--nodes', '10000', '--lookups', '100000'],
      ['churn.js', '--nodes', '1000', '--hours', '0.25'],
      ['latency.js', '--nodes', '16', '--lookups', '200'],
    ]
  : [['lookups.js'], ['churn.js'], ['latency.js']];
// The 10^5-node lookup run keeps ~10^5 datagrams and lookups in flight: with a 128 MiB young
// generation they die young instead of being promoted (+17 % lookups/s measured).
const nodeFlags = { 'lookups.js': ['--max-semi-space-size=128'] };
const results = [];
for (const [file, ...args] of benches) {
  const flags = nodeFlags[file] ?? [];
  const command = ['node', ...flags, `bench/${file}`, ...args].join(' ');
  process.stderr.write(`${command}\n`);
  const loadBefore = loadavg()[0];
  const out = execFileSync(process.execPath, [...flags, new URL(file, here).pathname, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const line = out.trim().split('\n').pop();
  console.log(line);
  // Other work on this machine slows a run down: keep the 1-minute load average with it.
  results.push({
    command,
    loadAverage: [+loadBefore.toFixed(2), +loadavg()[0].toFixed(2)],
    ...JSON.parse(line),
  });
}
writeFileSync(
  new URL('../docs/benchmarks.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, quick: values.quick, results }, null, 1)}\n`,
);
