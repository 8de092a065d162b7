import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** bench/readme.js, loaded by URL (a plain script beside the benchmarks, not part of src). */
async function readmeTool(): Promise<{
  withResultsBlock(readme: string, dir: string): string;
}> {
  return import(new URL('../bench/readme.js', import.meta.url).href);
}

describe("the README's results block", () => {
  it('is the table generated from results/*.json (run node packages/sim/bench/readme.js after a bench)', async () => {
    const { withResultsBlock } = await readmeTool();
    const dir = fileURLToPath(new URL('..', import.meta.url));
    const readme = readFileSync(`${dir}README.md`, 'utf8');
    expect(readme).toContain('events per CPU-second');
    expect(readme).toBe(withResultsBlock(readme, dir));
  }, 60_000); // importing the report module (vega inside) takes seconds on a busy machine
});
