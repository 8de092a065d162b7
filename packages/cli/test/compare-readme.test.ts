/**
 * The compare sections of the cli's README and of the root README are the ones generated from
 * results/compare.json (run `pnpm --filter @p2pkit/cli experiments`, or
 * `node packages/cli/experiments/readme.js` after editing the generator), and the chart the
 * root README shows is a committed file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script of the package (experiments/), without declarations.
import { READMES, ROOT_CHART, readResult, withCompareSection } from '../experiments/readme.js';

describe("the READMEs' compare sections", () => {
  it('are generated from results/compare.json', () => {
    const result = readResult();
    expect(result, 'packages/cli/results/compare.json').toBeDefined();
    for (const { file, options } of READMES as Array<{ file: URL; options: object }>) {
      const text = readFileSync(file, 'utf8');
      expect(text, file.pathname).toBe(withCompareSection(text, result, options));
    }
  });

  it('shows a chart the run wrote, with the command that produced it', () => {
    const root = READMES.find((r: { options: { root?: boolean } }) => r.options.root) as {
      file: URL;
    };
    const text = readFileSync(root.file, 'utf8');
    expect(text).toContain(`](packages/cli/results/${ROOT_CHART})`);
    expect(text).toMatch(/from the same run: `pnpm --filter @p2pkit\/cli experiments`/);
    const svg = readFileSync(new URL(`../results/${ROOT_CHART}`, import.meta.url), 'utf8');
    expect(svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(existsSync(new URL('../results/compare.md', import.meta.url))).toBe(true);
  });
});
