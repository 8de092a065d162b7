import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe("the README's benchmark block", () => {
  it('is the table generated from results/*.json (node packages/sim/bench/readme.js packages/chord)', async () => {
    // The generator is the simulator package's bench script (one for every package README).
    const tool: { withResultsBlock(readme: string, dir: string): string } = await import(
      new URL('../../sim/bench/readme.js', import.meta.url).href
    );
    const dir = fileURLToPath(new URL('..', import.meta.url));
    const readme = readFileSync(`${dir}README.md`, 'utf8');
    expect(readme).toContain('lookups per CPU-second');
    expect(readme).toBe(tool.withResultsBlock(readme, dir));
  }, 60_000); // importing the report module (vega inside) takes seconds on a busy machine
});
