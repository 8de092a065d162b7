/**
 * Rewrites the README's experiment and benchmark tables from the results files, so that every
 * figure quoted there comes from a run: called at the end of experiments/run.js and
 * bench/run.js, or by hand (`node experiments/readme.js`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = new URL('..', import.meta.url);
const read = (name) => {
  const file = new URL(`results/${name}.json`, pkg);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
};
const r3 = (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
const fig = (result, prefix) => result?.figures.filter((f) => f.figure.startsWith(prefix)) ?? [];

function experimentsTable() {
  const e = read('experiments');
  if (e === undefined) return '(no results yet: run `pnpm experiments`)';
  const checks = e.figures[0];
  const row = (what, paper, ours) => `| ${what} | ${paper} | ${ours} |`;
  const get = (name) => e.figures.find((f) => f.figure === name);
  const hops = fig(e, 'PA-HOPS: mean hops');
  const lines = [
    `${e.conditions?.quick ? '**Quick run (shrunk sizes): not the paper’s sizes.** ' : ''}Checks within the spec sheet's tolerances (pastry.md §5.3): **${checks.value} ${checks.unit}** (run ${e.date.slice(0, 10)}, commit ${e.commit}).`,
    '',
    '| experiment | published | ours |',
    '|---|---|---|',
    row(
      'PA-HOPS: mean hops, N = ' + hops.map((f) => f.figure.replace(/.*N = /, '')).join(' / '),
      hops.map((f) => f.peer?.value ?? '—').join(' / ') + ' [fig]',
      hops.map((f) => `${r3(f.value)}${f.met === false ? ' ❌' : ''}`).join(' / '),
    ),
  ];
  const p4 = get('PA-HOPS: P(4 hops), N = 10^5');
  const p5 = get('PA-HOPS: P(5 hops), N = 10^5');
  if (p4 && p5) {
    lines.push(
      row(
        'PA-HOPS: P(4), P(5) hops at N = 10^5',
        `${p4.peer.value}, ${p5.peer.value} [paper]`,
        `${r3(p4.value)}, ${r3(p5.value)}`,
      ),
    );
  }
  const base = get('PA-FAIL: mean hops, no failure');
  const off = get('PA-FAIL: mean hops after failures, no repair');
  const on = get('PA-FAIL: mean hops after repair');
  const rpcs = get('PA-FAIL: repair RPCs per failed node');
  const mis = get('PA-FAIL: misdelivered lookups');
  if (base && off && on) {
    lines.push(
      row(
        'PA-FAIL: 10 % fail; hops before, without repair, after repair; misdelivered',
        `${base.peer.value}, ${off.peer.value}, ${on.peer.value}; none [paper]`,
        `${r3(base.value)}, ${r3(off.value)}, ${r3(on.value)}; ${mis?.value}`,
      ),
      row(
        'PA-FAIL: repair RPCs per failed node',
        `${rpcs.peer.value} [paper]`,
        `${r3(rpcs.value)}`,
      ),
    );
  }
  const single = [10_000, 100_000]
    .map((n) => read(`locality-${n}`))
    .filter(
      (x) =>
        x !== undefined &&
        !fig(e, 'PA-LOC: relative distance').some((f) => f.figure === x.figures[0].figure),
    );
  const alone = new Map(single.map((x) => [x.figures[0], x.command]));
  for (const f of [...fig(e, 'PA-LOC: relative distance'), ...alone.keys()]) {
    const command = alone.get(f);
    lines.push(
      row(
        f.figure.replace('PA-LOC: relative distance, ', 'PA-LOC: route / direct latency, ') +
          (command ? ` (run alone: \`${command}\`)` : ''),
        f.peer ? `≈ ${f.peer.value} [fig]` : '(negative control)',
        `${r3(f.value)}${f.met === false ? ' ❌' : ''}`,
      ),
    );
  }
  return lines.join('\n');
}

function benchTable() {
  const lookups = read('lookups');
  const memory = read('memory');
  if (lookups === undefined && memory === undefined) return '(no results yet: run `pnpm bench`)';
  const lines = [
    'Measured on this project’s build machine (2 shared x86 cores); the 1-minute load average at the start of each run is recorded in its results file, beside the command.',
    '',
    '| benchmark | command | result | goal / reference |',
    '|---|---|---|---|',
  ];
  if (lookups) {
    const [speed, cpu, hops, bad] = lookups.figures;
    lines.push(
      `| ${lookups.conditions.nodes.toLocaleString('en-US')} nodes × ${lookups.conditions.lookups.toLocaleString('en-US')} lookups (\`p2pkit sim pastry\`'s workload) | \`${lookups.command}\` | **${speed.value.toLocaleString('en-US')} lookups/s** (${cpu.value.toLocaleString('en-US')} per CPU-second), ${r3(hops.value)} hops, ${bad.value} misdelivered or failed; load ${lookups.machine.loadAverage[0]} at start, ${lookups.date.slice(0, 10)} | ≥ 2× PeerSim MSPastry (${speed.peer.value.toLocaleString('en-US')}/s, ${hops.peer.value} hops): **${r3(speed.ratio)}×**, goal ${speed.met ? 'met' : '**not met**'}${cpu.ratio !== undefined ? `; per CPU-second **${r3(cpu.ratio)}×**, ${cpu.met ? 'met' : '**not met**'}` : ''} |`,
    );
  }
  if (memory) {
    const [rss, hops] = memory.figures;
    lines.push(
      `| ${memory.conditions.nodes.toLocaleString('en-US')} nodes (tables built directly), ${memory.conditions.lookups.toLocaleString('en-US')} lookups | \`${memory.command}\` | peak RSS **${rss.value.toLocaleString('en-US')} MB**, ${r3(hops.value)} hops; ${memory.date.slice(0, 10)} | ≤ 4 GiB: ${rss.met ? 'met' : '**not met**'} |`,
    );
  }
  return lines.join('\n');
}

/** The README's text with its tables rewritten from the results files (`text`: the README now). */
export function renderReadme(text) {
  const put = (current, name, body) => {
    const re = new RegExp(`(<!-- ${name} -->\\n)[\\s\\S]*?(<!-- /${name} -->)`);
    return current.replace(re, `$1${body}\n$2`);
  };
  return put(put(text, 'experiments:table', experimentsTable()), 'bench:table', benchTable());
}

export function updateReadme() {
  const file = new URL('README.md', pkg);
  writeFileSync(file, renderReadme(readFileSync(file, 'utf8')));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) updateReadme();
