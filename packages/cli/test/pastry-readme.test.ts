/**
 * packages/pastry/README.md's ```ts blocks, run as a newcomer would paste them: each is written
 * beside this test (so `@p2pkit/*` resolve as in an app that installed them), imported, and must
 * finish and print what its comments promise. Real sockets bind 127.0.0.1, free ports.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const readme = new URL('../../pastry/README.md', import.meta.url);
const scratch = new URL('./.pastry-readme/', import.meta.url);

/** The block containing `marker`, run; what it printed, line by line. */
async function run(marker: string): Promise<string[]> {
  const found = [...readFileSync(readme, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .filter((b) => b.includes(marker));
  expect(found, `one ts block containing ${marker}`).toHaveLength(1);
  mkdirSync(scratch, { recursive: true });
  const file = new URL(`block-${found[0]!.length}.ts`, scratch);
  writeFileSync(file, found[0]!);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  });
  try {
    await import(pathToFileURL(file.pathname).href);
  } finally {
    log.mockRestore();
  }
  return printed;
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('pastry README examples run as written', { timeout: 120_000 }, () => {
  it('three nodes over UDP: join, put, get, lookup, leave', async () => {
    const out = await run('createPastryNode({ runtime, port: 0 })');
    expect(out).toEqual(['{"version":1,"replicas":3} blue true 127.0.0.1']);
  });

  it('the simulator: 100 nodes joined through their nearest, a lookup after a crash', async () => {
    expect(await run('new PastryWorld(sim, {}')).toEqual(['true 99']);
  });
});
