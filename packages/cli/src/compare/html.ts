/**
 * The offline HTML report of a comparison, through the report module (@p2pkit/report, bundled
 * into the cli's build): the tables, one log-log chart per cost with every protocol's line, the
 * fitted slopes beside the lecture's classes, the conditions, and a paragraph per protocol.
 */
import { renameSync, writeFileSync } from 'node:fs';
import {
  type Block,
  type Figure,
  lineChart,
  machine,
  reportHtml,
  writeReport,
} from '@p2pkit/report';
import { costOf } from './fit.js';
import { adapter } from './protocols/index.js';
import type { CompareResult } from './run.js';
import { type Cells, concernCells, costCells, fitCells, swarmCells } from './table.js';
import { COSTS, type Cost } from './types.js';

function markdownTable({ header, rows }: Cells): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/** The report's blocks (markdown lines and charts), in reading order. */
export function reportBlocks(result: CompareResult, loadAtStart?: number): Block[] {
  const w = result.workload;
  const blocks: Block[] = [
    `${result.protocols.length} protocols, each in its own simulation (the code that runs on real sockets, in virtual time), on one workload: N = ${w.nodes.join(', ')} nodes, ${w.itemsPerNode} item per node, ${w.lookups} lookups, ${w.latencyMs} ms one-way delay, seed ${w.seed}${w.fail > 0 ? `, ${w.fail * 100} % of the nodes crashed in the fault phase` : ''}. Every row can be reproduced by the \`p2pkit sim\` command listed under it.`,
    '',
    '## The cost table',
    '',
    ...markdownTable(costCells(result.rows)),
    '',
    '## Load, faults, locality, maintenance',
    '',
    ...markdownTable(concernCells(result.rows)),
    '',
    ...swarmBlock(result),
    '## Growth against N',
    '',
    'Each cost is drawn against N on log-log axes; its slope is fitted by least squares and set beside the class the lecture gives (O(1): slope 0, O(log N): the slope of log N over the same N, O(√N): 0.5, O(N): 1). ✗ marks a measured class that differs from the lecture.',
    '',
    ...markdownTable(fitCells(result.fits)),
  ];
  const charted = (Object.keys(COSTS) as Cost[]).filter((cost) =>
    result.fits.some((f) => f.cost === cost),
  );
  for (const cost of charted) {
    const series = result.protocols
      .map((p) => ({
        name: p,
        points: result.rows
          .filter((r) => r.protocol === p)
          .map((r) => [r.nodes, costOf(r, cost)] as const)
          .filter((x): x is readonly [number, number] => x[1] !== undefined && x[1] > 0)
          .map(([x, y]) => [x, y] as [number, number]),
      }))
      .filter((s) => s.points.length > 0);
    if (series.length === 0) continue;
    blocks.push(
      lineChart({
        id: `cost-${cost.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
        title: `${COSTS[cost].label} against N`,
        x: { label: 'N', unit: 'nodes', log: true },
        y: { label: COSTS[cost].label, unit: COSTS[cost].unit, log: true },
        series,
      }),
    );
  }
  blocks.push('', '## What the numbers show', '');
  for (const p of result.protocols) {
    const rows = result.rows.filter((r) => r.protocol === p);
    if (rows.length === 0) continue;
    blocks.push(`**${p}.** ${adapter(p).summary(rows)}`, '');
    const notes = [...new Set(rows.flatMap((r) => r.notes))];
    for (const n of notes) blocks.push(`- ${n}`);
    blocks.push('', 'Reproduce a row:', '');
    for (const r of rows) {
      blocks.push(`- \`${r.command}\``);
      if (r.fault) blocks.push(`- \`${r.fault.command}\``);
    }
    blocks.push('');
  }
  for (const s of result.skipped) blocks.push(`- ${s.protocol} at N = ${s.nodes}: ${s.reason}`);
  for (const reason of Object.values(result.unavailable)) blocks.push(`- not compared: ${reason}`);
  const m = machine(loadAtStart);
  blocks.push(
    '',
    '## Conditions',
    '',
    `- seed ${w.seed}; ${result.rows.length} runs in ${(result.wallMs / 1000).toFixed(1)} s wall, ${result.jobs > 1 ? `${result.jobs} at a time on worker threads` : 'one at a time'}, ${(result.cpuMs / 1000).toFixed(0)} CPU-s; the longest run ${(Math.max(...result.rows.map((r) => r.wallMs)) / 1000).toFixed(1)} s`,
    `- versions: ${Object.entries(result.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}, load average ${m.loadAverage.join(' → ')}`,
  );
  return blocks;
}

/** BitTorrent's download, when it ran: the swarm has no lookups, so it gets its own table. */
function swarmBlock(result: CompareResult): string[] {
  const cells = swarmCells(result.rows);
  if (cells.rows.length === 0) return [];
  return [
    '## The swarm (BitTorrent)',
    '',
    'N leechers and one seed download one file from a flash crowd start; completion times against the fluid lower bound for the same upload rates.',
    '',
    ...markdownTable(cells),
    '',
  ];
}

const TITLE = 'p2pkit compare: the cost table, measured';

/** Each fitted slope beside its lecture class's slope over the same N, as report figures. */
function slopeFigures(result: CompareResult): Figure[] {
  return result.fits
    .filter((f) => f.lecture !== undefined)
    .map((f) => ({
      figure: `${f.protocol}: ${COSTS[f.cost].label}, log-log slope over N = ${f.points.map(([n]) => n).join(', ')}`,
      value: Math.round(f.slope * 1000) / 1000,
      unit: 'slope',
      peer: {
        name: `lecture ${f.lecture}`,
        value: Math.round((f.lectureSlope ?? 0) * 1000) / 1000,
        source: 'the lecture’s cost table',
      },
      note: `measured ${f.measured}${f.differs ? ' (differs from the lecture)' : ''}`,
    }));
}

/**
 * Writes the comparison by the report module's convention into `<folder>/results/`:
 * compare.json (every figure in `data`, the slopes as figures), compare.html, compare.md and
 * the charts' SVG files.
 */
export async function saveResults(
  folder: string,
  result: CompareResult,
  command: string,
  loadAtStart?: number,
  commit?: string,
): Promise<string[]> {
  const { files } = await writeReport(folder, {
    // The commit as the run started: writeReport writes the charts before it stamps the
    // results file, so a stamp taken then says +dirty even for a clean checkout.
    ...(commit !== undefined ? { commit } : {}),
    name: 'compare',
    kind: 'experiment',
    title: TITLE,
    command,
    conditions: { ...result.workload, protocols: result.protocols },
    figures: slopeFigures(result),
    ...(loadAtStart !== undefined ? { loadAtStart } : {}),
    data: result,
    blocks: reportBlocks(result, loadAtStart),
  });
  return files;
}

/** Writes the report to `path` (through a temporary file, so a failure leaves no half page). */
export async function writeHtmlReport(
  path: string,
  result: CompareResult,
  loadAtStart?: number,
): Promise<void> {
  const html = await reportHtml(TITLE, reportBlocks(result, loadAtStart));
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, html);
  renameSync(tmp, path);
}
