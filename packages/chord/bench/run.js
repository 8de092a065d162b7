/**
 * `pnpm bench`: runs each benchmark in its own process (so peak RSS is its own), prints the
 * figures and writes docs/benchmarks.json.
 *
 *   node bench/run.js [--quick]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
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
const results = [];
for (const [file, ...args] of benches) {
  process.stderr.write(`node bench/${file} ${args.join(' ')}\n`);
  const out = execFileSync(process.execPath, [new URL(file, here).pathname, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const line = out.trim().split('\n').pop();
  console.log(line);
  results.push({ command: `node bench/${[file, ...args].join(' ')}`, ...JSON.parse(line) });
}
writeFileSync(
  new URL('../docs/benchmarks.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, quick: values.quick, results }, null, 1)}\n`,
);
