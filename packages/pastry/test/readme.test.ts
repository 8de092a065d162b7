/**
 * The README's experiment and benchmark tables are the results files' figures: regenerating them
 * (experiments/readme.js, run at the end of `pnpm experiments` and `pnpm bench`) changes nothing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JS script of this package (no types), run by node as well.
import { renderReadme } from '../experiments/readme.js';

describe('README', () => {
  it('its tables are what the committed results files give', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('<!-- experiments:table -->');
    expect(readme).toContain('<!-- bench:table -->');
    expect(renderReadme(readme), 'run `node experiments/readme.js` and commit README.md').toBe(
      readme,
    );
  });
});
