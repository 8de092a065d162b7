/**
 * packages/kelips/README.md's ```ts blocks, run as a newcomer would paste them: each is written
 * beside this test (so `@p2pkit/*` resolve as in an app that installed them), imported, and
 * must finish and print what its comments promise. Real sockets bind 127.0.0.1, free ports.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const readme = new URL('../../kelips/README.md', import.meta.url);
const scratch = new URL('./.kelips-readme/', import.meta.url);

async function run(marker: string): Promise<string[]> {
  const text = readFileSync(readme, 'utf8');
  const found = [...text.matchAll(/```ts\n([\s\S]*?)```/g)]
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

describe('kelips README examples run as written', { timeout: 60_000 }, () => {
  it('four nodes over UDP: insert, lookup, get, leave', async () => {
    const out = await run('createKelipsNode({ runtime, groups: 2, roundMs: 100 })');
    expect(out[0]).toBe('true true la la la');
    expect(JSON.parse(out[1]!)).toMatchObject({
      entries: expect.any(Number),
      bytes: expect.any(Number),
    });
  });

  it('the simulator: 100 nodes joined, a lookup after a crash', async () => {
    const out = await run('new KelipsWorld(sim, { groups: 10 }, latency)');
    const [hops, view] = out[0]!.split(' ').map(Number);
    expect([0, 1]).toContain(hops);
    expect(view).toBeGreaterThan(7);
    expect(view).toBeLessThan(11);
  });
});
