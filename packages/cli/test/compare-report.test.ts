/**
 * `p2pkit compare --out report.html` as a reader sees it: the page opened in headless Chromium
 * (Debian's, through playwright-core; installed by .ci/run), every chart drawn as SVG with data
 * marks, no console error, no network request, and a screenshot kept next to the report.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`${CHROMIUM} is required in CI (.ci/run)`);

const dir = mkdtempSync(join(tmpdir(), 'p2pkit-compare-report-'));
// --save writes into a package folder (the report module names results after the package).
writeFileSync(join(dir, 'package.json'), '{"name": "compare-report-test"}\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('p2pkit compare --out', () => {
  it.skipIf(!available)(
    'writes an offline report whose every chart renders in Chromium',
    async () => {
      const out = join(dir, 'report.html');
      const r = await runCli(
        [
          'compare',
          '--protocols',
          'napster,chord,kelips',
          '--nodes',
          '20,40',
          '--lookups',
          '20',
          '--fail',
          '0',
          '--out',
          out,
          '--save',
          dir,
          '--json',
        ],
        { cwd: dir },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`report: ${out}`);
      const result = JSON.parse(r.stdout) as { fits: Array<{ cost: string }> };
      // --save: the same run by the report module's convention (results/compare.json + report).
      const saved = JSON.parse(readFileSync(join(dir, 'results', 'compare.json'), 'utf8'));
      expect(saved).toMatchObject({ name: 'compare', kind: 'experiment', report: 'compare.html' });
      expect(saved.command).toMatch(/^p2pkit compare --protocols napster,chord,kelips /);
      expect(saved.data.rows).toEqual(JSON.parse(r.stdout).rows);
      expect(saved.figures.length).toBeGreaterThan(0);
      expect(existsSync(join(dir, 'results', 'compare.md'))).toBe(true);
      const html = readFileSync(out, 'utf8');
      expect(html).not.toMatch(/<script/i);
      // One chart per fitted cost, each titled after it.
      const charted = new Set(result.fits.map((f) => f.cost));
      expect(charted.size).toBeGreaterThan(2);

      const browser = await chromium.launch({ executablePath: CHROMIUM });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('request', (q) => {
          if (!q.url().startsWith('file:')) requests.push(q.url());
        });
        await page.goto(`file://${out}`);
        const charts = await page.$$eval('svg', (svgs) =>
          svgs.map((svg) => ({
            marks: svg.querySelectorAll('g[class*="mark-line"] path, g[class*="mark-symbol"] path')
              .length,
            width: svg.getBoundingClientRect().width,
          })),
        );
        expect(charts.length).toBe(charted.size);
        for (const chart of charts) {
          expect(chart.marks).toBeGreaterThan(0);
          expect(chart.width).toBeGreaterThan(100);
        }
        const text = await page.textContent('body');
        expect(text).toContain('The cost table');
        expect(text).toContain('Growth against N');
        expect(text).toMatch(/p2pkit sim chord .*--seed 1 --json/);
        await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
        expect(existsSync(join(dir, 'report.png'))).toBe(true);
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
