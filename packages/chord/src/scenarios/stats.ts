/**
 * Small statistics helpers shared by scenarios, experiments and the CLI: percentiles as the
 * papers report them (the value below which the given fraction of samples falls).
 */

export interface Summary {
  mean: number;
  p1: number;
  p50: number;
  p99: number;
  max: number;
}

/** The p-quantile (0 ≤ p ≤ 1) of sorted values, nearest-rank. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
  return sorted[rank]!;
}

export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  return {
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
    p1: quantile(sorted, 0.01),
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
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
