/**
 * The shell examples of the READMEs, run as written: each ```sh block of the CLI's and
 * BitTorrent's README is one bash script (`-e -o pipefail`), run from an empty folder inside the
 * checkout (so `pnpm p2pkit` finds the workspace's bin, as from the repository root) and must
 * exit 0 within its deadline. Two things differ from a user's terminal, on purpose: the fixed
 * ports of the examples (6969, 6881, 4000..4002) become free ports (tests never bind a fixed
 * port), and the setup lines (`pnpm install && pnpm build`, `npm install ...`) are not repeated
 * (the tests run after them). The tour is run by tour.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const packages = fileURLToPath(new URL('../../', import.meta.url));
/** Inside the checkout (git-ignored `tmp/`): `pnpm p2pkit` resolves there. */
const scratch = fileURLToPath(new URL('../tmp/readme-commands/', import.meta.url));
const EXAMPLE_PORTS = ['6969', '6881', '4000', '4001', '4002'];
/** Setup lines: installing the packages is what the test environment has done already. */
const SETUP = /^(pnpm install && pnpm build|npm install .*)$/;

async function shBlocks(readme: string): Promise<string[]> {
  const text = await readFile(join(packages, readme), 'utf8');
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The block with the examples' ports replaced, consistently, by free ones. */
async function withFreePorts(block: string): Promise<string> {
  let script = block;
  for (const port of EXAMPLE_PORTS) {
    if (!new RegExp(`\\b${port}\\b`).test(script)) continue;
    script = script.replace(new RegExp(`\\b${port}\\b`, 'g'), String(await freePort()));
  }
  return script;
}

function bash(script: string, cwd: string, ms: number) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n(killed after ${ms} ms)`;
      // The whole group: background jobs of the example too.
      process.kill(-child.pid!, 'SIGKILL');
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('README shell examples', () => {
  it.concurrent.each(['cli/README.md', 'bittorrent/README.md'])(
    '%s: each ```sh block runs as written and exits 0',
    async (readme) => {
      const blocks = await shBlocks(readme);
      expect(blocks.length).toBeGreaterThan(0);
      await mkdir(scratch, { recursive: true });
      const runs = await Promise.all(
        blocks.map(async (block) => {
          const lines = block.split('\n').filter((line) => !SETUP.test(line.trim()));
          const cwd = await mkdtemp(join(scratch, 'block-'));
          return { block, ...(await bash(await withFreePorts(lines.join('\n')), cwd, 90_000)) };
        }),
      );
      for (const run of runs) expect(run.code, `${run.block}\n---\n${run.output}`).toBe(0);
      if (readme === 'cli/README.md') {
        const chord = runs.find((r) => r.block.includes('chord put'))!;
        expect(chord.output).toMatch(/^blue$/m);
        const bt = runs.find((r) => r.block.includes('bt seed'))!;
        expect(bt.output).toMatch(/complete, every piece verified/);
        expect(bt.output).toMatch(/"type":"result","status":"complete"/);
      }
    },
    120_000,
  );
});
