/**
 * `p2pkit sim pastry` as a newcomer meets it: progress lines off a terminal, --quiet, Ctrl-C, a
 * report for people, and one clear line for each bad option.
 */
import { describe, expect, it } from 'vitest';
import { runCli as run, startCli } from './helpers/cli.js';

describe('p2pkit sim pastry, as a user runs it', () => {
  it('progress: plain lines on stderr off a terminal, stdout one JSON object; none with --quiet', async () => {
    const args = ['sim', 'pastry', '--nodes', '60', '--lookups', '300', '--build', 'join'];
    const a = await run([...args, '--json', '--progress-interval', '1ms']);
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).lookups).toBe(300);
    const lines = a.stderr.trimEnd().split('\n');
    expect(lines).toContain('p2pkit sim pastry: joins 60/60 (100%)');
    expect(lines.at(-1)).toBe('p2pkit sim pastry: lookups 300/300 (100%)');
    for (const line of lines) expect(line).toMatch(/^p2pkit sim pastry: (joins|lookups) \d+\/\d+/);
    const quiet = await run([...args, '--quiet', '--progress-interval', '1ms']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toMatch(/lookups {8}300/);
  }, 60_000);

  it('Ctrl-C during the lookups: one line, exit 130, nothing on stdout', async () => {
    const p = startCli([
      ...['sim', 'pastry', '--nodes', '300', '--lookups', '100000000', '--json'],
      ...['--progress-interval', '1ms'],
    ]);
    await p.waitFor(/lookups \d+\/100000000/, 60_000, 'stderr');
    expect(await p.stop('SIGINT')).toBe(130);
    expect(p.stderr().trimEnd().split('\n').at(-1)).toBe(
      'p2pkit sim pastry: interrupted (SIGINT) during the lookups; no result',
    );
    expect(p.stdout()).toBe('');
  }, 90_000);

  it('prints a report for people, and one clear line for each bad option', async () => {
    const ok = await run(['sim', 'pastry', '--nodes', '100', '--lookups', '200']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/hops {11}mean [\d.]+ {2}p50 \d+ {2}p99 \d+ {2}max \d+/);
    expect(ok.stdout).toMatch(/misdeliveries {2}0/);
    for (const [args, option] of [
      [['--nodes', '1'], '--nodes'],
      [['--nodes', 'ten'], '--nodes'],
      [['--nodes', '50', '--leaf-set', '3'], '--leaf-set'],
      [['--nodes', '50', '--b', '9'], '--b'],
      [['--nodes', '50', '--fail', '1.5'], '--fail'],
      [['--nodes', '50', '--build', 'magic'], '--build'],
      [['--nodes', '50', '--progress-interval', 'soon'], '--progress-interval'],
    ] as const) {
      const bad = await run(['sim', 'pastry', ...args]);
      expect(bad.code, args.join(' ')).toBe(1);
      expect(bad.stderr).toContain(option);
      expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    const dead = await run(['sim', 'pastry', '--nodes', '10', '--fail', '0.9']);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toMatch(/^p2pkit: --fail 0.9 leaves fewer than 2 of 10 nodes alive\n$/);
  }, 120_000);
});
