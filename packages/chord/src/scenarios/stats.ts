/**
 * Summaries for scenarios, experiments and the CLI, on the simulator's Distribution (one
 * percentile rule in the whole project: nearest rank).
 */
import { Distribution } from '@p2pkit/sim';

export interface Summary {
  mean: number;
  p1: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(values: ArrayLike<number>): Summary {
  const d = new Distribution('summary');
  for (let i = 0; i < values.length; i++) d.record(values[i]!);
  return {
    mean: d.mean,
    p1: d.percentile(1),
    p50: d.percentile(50),
    p99: d.percentile(99),
    max: d.max,
  };
}

/** A histogram of small non-negative integers (hop counts), as fractions of the total. */
export function pdf(values: ArrayLike<number>): number[] {
  const counts: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    counts[v] = (counts[v] ?? 0) + 1;
  }
  const out: number[] = [];
  for (let i = 0; i < counts.length; i++) out.push((counts[i] ?? 0) / values.length);
  return out;
}
