import { execFileSync } from 'node:child_process';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';

/** The machine a figure was measured on: a ratio is only comparable on one machine. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** 1-minute load average when the run started and when it ended (others' work slows a run). */
  loadAverage: [number, number];
}

/** Describes this machine; pass the load average taken when the run started. */
export function machine(loadAtStart: number = loadavg()[0] ?? 0): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()}`,
    loadAverage: [round2(loadAtStart), round2(loadavg()[0] ?? 0)],
  };
}

/** The current load average (1 minute): take it before a run and hand it to machine(). */
export function loadNow(): number {
  return loadavg()[0] ?? 0;
}

/**
 * The short commit hash of `cwd`'s checkout, with `+dirty` when tracked files under `cwd` differ
 * (other than its results/ and README.md); 'unknown' outside git.
 */
export function gitCommit(cwd: string = process.cwd()): string {
  try {
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    // What a run writes itself (its results, the README tables made from them) does not make
    // the code it measured dirty: a second run in the same clone stays at the plain commit.
    const dirty = execFileSync(
      'git',
      [
        'status',
        '--porcelain',
        '--untracked-files=no',
        '--',
        '.',
        ':(exclude)results',
        ':(exclude)README.md',
      ],
      { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    ).trim();
    return dirty ? `${hash}+dirty` : hash;
  } catch {
    return 'unknown';
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
