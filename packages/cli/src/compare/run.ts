/**
 * Runs the comparison: every protocol at every N on the same workload, one after the other or
 * on worker threads (one simulation per core: they are CPU-bound), then fits each cost's growth.
 */
import { createRequire } from 'node:module';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { version } from '../version.js';
import { type Fit, fitProtocol } from './fit.js';
import { JobError, runPool } from './pool.js';
import { adapter, NOT_YET } from './protocols/index.js';
import type { ProtocolAdapter, Row, Workload } from './types.js';

export interface CompareOptions {
  protocols: readonly string[];
  nodes: readonly number[];
  lookups: number;
  itemsPerNode: number;
  latencyMs: number;
  fail: number;
  churn: number;
  seed: number;
  /** Route / direct latency where it costs a separate run (default: measured). */
  locality?: boolean;
  /**
   * Runs at once: 1 runs them one after the other in this thread; more runs each (protocol, N)
   * on a worker thread of its own, longest first, this many at a time (default 1).
   */
  jobs?: number;
  /**
   * Which protocol and N reported, every run in progress (`kelips N=1000`), how far the whole
   * comparison is (0..1), and the ETA in seconds.
   */
  onProgress?: (p: {
    protocol: string;
    nodes: number;
    running: string[];
    fraction: number;
    etaSeconds?: number;
  }) => void;
  /** A protocol skipped at some N, and why. */
  onSkip?: (skip: Skipped) => void;
  /** Stops the comparison: between two runs in this thread; at once on worker threads. */
  signal?: AbortSignal;
}

export interface Skipped {
  protocol: string;
  nodes: number;
  reason: string;
}

export interface CompareResult {
  /** The workload every protocol ran, except `nodes` (one run per N). */
  workload: Omit<Workload, 'nodes' | 'items'> & { itemsPerNode: number; nodes: number[] };
  protocols: string[];
  rows: Row[];
  fits: Fit[];
  skipped: Skipped[];
  /** Protocols of p2pkit compare cannot run yet, and why (no row is made up for them). */
  unavailable: Record<string, string>;
  /** Package versions of every protocol compared, and of the cli. */
  versions: Record<string, string>;
  /** Runs at once (1: one after the other in the caller's thread; more: on worker threads). */
  jobs: number;
  wallMs: number;
  /** CPU time of the whole process (every worker thread included), ms. */
  cpuMs: number;
}

const require = createRequire(import.meta.url);

/**
 * A worker's young generation, MiB: the simulators keep every message in flight, which outlives
 * V8's default 16 MiB semi-spaces; `p2pkit sim` gets --max-semi-space-size=128 for the same
 * reason (bin.ts). A young generation is three semi-spaces' worth.
 */
const YOUNG_GENERATION_MB = 3 * 128;

/**
 * A worker's heap limit, MiB: three quarters of the machine's memory shared by the workers, as
 * `p2pkit sim` takes three quarters for its one simulation (bin.ts), but never below V8's own
 * default (10^6 Chord nodes, ~7 KB each, exceed that default's ~4 GiB).
 */
function heapLimitMb(workers: number): number {
  const share = Math.floor((totalmem() / 2 ** 20) * (0.75 / workers));
  return Math.max(share, Math.ceil(getHeapStatistics().heap_size_limit / 2 ** 20));
}

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

