/**
 * `p2pkit sim pastry` as a user runs it: the JSON contract, determinism, failures, locality,
 * and one clear line for each bad option.
 */
import { describe, expect, it } from 'vitest';
import { runCli as run, startCli } from './helpers/cli.js';

describe('p2pkit sim pastry', () => {
  it('--json: the contract fields, every lookup accounted for, the same for the same seed', async () => {
    const args = ['sim', 'pastry', '--nodes', '400', '--lookups', '3000', '--seed', '7', '--json'];
    const a = await run(args);
    expect(a.code, a.stderr).toBe(0);
    const r = JSON.parse(a.stdout);
    for (const field of [
      'nodes',
      'lookups',
      'misdeliveries',
      'failedLookups',
      'simulatedMs',
      'wallMs',
      'lookupsPerSec',
      'seed',
    ]) {
      expect(typeof r[field], field).toBe('number');
    }
    expect(r.nodes).toBe(400);
    expect(r.lookups).toBe(3000);
    expect(r.seed).toBe(7);
    expect(r.misdeliveries).toBe(0);
    expect(r.failedLookups).toBe(0);
    const histogram: number[] = r.hops.histogram;
    expect(histogram.reduce((x, y) => x + y, 0)).toBe(3000);
    // Source and destination differ: a route takes at least one hop (paper §5.1).
    expect(histogram[0]).toBe(0);
    // Within the paper's bound ⌈log16 N⌉ + 1, and the mean near log16 N.
    expect(r.hops.max).toBeLessThanOrEqual(Math.ceil(Math.log(400) / Math.log(16)) + 1);
    expect(r.hops.max).toBe(histogram.length - 1);
    expect(r.hops.mean).toBeGreaterThan(1.6);
    expect(r.hops.mean).toBeLessThan(2.6);
    expect(r.hops.p50).toBeLessThanOrEqual(r.hops.p99);
    // State per node (for p2pkit compare): distinct peers known, at least the full leaf set and
    // at most table + leaf set + neighbourhood set; each takes at least an id (16 bytes) and an
    // IPv4 address in the wire format (PROTOCOL.md, "Peer").
    expect(r.state.leafSet).toBe(16);
    expect(r.state.entries).toBeGreaterThanOrEqual(r.state.leafSet);
    expect(r.state.entries).toBeLessThanOrEqual(r.state.tableEntries + r.state.leafSet + 32);
    expect(r.state.bytes).toBeGreaterThanOrEqual(r.state.entries * (16 + 1 + 4 + 2));
    // No failures: one datagram per forwarding plus the answer back to the source.
    expect(r.messagesPerLookup).toBeCloseTo(r.hops.mean + 1, 6);
    expect(r.bytesPerLookup).toBeGreaterThan(r.messagesPerLookup * 16);
    const b = await run(args);
    expect(JSON.parse(b.stdout).hops).toEqual(r.hops);
  }, 120_000);

  it('--fail: crashed nodes are routed around, no lookup misdelivered', async () => {
    const a = await run([
      'sim',
      'pastry',
      '--nodes',
      '300',
      '--lookups',
      '2000',
      '--fail',
      '0.1',
      '--json',
    ]);
    expect(a.code, a.stderr).toBe(0);
    const r = JSON.parse(a.stdout);
    expect(r.failed).toBeGreaterThan(10);
    expect(r.reroutes).toBeGreaterThan(0);
    expect(r.misdeliveries).toBe(0);
    expect(r.failedLookups).toBe(0);
  }, 120_000);

  it('--locality: an overlay built by proximity-aware joins reports route/direct latency', async () => {
    const a = await run([
      'sim',
      'pastry',
      '--nodes',
      '150',
      '--lookups',
      '500',
      '--locality',
      '--json',
    ]);
    expect(a.code, a.stderr).toBe(0);
    const r = JSON.parse(a.stdout);
    expect(r.build).toBe('join');
    expect(r.misdeliveries).toBe(0);
    expect(r.relativeDistance).toBeGreaterThan(1);
    expect(r.relativeDistance).toBeLessThan(3);
  }, 120_000);

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
