import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readAllResults, withHeadlineTable } from '../src/index.js';

const root = new URL('../../../', import.meta.url);

describe("the root README's headline table", () => {
  it('is the one generated from packages/*/results/*.json (run `pnpm results:readme` after a run)', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const results = readAllResults(root);
    expect(results.some((r) => r.figures.some((f) => f.headline))).toBe(true);
    expect(readme).toBe(withHeadlineTable(readme, results));
  });
});
