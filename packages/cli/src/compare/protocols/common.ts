/** Small pieces every protocol adapter uses. */
import type { Row, Stat, Workload } from '../types.js';

/** `p2pkit sim <protocol> <flags> --json`, flags in the order given (undefined ones left out). */
export function simCommand(
  protocol: string,
  flags: Record<string, string | number | boolean | undefined>,
): string {
  const parts = ['p2pkit', 'sim', protocol];
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined || value === false) continue;
    parts.push(value === true ? `--${name}` : `--${name} ${value}`);
  }
  parts.push('--json');
  return parts.join(' ');
}

/** A row with nothing measured yet. */
export function emptyRow(protocol: string, workload: Workload, command: string): Row {
  return {
    protocol,
    nodes: workload.nodes,
    memory: { entries: null, bytes: null },
    server: null,
    hops: null,
    latencyMs: null,
    messagesPerLookup: null,
    bytesPerLookup: null,
    successRate: null,
    loadBalance: null,
    fault: null,
    locality: null,
    swarm: null,
    maintenance: { atRest: null, underChurn: null },
    command,
    sim: undefined,
    notes: [],
    wallMs: 0,
  };
}

/** Mean, p50 and p99 of a summary that has them. */
export function stat(s: { mean: number; p50: number; p99: number }): Stat {
  return { mean: s.mean, p50: s.p50, p99: s.p99 };
}

/** Progress of a row's phases: phase i of n, and how far it is (0..1). */
export function phases(
  n: number,
  onProgress: (fraction: number) => void,
): (i: number) => (done: number, total: number) => void {
  return (i) => (done, total) => onProgress((i + (total > 0 ? done / total : 1)) / n);
}
