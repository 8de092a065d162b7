/**
 * `p2pkit compare` as a user runs it: one workload through every protocol, each row equal to
 * what that protocol's own `p2pkit sim <protocol> --json` prints for the same seed (one source
 * of truth), progress on stderr, bad values refused in one line, sizes a protocol cannot hold
 * named with the reason.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'p2pkit-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Wall-clock figures differ between two runs of the same seed; everything else must not. */
const TIMING = new Set(['wallMs', 'setupMs', 'eventsPerSec', 'lookupsPerSec', 'wallS']);

function withoutTiming(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTiming);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !TIMING.has(k))
        .map(([k, v]) => [k, withoutTiming(v)]),
    );
  }
  return value;
}

interface Row {
  protocol: string;
  nodes: number;
  command: string;
  sim: Record<string, unknown>;
  hops: { mean: number } | null;
  successRate: number | null;
  fault: { command: string; crashed: number; success: number } | null;
  server: { entries: number | null; bytes: number | null } | null;
  memory: { entries: number | null };
  messagesPerLookup: number | null;
  swarm: { completionS: { mean: number }; boundS: number } | null;
  locality: number | null;
}

/** How many nodes the fault phase crashed, as each protocol's own JSON names it. */
function crashedOf(json: Record<string, unknown>): unknown {
  const churn = json.churn as { crashed?: number } | undefined;
  return json.failed ?? json.crashed ?? churn?.crashed;
}