export async function runComparison(options: CompareOptions): Promise<CompareResult> {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const adapters = options.protocols.map(adapter);
  const workloadAt = (n: number): Workload => ({
    nodes: n,
    items: n * options.itemsPerNode,
    lookups: options.lookups,
    latencyMs: options.latencyMs,
    fail: options.fail,
    churn: options.churn,
    locality: options.locality ?? true,
    seed: options.seed,
  });
  const skipped: Skipped[] = [];
  const plan: Array<{ adapter: ProtocolAdapter; workload: Workload; estimate: number }> = [];
  for (const a of adapters) {
    for (const n of options.nodes) {
      if (n > a.maxNodes || n < a.minNodes) {
        const reason =
          n > a.maxNodes
            ? `cannot hold N = ${n} (at most ${a.maxNodes}): ${a.maxNodesReason}`
            : `needs N ≥ ${a.minNodes}`;
        const skip = { protocol: a.name, nodes: n, reason };
        skipped.push(skip);
        options.onSkip?.(skip);
        continue;
      }
      const workload = workloadAt(n);
      plan.push({ adapter: a, workload, estimate: a.estimateSeconds(workload) });
    }
  }
  const total = plan.reduce((s, p) => s + p.estimate, 0);
  // How far each run is (0..1) and which are running, for the progress line and its ETA.
  const progress = plan.map(() => 0);
  const running = new Set<number>();
  const labelOf = (i: number) => `${plan[i]?.adapter.name} N=${plan[i]?.workload.nodes}`;
  const report = (i: number) => {
    const done = plan.reduce((s, p, j) => s + p.estimate * (progress[j] ?? 0), 0);
    const elapsed = (performance.now() - wall0) / 1000;
    // The estimates are relative costs: scale them by how fast this machine went so far (with
    // every worker busy; longest first, they end at about one time). Not before 3 % is done:
    // the first progress of a long run says little about its speed.
    const eta = done >= 0.03 * total && elapsed > 1 ? ((total - done) * elapsed) / done : undefined;
    const step = plan[i] as (typeof plan)[number];
    options.onProgress?.({
      protocol: step.adapter.name,
      nodes: step.workload.nodes,
      running: [...running].sort((a, b) => a - b).map(labelOf),
      fraction: total > 0 ? done / total : 1,
      ...(eta !== undefined ? { etaSeconds: eta } : {}),
    });
  };
  const setProgress = (i: number, fraction: number) => {
    progress[i] = Math.min(1, Math.max(progress[i] ?? 0, fraction));
    report(i);
  };
  let rows: Row[];
  // On worker threads even a single run, when asked for: a worker ends at once when stopped,
  // where a simulation in this thread only notices between two of its steps.
  const jobs = options.jobs ?? 1;
  if (jobs > 1 && plan.length > 0) {
    rows = await runPool<{ protocol: string; workload: Workload }, Row>(
      plan.map((p, i) => ({
        data: { protocol: p.adapter.name, workload: p.workload },
        estimate: p.estimate,
        label: labelOf(i),
      })),
      {
        script: new URL('./compare-worker.js', import.meta.url),
        workers: Math.min(jobs, plan.length),
        resourceLimits: {
          maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
          maxOldGenerationSizeMb: heapLimitMb(Math.min(jobs, plan.length)),
        },
        onStart: (i) => {
          running.add(i);
          report(i);
        },
        onProgress: setProgress,
        onDone: (i) => {
          running.delete(i);
          setProgress(i, 1);
        },
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  } else {
    rows = [];
    for (const [i, step] of plan.entries()) {
      options.signal?.throwIfAborted();
      const started = performance.now();
      running.add(i);
      report(i);
      const row = await step.adapter
        .run(step.workload, (f) => setProgress(i, f))
        .catch((error: unknown) => {
          throw new JobError(labelOf(i), error instanceof Error ? error.message : String(error));
        });
      row.wallMs = Math.round(performance.now() - started);
      rows.push(row);
      running.delete(i);
      setProgress(i, 1);
    }
  }
  const fits = adapters.flatMap((a) =>
    fitProtocol(
      a.name,
      rows.filter((r) => r.protocol === a.name),
      a.lecture,
    ),
  );
  const versions: Record<string, string> = { '@p2pkit/cli': version };
  for (const a of adapters) versions[`@p2pkit/${a.name}`] = versionOf(`@p2pkit/${a.name}`);
  return {
    workload: {
      nodes: [...options.nodes],
      itemsPerNode: options.itemsPerNode,
      lookups: options.lookups,
      latencyMs: options.latencyMs,
      fail: options.fail,
      churn: options.churn,
      locality: options.locality ?? true,
      seed: options.seed,
    },
    protocols: adapters.map((a) => a.name),
    rows,
    fits,
    skipped,
    unavailable: { ...NOT_YET },
    versions,
    jobs: jobs > 1 && plan.length > 0 ? Math.min(jobs, plan.length) : 1,
    wallMs: Math.round(performance.now() - wall0),
    cpuMs: Math.round(cpuMs(process.cpuUsage(cpu0))),
  };
}
