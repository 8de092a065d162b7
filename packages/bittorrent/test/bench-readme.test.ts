/**
 * The README's matrix block (every seeder × every leecher) and 1 GiB memory block are generated
 * from results/matrix.json and bench/results/throughput-1024MiB.json by bench/readme.js: this fails when someone edits the figures by hand or
 * commits new results without regenerating the block.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
// @ts-expect-error: a plain-JS bench script, no types
import { withBlocks } from '../bench/readme.js';

it('the README matrix and memory blocks match results/matrix.json and the 1 GiB run', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(withBlocks(readme)).toBe(readme);
});
