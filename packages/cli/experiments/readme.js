/**
 * Rewrites the "p2pkit compare" sections of the cli's README and of the root README from
 * results/compare.json, so that every figure quoted there comes from a run: called by
 * `pnpm --filter @p2pkit/cli experiments` after the comparison, or by hand
 * (`node experiments/readme.js`; `--check` only says whether they are up to date, exit 1 if not).
 * test/compare-readme.test.ts checks both sections against the results file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = new URL('..', import.meta.url);
const START = '<!-- compare:start';
const END = '<!-- compare:end -->';
/** The chart the root README shows (one of the SVGs `--save` writes). */
export const ROOT_CHART = 'compare-cost-hops.svg';

const num = (x) => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1e5) return `${Math.round(x / 1e3)}k`;
  if (a >= 100 || Number.isInteger(x)) return String(Math.round(x));
  return a >= 10 ? x.toFixed(1) : x.toFixed(2);
};
const pct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);

/** How long the run took: wall, runs at once, CPU, and the longest run (the least wall possible). */
function timing(c) {
  if (c.cpuMs === undefined) return '';
  const longest = Math.max(...c.rows.map((r) => r.wallMs));
  const at = c.jobs > 1 ? `${c.jobs} at a time on worker threads` : 'one at a time';
  return ` The ${c.rows.length} runs took ${(c.wallMs / 1000).toFixed(0)} s wall (${at}), ${(c.cpuMs / 1000).toFixed(0)} CPU-s; the longest run ${(longest / 1000).toFixed(1)} s.`;
}

/**
 * The generated part of a README from the results file `result`. `base` is the path from that
 * README to packages/cli/ ('' for the cli's own); `root` gives the root README's shorter form
 * (no per-cost slope table, the ✗ list instead, and one chart).
 */
export function compareSection(result, { base = '', root = false } = {}) {
  const c = result.data;
  const w = c.workload;
  const command = root ? 'pnpm --filter @p2pkit/cli experiments' : result.command;
  const load = result.machine.loadAverage?.[0];
  const lines = [
    `Measured on ${result.date.slice(0, 10)} (commit ${result.commit}, ${result.machine.cpu}, ${result.machine.cores} cores${load !== undefined ? `, load ${load.toFixed(1)} at the start` : ''}) by \`${command}\`${root ? ` (\`${result.command}\` in packages/cli)` : ''}: N = ${w.nodes.join(', ')}, ${w.lookups} lookups, ${w.latencyMs} ms one-way, ${w.fail * 100} % crashed in the fault phase, seed ${w.seed}. The full report with the log-log charts is [${base}results/compare.md](${base}results/compare.md) ([HTML](${base}results/compare.html)).${timing(c)}`,
    '',
    '| protocol | N | entries/node | bytes/node | server entries | server bytes | hops (mean) | ms (mean) | msgs/lookup | bytes/lookup | success | after crash | after repair |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of c.rows) {
    lines.push(
      `| ${r.protocol} | ${r.nodes} | ${num(r.memory.entries)} | ${num(r.memory.bytes)} | ${num(r.server?.entries)} | ${num(r.server?.bytes)} | ${num(r.hops?.mean)} | ${num(r.latencyMs?.mean)} | ${num(r.messagesPerLookup)} | ${num(r.bytesPerLookup)} | ${pct(r.successRate)} | ${pct(r.fault?.success)} | ${pct(r.fault?.afterRepair?.success)} |`,
    );
  }
  const swarms = c.rows.filter((r) => r.swarm);
  if (swarms.length > 0) {
    lines.push(
      '',
      'BitTorrent looks nothing up: its row is the tracker (server entries and bytes: peers it holds for the torrent and its state for them; msgs and bytes: datagrams to and from it per peer) and the swarm:',
      '',
      '| protocol | N | file bytes | completion s (mean) | fluid bound s | last / bound | received bytes/peer |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const r of swarms) {
      const s = r.swarm;
      lines.push(
        `| ${r.protocol} | ${r.nodes} | ${num(s.size)} | ${num(s.completionS.mean)} | ${num(s.boundS)} | ${num(s.ratio)} | ${num(s.receivedBytesPerPeer)} |`,
      );
    }
  }
  const judged = c.fits.filter((x) => x.lecture !== undefined);
  const differ = judged.filter((f) => f.differs);
  if (root) {
    lines.push(
      '',
      `Fitted growth (least-squares slope of each cost against N on log-log axes): ${judged.length - differ.length} of ${judged.length} costs in the lecture's class${differ.length ? `; differing: ${differ.map((f) => `${f.protocol} ${f.cost} (${f.measured}, lecture ${f.lecture})`).join(', ')}` : ''}. The [report](${base}results/compare.md) says why.`,
      '',
      `![Lookup hops against N, log-log, one line per protocol](${base}results/${ROOT_CHART})`,
      '',
      `Lookup hops against N (log-log), from the same run: \`${command}\`.`,
    );
  } else {
    lines.push(
      '',
      'Fitted growth: the least-squares slope of each cost against N on log-log axes, beside the lecture’s class (✗ where the nearest class differs).',
      '',
      '| protocol | cost | slope | measured | lecture | |',
      '|---|---|---:|---|---|---|',
    );
    for (const f of judged) {
      lines.push(
        `| ${f.protocol} | ${f.cost} | ${f.slope.toFixed(2)} | ${f.measured} | ${f.lecture} | ${f.differs ? '✗' : '✓'} |`,
      );
    }
  }
  for (const s of c.skipped ?? []) lines.push('', `${s.protocol} at N = ${s.nodes}: ${s.reason}.`);
  for (const reason of Object.values(c.unavailable ?? {}))
    lines.push('', `Not compared: ${reason}.`);
  return lines.join('\n');
}

/** `text` with its compare section regenerated from `result` (or a placeholder without one). */
export function withCompareSection(text, result, options) {
  const begin = text.indexOf(START);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`no ${START} … ${END} markers`);
  const startEnd = text.indexOf('-->', begin) + 3;
  const body = result
    ? compareSection(result, options)
    : '(no results yet: run `pnpm --filter @p2pkit/cli experiments`)';
  return `${text.slice(0, startEnd)}\n${body}\n${text.slice(end)}`;
}

/** The READMEs this script writes, with how each shows the section. */
export const READMES = [
  { file: new URL('README.md', pkg), options: { base: '' } },
  { file: new URL('../../README.md', pkg), options: { base: 'packages/cli/', root: true } },
];

export function readResult() {
  const file = new URL('results/compare.json', pkg);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const result = readResult();
  let stale = 0;
  for (const { file, options } of READMES) {
    const before = readFileSync(file, 'utf8');
    const after = withCompareSection(before, result, options);
    if (after === before) continue;
    stale++;
    if (check)
      console.error(`${fileURLToPath(file)}: compare section differs from results/compare.json`);
    else writeFileSync(file, after);
  }
  if (check && stale > 0) process.exit(1);
}
