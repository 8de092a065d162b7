/**
 * Rewrites the "p2pkit compare" tables of the cli's README from results/compare.json, so that
 * every figure quoted there comes from a run: called by `pnpm --filter @p2pkit/cli experiments`
 * after the comparison, or by hand (`node experiments/readme.js`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const pkg = new URL('..', import.meta.url);
const START = '<!-- compare:start -->';
const END = '<!-- compare:end -->';

const num = (x) => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1e5) return `${Math.round(x / 1e3)}k`;
  if (a >= 100 || Number.isInteger(x)) return String(Math.round(x));
  return a >= 10 ? x.toFixed(1) : x.toFixed(2);
};
const pct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);

function section(result) {
  const c = result.data;
  const w = c.workload;
  const lines = [
    `Measured on ${result.date.slice(0, 10)} (commit ${result.commit}, ${result.machine.cpu}, ${result.machine.cores} cores) by \`${result.command}\`: N = ${w.nodes.join(', ')}, ${w.lookups} lookups, ${w.latencyMs} ms one-way, ${w.fail * 100} % crashed in the fault phase, seed ${w.seed}. The full report with the log-log charts is [results/compare.md](results/compare.md) ([HTML](results/compare.html)).`,
    '',
    '| protocol | N | entries/node | bytes/node | server entries | hops (mean) | msgs/lookup | bytes/lookup | success | success after crash |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of c.rows) {
    lines.push(
      `| ${r.protocol} | ${r.nodes} | ${num(r.memory.entries)} | ${num(r.memory.bytes)} | ${num(r.server?.entries)} | ${num(r.hops?.mean)} | ${num(r.messagesPerLookup)} | ${num(r.bytesPerLookup)} | ${pct(r.successRate)} | ${pct(r.fault?.success)} |`,
    );
  }
  lines.push(
    '',
    'Fitted growth: the least-squares slope of each cost against N on log-log axes, beside the lecture’s class (✗ where the nearest class differs).',
    '',
    '| protocol | cost | slope | measured | lecture | |',
    '|---|---|---:|---|---|---|',
  );
  for (const f of c.fits.filter((x) => x.lecture !== undefined)) {
    lines.push(
      `| ${f.protocol} | ${f.cost} | ${f.slope.toFixed(2)} | ${f.measured} | ${f.lecture} | ${f.differs ? '✗' : '✓'} |`,
    );
  }
  for (const reason of Object.values(c.unavailable ?? {}))
    lines.push('', `Not compared: ${reason}.`);
  return lines.join('\n');
}

const file = new URL('results/compare.json', pkg);
const readmeFile = new URL('README.md', pkg);
const readme = readFileSync(readmeFile, 'utf8');
const begin = readme.indexOf(START);
const end = readme.indexOf(END);
if (begin < 0 || end < begin) throw new Error(`README.md: no ${START} … ${END} markers`);
const body = existsSync(file)
  ? section(JSON.parse(readFileSync(file, 'utf8')))
  : '(no results yet: run `pnpm --filter @p2pkit/cli experiments`)';
writeFileSync(
  readmeFile,
  `${readme.slice(0, begin + START.length)}\n${body}\n${readme.slice(end)}`,
);
