import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { marked } from 'marked';
import { type Chart, escapeXml, renderSvg } from './charts.js';
import { gitCommit } from './machine.js';
import { type Result, type ResultInput, toPath, writeResult } from './results.js';

/**
 * A report is a list of blocks: markdown lines, and charts placed where they stand.
 * Consecutive strings are one markdown text joined by newlines, so a report can be written as
 * an array of lines (a table row per string) with charts in between.
 */
export type Block = string | Chart;

/** Consecutive markdown lines merged into one text; charts kept in place. */
export function mergeBlocks(blocks: Block[]): Block[] {
  const out: Block[] = [];
  let text: string[] = [];
  for (const b of blocks) {
    if (typeof b === 'string') {
      text.push(b);
      continue;
    }
    if (text.length) out.push(text.join('\n'));
    text = [];
    out.push(b);
  }
  if (text.length) out.push(text.join('\n'));
  return out;
}

export interface ReportOptions extends Omit<ResultInput, 'report'> {
  /** The report's heading (the HTML <title> too). */
  title: string;
  blocks: Block[];
}

/** What writeReport wrote, relative to the package folder. */
export interface WrittenReport {
  result: Result;
  files: string[];
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
th{background:#f4f4f4}code{background:#f4f4f4;padding:0 .2rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto}
figure{margin:1rem 0}figcaption{font-size:.85rem;color:#555}svg{max-width:100%;height:auto}`;

/** The markdown of a report: charts become links to their SVG files (`<name>-<id>.svg`). */
export function reportMarkdown(name: string, title: string, blocks: Block[]): string {
  const parts = [`# ${title}`];
  for (const b of mergeBlocks(blocks)) {
    parts.push(typeof b === 'string' ? b : `![${b.title}](${name}-${b.id}.svg)`);
  }
  return `${parts.join('\n\n')}\n`;
}

/** An offline HTML page: markdown rendered, every chart inlined as SVG, no external resource. */
export async function reportHtml(title: string, blocks: Block[]): Promise<string> {
  const body: string[] = [`<h1>${escapeXml(title)}</h1>`];
  for (const b of mergeBlocks(blocks)) {
    if (typeof b === 'string') body.push(await marked.parse(b, { gfm: true }));
    else
      body.push(
        `<figure id="${escapeXml(b.id)}">${await renderSvg(b)}<figcaption>${escapeXml(b.title)}</figcaption></figure>`,
      );
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}

/**
 * Writes an experiment's (or a benchmark's) report into `<packageDir>/results/`:
 * `<name>.json` (the result, its figures and raw data), `<name>.html` (offline, charts inlined),
 * `<name>.md` with `<name>-<chart>.svg` beside it (for reading on a forge). SVG files of
 * charts that no longer exist are removed.
 */
export async function writeReport(
  packageDir: string | URL,
  options: ReportOptions,
): Promise<WrittenReport> {
  const { title, blocks, ...given } = options;
  // The commit is read before any file is written, so the charts do not stamp it `+dirty`.
  const input = { ...given, commit: given.commit ?? gitCommit(toPath(packageDir)) };
  const dir = join(toPath(packageDir), 'results');
  mkdirSync(dir, { recursive: true });
  const charts = blocks.filter((b): b is Chart => typeof b !== 'string');
  const ids = new Set<string>();
  for (const c of charts) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(c.id))
      throw new Error(`chart id must be lowercase words and dashes: ${c.id}`);
    if (ids.has(c.id)) throw new Error(`two charts with id ${c.id}`);
    ids.add(c.id);
  }
  const files = [
    `results/${input.name}.json`,
    `results/${input.name}.html`,
    `results/${input.name}.md`,
  ];
  const keep = new Set(charts.map((c) => `${input.name}-${c.id}.svg`));
  const present = readdirSync(dir);
  // Another report whose name starts with this one's (`experiments-quick` beside `experiments`)
  // owns the SVG files under its own prefix: those are not this report's stale charts.
  const longer = present
    .filter((f) => f.endsWith('.json') && f.startsWith(`${input.name}-`))
    .map((f) => `${f.slice(0, -'.json'.length)}-`);
  for (const f of present) {
    if (!f.startsWith(`${input.name}-`) || !f.endsWith('.svg') || keep.has(f)) continue;
    if (longer.some((prefix) => f.startsWith(prefix))) continue;
    rmSync(join(dir, f));
  }
  for (const c of charts) {
    writeFileSync(join(dir, `${input.name}-${c.id}.svg`), `${await renderSvg(c)}\n`);
    files.push(`results/${input.name}-${c.id}.svg`);
  }
  writeFileSync(join(dir, `${input.name}.md`), reportMarkdown(input.name, title, blocks));
  writeFileSync(join(dir, `${input.name}.html`), await reportHtml(title, blocks));
  const result = writeResult(packageDir, { ...input, report: `${input.name}.html` });
  return { result, files };
}
