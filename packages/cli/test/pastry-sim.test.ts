/**
 * `p2pkit sim pastry` as a user runs it: the JSON contract, determinism, failures, locality
 * (progress, Ctrl-C and bad options: pastry-sim-usage.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { runCli as run } from './helpers/cli.js';

/** `sim pastry --json` on 300 nodes and 2,000 lookups, with more options. */
const small = (...options: string[]) =>
  run(['sim', 'pastry', '--nodes', '300', '--lookups', '2000', ...options, '--json']);

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
    // Zero delay by default: every lookup takes 0 simulated ms.
    expect(r.latencyMs).toEqual({ mean: 0, p50: 0, p99: 0 });
    const b = await run(args);
    expect(JSON.parse(b.stdout).hops).toEqual(r.hops);
  }, 120_000);

  it('--latency: latencyMs is (hops + 1) one-way delays, the answer trip included', async () => {
    const a = await small('--latency', '7');
    expect(a.code, a.stderr).toBe(0);
    const r = JSON.parse(a.stdout);
    expect(r.latencyMs.mean).toBeCloseTo(7 * (r.hops.mean + 1), 6);
    expect(r.latencyMs.p50).toBe(7 * (r.hops.p50 + 1));
    expect(r.latencyMs.p99).toBe(7 * (r.hops.p99 + 1));
    expect(r.misdeliveries).toBe(0);
  }, 60_000);

  it('--fail: crashed nodes are routed around, no lookup misdelivered', async () => {
    const a = await small('--fail', '0.1');
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
});
