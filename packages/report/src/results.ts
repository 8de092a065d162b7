import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitCommit, type Machine, machine } from './machine.js';

/** What a figure is compared with: the software a user would pick instead, or the paper. */
export interface Peer {
  /** e.g. "aria2c", "node:http", "PeerSim", "paper (ToN Fig. 10)". */
  name: string;
  value: number;
  /** Only when it differs from the figure's unit. */
  unit?: string;
  /** How the peer's figure was obtained (a command, or where in the paper). */
  source?: string;
}

/**
 * A goal on the value or on the ratio to the peer: `{ on: 'ratio', atLeast: 0.9 }` is
 * "at least 0.9× the peer"; both bounds give a range (a paper figure with its tolerance).
 */
export interface Goal {
  on: 'value' | 'ratio';
  atLeast?: number;
  atMost?: number;
  /** Where the goal comes from (an issue, the spec sheet's tolerance). */
  source?: string;
}

/** One measured figure: the row of the tables `pnpm bench` and `pnpm experiments` print. */
export interface Figure {
  /** What was measured, in words: "lookups per second, 10^5 nodes". */
  figure: string;
  value: number;
  /** "lookups/s", "MiB/s", "hops", "bytes per host", "fraction". */
  unit: string;
  /** Which way is better (for reading a ratio). */
  better?: 'higher' | 'lower';
  peer?: Peer;
  /** value / peer.value; filled in by writeResult when a peer is given. */
  ratio?: number;
  goal?: Goal;
  /** Whether the goal is met; filled in by writeResult when a goal is given. */
  met?: boolean;
  /** When set, the figure goes into the root README's headline table under this text. */
  headline?: string;
  note?: string;
}

/** What a benchmark or an experiment hands to writeResult. */
export interface ResultInput {
  /** File name stem: results/<name>.json. Lowercase words and dashes. */
  name: string;
  kind: 'bench' | 'experiment';
  /** The command that reproduces it, from the repository root. */
  command: string;
  /** Sizes, seeds, flags, `quick`: whatever a reader needs to compare two runs. */
  conditions: Record<string, unknown>;
  figures: Figure[];
  /** The 1-minute load average taken before the run (see loadNow()). */
  loadAtStart?: number;
  /** Raw data the report was drawn from, so that a reader can re-plot it. */
  data?: unknown;
  /** The HTML report beside it, when there is one (relative to results/). */
  report?: string;
  /** Only when converting a run recorded earlier: its date and commit (default: now, HEAD). */
  date?: string;
  commit?: string;
  machine?: Machine;
}

/** The JSON written to `packages/<pkg>/results/<name>.json`. */
export interface Result {
  name: string;
  package: string;
  kind: 'bench' | 'experiment';
  date: string;
  commit: string;
  command: string;
  machine: Machine;
  conditions: Record<string, unknown>;
  figures: Figure[];
  report?: string;
  data?: unknown;
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/** A package folder as a path: accepts a path, a file: URL, or `new URL('..', import.meta.url)`. */
export function toPath(dir: string | URL): string {
  return typeof dir === 'string' ? dir : fileURLToPath(dir);
}

/** Computes ratio and met for each figure (what writeResult stores). */
export function completeFigure(f: Figure): Figure {
  const out: Figure = { ...f };
  if (f.peer && f.ratio === undefined && f.peer.value !== 0) out.ratio = f.value / f.peer.value;
  if (f.goal) {
    const x = f.goal.on === 'ratio' ? out.ratio : f.value;
    out.met =
      x !== undefined &&
      Number.isFinite(x) &&
      (f.goal.atLeast === undefined || x >= f.goal.atLeast) &&
      (f.goal.atMost === undefined || x <= f.goal.atMost);
  }
  return out;
}

/**
 * Writes `<packageDir>/results/<name>.json` with the date, commit, machine and package name
 * filled in, and returns what it wrote.
 */
export function writeResult(packageDir: string | URL, input: ResultInput): Result {
  if (!NAME.test(input.name)) throw new Error(`result name must match ${NAME}: ${input.name}`);
  const dir = toPath(packageDir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string };
  const result: Result = {
    name: input.name,
    package: pkg.name,
    kind: input.kind,
    date: input.date ?? new Date().toISOString(),
    commit: input.commit ?? gitCommit(dir),
    command: input.command,
    machine: input.machine ?? machine(input.loadAtStart),
    conditions: input.conditions,
    figures: input.figures.map(completeFigure),
    ...(input.report ? { report: input.report } : {}),
    ...(input.data !== undefined ? { data: input.data } : {}),
  };
  mkdirSync(join(dir, 'results'), { recursive: true });
  writeFileSync(join(dir, 'results', `${input.name}.json`), `${JSON.stringify(result, null, 1)}\n`);
  return result;
}

/** Reads one results file (undefined when it does not exist). */
export function readResult(packageDir: string | URL, name: string): Result | undefined {
  const file = join(toPath(packageDir), 'results', `${name}.json`);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Result;
}

/** Every `packages/<pkg>/results/*.json` under the repository root, by package then name. */
export function readAllResults(root: string | URL, kind?: Result['kind']): Result[] {
  const packages = join(toPath(root), 'packages');
  const out: Result[] = [];
  for (const pkg of readdirSync(packages).sort()) {
    const dir = join(packages, pkg, 'results');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.json')) continue;
      const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Partial<Result>;
      // Only files in this convention (a package may keep other JSON beside them).
      if (!Array.isArray(parsed.figures) || typeof parsed.kind !== 'string') continue;
      if (parsed.name !== basename(file, '.json')) continue;
      if (kind === undefined || parsed.kind === kind) out.push(parsed as Result);
    }
  }
  return out;
}
