/** Small summaries for scenario results. */
export interface Summary {
  readonly min: number;
  readonly median: number;
  readonly mean: number;
  readonly max: number;
  /** 90th percentile. */
  readonly p90: number;
}

/** min / median / mean / p90 / max of `values` (NaN for none). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0)
    return {
      min: Number.NaN,
      median: Number.NaN,
      mean: Number.NaN,
      max: Number.NaN,
      p90: Number.NaN,
    };
  const sorted = [...values].sort((a, b) => a - b);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    min: sorted[0]!,
    median: quantile(sorted, 0.5),
    mean: sum / sorted.length,
    max: sorted[sorted.length - 1]!,
    p90: quantile(sorted, 0.9),
  };
}

/** Linear-interpolated quantile of an ascending array. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
