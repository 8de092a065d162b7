/**
 * The README's matrix block (every seeder × every leecher) is generated from
 * results/matrix.json by bench/readme.js: this fails when someone edits the figures by hand or
 * commits new results without regenerating the block.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
// @ts-expect-error: a plain-JS bench script, no types
import { withMatrixBlock } from '../bench/readme.js';

it('the README matrix block matches results/matrix.json', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(withMatrixBlock(readme)).toBe(readme);
});
