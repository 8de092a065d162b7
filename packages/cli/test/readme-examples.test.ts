/**
 * The packages' README examples, run as a newcomer would paste them: each ```ts block listed
 * below is written to a file beside this test (so `@p2pkit/*` resolve as in an app that installed
 * them), imported, and must finish without throwing and print what its comments promise.
 * Blocks that need files from an earlier shell step or are test-suite fragments are not listed.
 * Real sockets bind to 127.0.0.1 on free ports only.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const packages = new URL('../../', import.meta.url);
const scratch = new URL('./.readme-examples/', import.meta.url);

/** The ```ts blocks of a package README, in order. */
function blocks(pkg: string): string[] {
  const text = readFileSync(new URL(`${pkg}/README.md`, packages), 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** The block of `pkg`'s README that contains `marker`, run; what it printed, line by line. */
async function run(pkg: string, marker: string): Promise<string[]> {
  const found = blocks(pkg).filter((b) => b.includes(marker));
  expect(found, `${pkg}/README.md: one ts block containing ${JSON.stringify(marker)}`).toHaveLength(
    1,
  );
  mkdirSync(scratch, { recursive: true });
  const file = new URL(`${pkg}-${found[0]!.length}.ts`, scratch);
  writeFileSync(file, found[0]!);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a, big))).join(' '));
  });
  try {
    await import(pathToFileURL(file.pathname).href);
  } finally {
    log.mockRestore();
  }
  return printed;
}

const big = (_key: string, value: unknown) =>
  typeof value === 'bigint' ? `${value}n` : value instanceof Map ? [...value] : value;

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('README examples run as written', () => {
  it('core: ids, ring, codec, envelope (no output, no throw)', async () => {
    expect(await run('core', 'r.expectEnd()')).toEqual([]);
  });

  it('core: RPC over real UDP and TCP on 127.0.0.1', async () => {
    const out = await run('core', 'createDatagramRpc, P2PError, RemoteError');
    expect(out).toContain('echo: hello over TCP');
    expect(out).toContain('ERR_NOT_FOUND');
  });

  it('core: timeouts and retries on the memory network and a manual clock', async () => {
    expect(await run('core', 'hub.clock.advance(3_000)')).toEqual([]);
  });

  it('sim: two hosts exchange RPCs under latency and loss', async () => {
    const out = await run('sim', "import { latency, Simulation } from '@p2pkit/sim'");
    expect(out).toHaveLength(1);
  });

  it('chord: two nodes over real UDP, put, get, lookup, leave', async () => {
    const out = await run('chord', "import { createChordNode } from '@p2pkit/chord'");
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^blue \{"host":"127\.0\.0\.1","port":\d+\} [01]$/);
  }, 30_000);

  it('chord: the same code in the simulator', async () => {
    const out = await run('chord', "from '@p2pkit/chord/scenarios'");
    expect(out.length).toBeGreaterThan(0);
  }, 30_000);

  it('bittorrent: a tracker, two announces and a scrape', async () => {
    const out = await run('bittorrent', 'createTrackerClient');
    expect(out[0]).toMatch(
      /^\["http:\/\/127\.0\.0\.1:\d+\/announce","udp:\/\/127\.0\.0\.1:\d+\/announce"\]$/,
    );
    expect(out[1]).toBe('[{"host":"127.0.0.1","port":6881}] 600');
    expect(out[2]).toMatch(/"complete":1,"incomplete":1/);
  });
});