async function simJson(command: string): Promise<Record<string, unknown>> {
  const args = command.split(' ');
  expect(args.slice(0, 2)).toEqual(['p2pkit', 'sim']);
  const r = await runCli(args.slice(1), { cwd: dir });
  expect(r.code, `${command}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/**
 * BitTorrent's row against its own run: the tracker holds every peer (N leechers and the seed),
 * each peer's connections stay within the session's 50, finding peers costs a few tracker
 * datagrams (BEP 15 connect + announce, both ways) and the swarm figures are the run's.
 */
function checkSwarmRow(row: Row, own: Record<string, unknown>): void {
  expect(row.server?.entries, 'tracker peers').toBe(row.nodes + 1);
  // The tracker's state is its own figure (sim bt --json), a few hundred bytes per peer.
  const tracker = own.tracker as { peers: number; stateBytes: number };
  expect(row.server?.entries).toBe(tracker.peers);
  expect(row.server?.bytes).toBe(tracker.stateBytes);
  expect(row.server?.bytes).toBeGreaterThan(100 * (row.nodes + 1));
  expect(row.memory.entries).toBeGreaterThan(0);
  expect(row.memory.entries).toBeLessThanOrEqual(50);
  expect(row.messagesPerLookup).toBeGreaterThanOrEqual(4);
  expect(row.messagesPerLookup).toBeLessThan(20);
  const completion = own.completionS as { mean: number };
  expect(row.swarm?.completionS.mean).toBeCloseTo(completion.mean, 9);
  expect(row.swarm?.boundS).toBe(own.boundS);
  expect(row.successRate).toBe(1);
  expect(row.hops).toBeNull();
}

describe('p2pkit compare', () => {
  it('gives every protocol the same workload; each row is its own `sim --json` for the same seed', async () => {
    const r = await runCli(
      ['compare', '--nodes', '20,40', '--lookups', '20', '--fail', '0.2', '--seed', '7', '--json'],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    // Progress on stderr (plain lines in a pipe), naming the protocol and N, with an ETA.
    expect(r.stderr).toMatch(/p2pkit compare: \w+ N=\d+ .*ETA/);
    expect(r.stderr).toMatch(/p2pkit compare: \d+ runs in /);
    const result = JSON.parse(r.stdout) as {
      protocols: string[];
      workload: { nodes: number[]; lookups: number; seed: number };
      rows: Row[];
      unavailable: Record<string, string>;
      fits: Array<{ protocol: string; cost: string; slope: number }>;
    };
    expect(result.protocols).toEqual([
      'napster',
      'gnutella',
      'fasttrack',
      'chord',
      'pastry',
      'kelips',
      'bittorrent',
    ]);
    expect(result.workload).toMatchObject({ nodes: [20, 40], lookups: 20, seed: 7 });
    expect(result.rows.map((row) => `${row.protocol}@${row.nodes}`)).toEqual(
      result.protocols.flatMap((p) => [`${p}@20`, `${p}@40`]),
    );
    expect(result.unavailable).toEqual({});
    // The larger N of every protocol, checked against its own command (CI time: one N is enough).
    const checkRow = async (row: Row) => {
      // Same seed, same command: the protocol's own simulation gives the same figures.
      expect(row.command).toContain('--seed 7');
      const own = await simJson(row.command);
      if (row.protocol === 'bittorrent') {
        // sim bt --json names the completions completionsS and summarizes the upload rates.
        const { completions, ...figures } = withoutTiming(row.sim) as Record<string, unknown>;
        const printed = withoutTiming(own) as Record<string, unknown>;
        for (const [key, value] of Object.entries(figures))
          expect(printed[key], `${row.command}: ${key}`).toEqual(value);
        expect(printed.completionsS, row.command).toEqual(completions);
        checkSwarmRow(row, printed);
      } else {
        expect(withoutTiming(own), row.command).toEqual(withoutTiming(row.sim));
      }
      expect(row.successRate, row.command).toBeGreaterThan(0);
      if (row.protocol === 'pastry') {
        // Locality is sim pastry --locality's own ratio, route latency over direct latency.
        const own = await simJson(
          `p2pkit sim pastry --nodes ${row.nodes} --lookups 20 --keys random --locality --seed 7 --json`,
        );
        expect(row.locality).toBe(own.relativeDistance);
        expect(row.locality).toBeGreaterThanOrEqual(1);
      }
      if (row.fault) {
        const crashed = await simJson(row.fault.command);
        expect(crashedOf(crashed), row.fault.command).toBe(row.fault.crashed);
        // FastTrack crashes a fraction of its supernodes: at N = 40 that is 10 % of one.
        if (row.protocol !== 'fasttrack') expect(row.fault.crashed).toBeGreaterThan(0);
      }
    };
    // Two at a time (the machine's cores in CI), not all seven: the other test files run too.
    const rows = result.rows.filter((x) => x.nodes === 40);
    for (let i = 0; i < rows.length; i += 2) await Promise.all(rows.slice(i, i + 2).map(checkRow));
    // Every protocol has a fitted slope for at least one cost (two N).
    for (const p of result.protocols) expect(result.fits.some((f) => f.protocol === p)).toBe(true);
  }, 240_000);

  it('prints the table on the terminal: costs, concerns, fitted growth beside the lecture', async () => {
    const r = await runCli(
      ['compare', '--protocols', 'chord,napster', '--nodes', '20,40', '--lookups', '20', '--quiet'],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^protocol +N +entries\/node/m);
    expect(r.stdout).toMatch(/^chord +20 /m);
    expect(r.stdout).toMatch(/^napster +40 /m);
    expect(r.stdout).toMatch(/Fitted growth/);
    expect(r.stdout).toMatch(/^chord +lookup hops \(mean\) +[\d.-]+ +O\(/m);
  });

  it('names the protocols that cannot hold --nodes 100000, and why', async () => {
    const r = await runCli(['compare', '--protocols', 'kelips,gnutella,bt', '--nodes', '100000'], {
      cwd: dir,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/kelips at N = 100000 skipped: cannot hold N = 100000 .*gossip/);
    expect(r.stderr).toMatch(/gnutella at N = 100000 skipped: cannot hold N = 100000 .*flood/);
    expect(r.stderr).toMatch(
      /bittorrent at N = 100000 skipped: cannot hold N = 100000 .*CPU-seconds/,
    );
    expect(r.stderr).toMatch(/nothing left to run/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses bad values in one line, before running anything', async () => {
    writeFileSync(join(dir, 'file.txt'), 'not a folder\n');
    for (const [args, pattern] of [
      [['--protocols', 'chord,kademlia'], /unknown protocol kademlia/],
      [['--nodes', '100,abc'], /comma list of node counts/],
      [['--nodes', '0'], /comma list of node counts/],
      [['--fail', '1.5'], /fraction in \[0, 1\)/],
      [['--lookups', '0'], /integer in 1\.\./],
      [['--out', join(dir, 'missing', 'report.html')], /cannot write .*: no such folder .*missing/],
      [['--out', join(dir, 'file.txt', 'report.html')], /cannot write .*file\.txt is not a folder/],
      [['--jobs', '0'], /integer in 1\.\./],
      [['--save', dir], /--save .*: not a package folder \(no package\.json\)/],
    ] as const) {
      const r = await runCli(['compare', ...args], { cwd: dir });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')[0], args.join(' ')).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });

  it('stops on Ctrl-C in one line, exit 130, without writing the report (--jobs 1)', async () => {
    const out = join(dir, 'interrupted.html');
    // In this thread, the run stops at its next step (Kelips' setup is one long step).
    const p = startCli(
      ['compare', '--protocols', 'kelips', '--nodes', '1000', '--jobs', '1', '--out', out],
      { cwd: dir },
    );
    await p.waitFor(/p2pkit compare: kelips N=1000/, 30_000, 'stderr');
    expect(await p.stop('SIGINT')).toBe(130);
    expect(p.stderr()).toMatch(
      /^p2pkit compare: interrupted \(SIGINT\) during kelips N=1000; nothing written$/m,
    );
    expect(p.stderr()).not.toMatch(/\n\s+at /);
    expect(p.stdout()).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('stops runs on worker threads on Ctrl-C at once, in one line', async () => {
    const out = join(dir, 'interrupted-parallel.html');
    // Two runs at once, each a minute's work: only ending the workers ends the command soon.
    const p = startCli(
      ['compare', '--protocols', 'kelips,gnutella', '--nodes', '3000', '--jobs', '2', '--out', out],
      { cwd: dir },
    );
    await p.waitFor(/p2pkit compare: kelips N=3000, gnutella N=3000/, 30_000, 'stderr');
    expect(await p.stop('SIGINT')).toBe(130);
    expect(p.stderr()).toMatch(
      /^p2pkit compare: interrupted \(SIGINT\) during kelips N=3000, gnutella N=3000; nothing written$/m,
    );
    expect(p.stderr()).not.toMatch(/\n\s+at /);
    expect(p.stdout()).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});
