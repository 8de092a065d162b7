import { describe, expect, it } from 'vitest';
import { runCli as run } from './helpers/cli.js';

const small = ['sim', 'bt', '--peers', '8', '--seeds', '1', '--size', '524288'];

describe('p2pkit sim bt', () => {
  it('--json: completion times, the fluid bound and their ratio, the same for the same seed', async () => {
    const args = [
      ...small,
      '--piece-length',
      '16384',
      '--up',
      '16384,32768',
      '--seed',
      '3',
      '--json',
    ];
    const a = await run(args);
    expect(a.code, a.stderr).toBe(0);
    const result = JSON.parse(a.stdout);
    expect(result.completed).toBe(8);
    expect(result.completionS.min).toBeGreaterThan(0);
    expect(result.completionS.median).toBeGreaterThanOrEqual(result.completionS.min);
    expect(result.completionS.max).toBeGreaterThanOrEqual(result.completionS.median);
    // Bound for these rates: N·F/(u_s + Σu_i) with u_s = 4x the mean upload.
    const mean = (16384 + 32768) / 2;
    expect(result.boundS).toBeCloseTo((8 * 524288) / (4 * mean + 8 * mean), 6);
    expect(result.ratio).toBeCloseTo(result.completionS.max / result.boundS, 9);
    expect(result.ratio).toBeGreaterThanOrEqual(1);
    expect(result.piecesVerified).toBe(8 * 32);
    expect(result.completionsS).toHaveLength(8);
    // The tracker's figures: every peer it holds, and the bytes it holds for them.
    expect(result.tracker.peers).toBe(9);
    expect(result.tracker.stateBytes).toBeGreaterThan(9 * 300);
    expect(result.tracker.peakStateBytes).toBeGreaterThanOrEqual(result.tracker.stateBytes);
    // Off a terminal, progress comes as plain lines on stderr; stdout keeps the one object.
    const b = await run([...args, '--progress-interval', '1ms']);
    expect(JSON.parse(b.stdout).traceHash).toBe(result.traceHash);
    expect(b.stderr).toMatch(
      /^p2pkit sim bt: \d+% of the pieces, \d of 8 leechers done, \d+ s of virtual time$/m,
    );
    expect(b.stderr).not.toContain('\r');
  }, 60_000);

  it('prints a human report, and refuses bad options', async () => {
    const ok = await run([...small, '--seed-up', '131072', '--down', '262144']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/completion \(s\): min [\d.]+ {2}median [\d.]+/);
    expect(ok.stdout).toMatch(/fluid bound: [\d.]+ s/);
    expect(ok.stdout).toMatch(/ratio \(last completion \/ bound\): [\d.]+/);
    const bad = await run([...small, '--up', 'fast']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--up/);
  }, 60_000);
});
