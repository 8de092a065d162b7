/**
 * Runs the comparison: every protocol at every N on the same workload, one after the other
 * (one simulation at a time: they are CPU-bound), then fits each cost's growth.
 */
import { createRequire } from 'node:module';
import { version } from '../version.js';
import { type Fit, fitProtocol } from './fit.js';
import { ADAPTERS, NOT_YET } from './protocols/index.js';
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
  /** Which protocol and N runs, how far the whole comparison is (0..1), and the ETA in seconds. */
  onProgress?: (p: {
    protocol: string;
    nodes: number;
    fraction: number;
    etaSeconds?: number;
  }) => void;
  /** A protocol skipped at some N, and why. */
  onSkip?: (skip: Skipped) => void;
  /** Stops the comparison between two runs (a simulation itself runs to its end). */
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
  wallMs: number;
}

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function adapter(name: string): ProtocolAdapter {
  const a = ADAPTERS.find((x) => x.name === name);
  if (!a) throw new Error(`unknown protocol ${name}`);
  return a;
}

export async function runComparison(options: CompareOptions): Promise<CompareResult> {
  const wall0 = performance.now();
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
  let doneEstimate = 0;
  const rows: Row[] = [];
  for (const step of plan) {
    options.signal?.throwIfAborted();
    const started = performance.now();
    const report = (fraction: number) => {
      const done = doneEstimate + step.estimate * Math.min(1, Math.max(0, fraction));
      const elapsed = (performance.now() - wall0) / 1000;
      // The estimates are relative costs: scale them by how fast this machine went so far.
      const eta = done > 0 && elapsed > 1 ? ((total - done) * elapsed) / done : undefined;
      options.onProgress?.({
        protocol: step.adapter.name,
        nodes: step.workload.nodes,
        fraction: total > 0 ? done / total : 1,
        ...(eta !== undefined ? { etaSeconds: eta } : {}),
      });
    };
    report(0);
    const row = await step.adapter.run(step.workload, report);
    row.wallMs = Math.round(performance.now() - started);
    rows.push(row);
    doneEstimate += step.estimate;
    report(0);
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
    wallMs: Math.round(performance.now() - wall0),
  };
}
