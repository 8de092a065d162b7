/**
 * The real programs interop tests run against (aria2c, Transmission, qBittorrent, opentracker).
 * Where one is missing, its tests are skipped on a developer's machine; in CI (`CI` set, as
 * .ci/run does) a missing tool is a failing test, never a silent skip.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

/** The program's path on PATH (or in /usr/bin, /usr/local/bin), or undefined. */
export function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

const inCi = () => {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
};

/**
 * `describe(title, body)` when every tool is installed; otherwise a skip, or in CI one failing
 * test that names what is missing.
 */
export function describeWithTools(
  title: string,
  tools: Record<string, string | undefined>,
  body: () => void,
): void {
  const missing = Object.entries(tools)
    .filter(([, path]) => path === undefined)
    .map(([name]) => name);
  if (missing.length === 0) {
    describe(title, body);
  } else if (inCi()) {
    describe(title, () => {
      it(`needs ${missing.join(', ')} (CI installs them: .ci/run)`, () => {
        throw new Error(`${missing.join(', ')} not installed: a missing tool fails in CI`);
      });
    });
  } else {
    describe.skip(`${title} (${missing.join(', ')} not installed)`, body);
  }
}

/** `it(title, fn)` when every tool is installed; otherwise skipped, or failing in CI. */
export function itWithTools(
  title: string,
  tools: Record<string, string | undefined>,
  fn: () => Promise<void> | void,
  timeoutMs?: number,
): void {
  const missing = Object.entries(tools)
    .filter(([, path]) => path === undefined)
    .map(([name]) => name);
  if (missing.length === 0) it(title, fn, timeoutMs);
  else if (inCi())
    it(`${title} (needs ${missing.join(', ')})`, () => {
      throw new Error(`${missing.join(', ')} not installed: a missing tool fails in CI`);
    });
  else it.skip(`${title} (${missing.join(', ')} not installed)`, fn);
}
