import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { barChart, cdf, histogram, lineChart, renderSvg, writeReport } from '../src/index.js';

/** Text content of the SVG's <text> elements (axis titles, tick labels, legend). */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

describe('charts rendered to SVG without a browser', () => {
  it('draws lines on a log axis with axis titles, units and a legend', async () => {
    const chart = lineChart({
      id: 'path',
      title: 'Path length vs N',
      x: { label: 'N', unit: 'nodes', log: true },
      y: { label: 'path length', unit: 'hops' },
      series: [
        {
          name: 'ours',
          points: [
            { x: 8, y: 1.5, low: 1, high: 3 },
            { x: 1024, y: 5, low: 2, high: 9 },
            { x: 16384, y: 7 },
          ],
        },
        {
          name: 'paper',
          dashed: true,
          points: [
            [8, 1.7],
            [16384, 6.9],
          ],
        },
      ],
      rules: [{ x: 1000, label: 'bound' }],
    });
    const svg = await renderSvg(chart);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<title>Path length vs N</title>');
    const t = texts(svg);
    expect(t).toContain('N (nodes)');
    expect(t).toContain('path length (hops)');
    expect(t).toContain('ours');
    expect(t).toContain('paper');
    expect(t).toContain('bound');
    // A log axis labels powers of ten.
    expect(t).toEqual(expect.arrayContaining(['10', '100', '1,000', '10,000']));
    // Deterministic: the same chart gives the same bytes.
    expect(await renderSvg(chart)).toBe(svg);
  });

  it('draws histograms and CDFs from raw samples, and grouped bars', async () => {
    const a = Array.from({ length: 200 }, (_, i) => i % 10);
    const b = Array.from({ length: 100 }, (_, i) => (i % 20) / 2);
    const h = await renderSvg(
      histogram({
        id: 'h',
        title: 'hops',
        x: { label: 'hops' },
        series: [
          { name: 'a', values: a },
          { name: 'b', values: b },
        ],
        step: 1,
        normalize: true,
      }),
    );
    expect(texts(h)).toEqual(expect.arrayContaining(['hops', 'fraction of samples', 'a', 'b']));
    const c = await renderSvg(
      cdf({
        id: 'c',
        title: 'completion',
        x: { label: 'time', unit: 's' },
        series: [{ name: 'a', values: a }],
      }),
    );
    expect(texts(c)).toEqual(expect.arrayContaining(['time (s)', 'fraction ≤ x', '100%', '0%']));
    const bars = await renderSvg(
      barChart({
        id: 'b',
        title: 'pdf',
        x: { label: 'hops' },
        y: { label: 'fraction' },
        categories: [0, 1, 2],
        series: [
          { name: 'ours', values: [0.1, 0.5, 0.4] },
          { name: 'paper', values: [0.2, 0.4, 0.4] },
        ],
      }),
    );
    expect(texts(bars)).toEqual(
      expect.arrayContaining(['hops', 'fraction', 'ours', 'paper', '0', '1', '2']),
    );
    expect(
      (bars.match(/<path[^>]*aria-roledescription="bar"/g) ?? []).length +
        (bars.match(/role-mark marks/g) ?? []).length,
    ).toBeGreaterThan(0);
  });

  it('writes the result, an offline HTML report with the charts inlined, and markdown with SVG files', async () => {
    const pkg = mkdtempSync(join(tmpdir(), 'p2pkit-report-'));
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@p2pkit/demo' }));
    mkdirSync(join(pkg, 'results'));
    writeFileSync(join(pkg, 'results', 'exp-stale.svg'), '<svg/>');
    // A report named `exp-quick` beside it keeps its chart.
    writeFileSync(join(pkg, 'results', 'exp-quick.json'), '{}');
    writeFileSync(join(pkg, 'results', 'exp-quick-one.svg'), '<svg/>');
    const chart = lineChart({
      id: 'one',
      title: 'One',
      x: { label: 'x' },
      y: { label: 'y' },
      series: [
        {
          name: 's',
          points: [
            [1, 2],
            [2, 3],
          ],
        },
      ],
    });
    const { result, files } = await writeReport(pkg, {
      name: 'exp',
      kind: 'experiment',
      title: 'An experiment',
      command: 'node experiments/run.js',
      conditions: { seed: 1 },
      figures: [{ figure: 'mean', value: 2.5, unit: 'hops' }],
      data: { rows: [1, 2] },
      blocks: ['Some **bold** text.', '', '| a | b |', '|---|---|', '| 1 | 2 |', chart],
    });
    expect(result.report).toBe('exp.html');
    expect(files).toContain('results/exp-one.svg');
    expect(readdirSync(join(pkg, 'results')).sort()).toEqual([
      'exp-one.svg',
      'exp-quick-one.svg',
      'exp-quick.json',
      'exp.html',
      'exp.json',
      'exp.md',
    ]);
    const html = readFileSync(join(pkg, 'results', 'exp.html'), 'utf8');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<table>');
    expect(html).toMatch(/<figure id="one"><svg/);
    // Offline: nothing is fetched (no script, stylesheet or image from elsewhere).
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    const md = readFileSync(join(pkg, 'results', 'exp.md'), 'utf8');
    expect(md).toContain('![One](exp-one.svg)');
    expect(JSON.parse(readFileSync(join(pkg, 'results', 'exp.json'), 'utf8')).data).toEqual({
      rows: [1, 2],
    });
  });
});
