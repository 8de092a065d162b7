/** Small summaries for scenario results, on the simulator's Distribution (nearest-rank percentiles). */
import { Distribution } from '@p2pkit/sim';

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
  const d = new Distribution('summary');
  for (const v of values) d.record(v);
  const s = d.summary();
  return { min: s.min, median: s.p50, mean: s.mean, max: s.max, p90: s.p90 };
}
