/**
 * Rewrites the README's "Measured" block from results/experiments.json (so every figure there
 * comes from a results file and the command that wrote it). Called at the end of run.js;
 * `node experiments/readme.js` alone re-renders it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readResult } from '@p2pkit/report';

const r3 = (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
const pct = (x) => `${(100 * x).toFixed(1)} %`;

export function updateReadme(pkg = new URL('..', import.meta.url)) {
  const result = readResult(pkg, 'experiments');
  if (!result?.data) return;
  const { tiers, churn, freeriders } = result.data;
  const lines = [
    `Command: \`${result.command}\` (${result.date?.slice(0, 10) ?? ''}, commit ${result.commit ?? '?'}${result.conditions?.quick ? ', **quick run**' : ''}).`,
    '',
  ];
  if (tiers) {
    lines.push(
      '| N | protocol | query msgs/query | search msgs/query | success | results/query | busiest node: queries |',
      '|---|---|---|---|---|---|---|',
      ...tiers.rows.map(
        (r) =>
          `| ${r.nodes} | ${r.shape} | ${r3(r.queryMessages)} | ${r3(r.searchMessages)} | ${pct(r.successRate)} | ${r3(r.hitsPerQuery)} | ${r.busiest} |`,
      ),
      '',
    );
  }
  if (churn) {
    lines.push(
      `Supernode churn, N = ${churn.size.nodes}:`,
      '',
      '| supernodes crashed | success | re-parent p50, p99 (ms) |',
      '|---|---|---|',
      ...churn.rows.map(
        (r) =>
          `| ${r.crashed} (${r.churn * 100} %) | ${pct(r.successRate)} | ${r3(r.reparentP50)}, ${r3(r.reparentP99)} |`,
      ),
    );
  }
  if (freeriders) {
    lines.push(
      '',
      'Free-riders against contributors racing for one file at busy seeders (mean download ms):',
      '',
      '| participation levels | seed | contributors | free-riders |',
      '|---|---|---|---|',
      ...freeriders.rows.map(
        (r) =>
          `| ${r.reputation} | ${r.seed} | ${Math.round(r.contributors.mean)} | ${Math.round(r.freeriders.mean)} |`,
      ),
    );
  }
  const path = fileURLToPath(new URL('README.md', pkg));
  const readme = readFileSync(path, 'utf8');
  const next = readme.replace(
    /<!-- experiments -->[\s\S]*<!-- \/experiments -->/,
    `<!-- experiments -->\n${lines.join('\n')}\n<!-- /experiments -->`,
  );
  writeFileSync(path, next);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) updateReadme();
