/**
 * Fitted growth: the least-squares slope of log(cost) against log(N), and the lecture class
 * whose own slope over the same N values is nearest. O(1) has slope 0, O(√N) 0.5, O(N) 1;
 * O(log N) has no constant slope, so its slope is fitted over the same N values as the
 * measurement (about 0.15 for N = 100..10,000), which is what separates it from O(1).
 */
import { COSTS, type Cost, type Growth, type Row } from './types.js';

export const GROWTHS: readonly Growth[] = ['O(1)', 'O(log N)', 'O(√N)', 'O(N)'];

function model(growth: Growth, n: number): number {
  switch (growth) {
    case 'O(1)':
      return 1;
    case 'O(log N)':
      return Math.log(n);
    case 'O(√N)':
      return Math.sqrt(n);
    case 'O(N)':
      return n;
  }
}

/** Least-squares slope of ln y on ln x; undefined with fewer than two distinct x. */
export function logLogSlope(points: ReadonlyArray<readonly [number, number]>): number | undefined {
  const usable = points.filter(([x, y]) => x > 0 && y > 0);
  if (new Set(usable.map(([x]) => x)).size < 2) return undefined;
  const xs = usable.map(([x]) => Math.log(x));
  const ys = usable.map(([, y]) => Math.log(y));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

/** Each class's own log-log slope over these N values. */
export function classSlopes(ns: readonly number[]): Record<Growth, number> {
  const out = {} as Record<Growth, number>;
  for (const g of GROWTHS) out[g] = logLogSlope(ns.map((n) => [n, model(g, n)] as const)) ?? 0;
  return out;
}

/** The class whose slope over `ns` is nearest to `slope`. */
export function nearestGrowth(slope: number, ns: readonly number[]): Growth {
  const slopes = classSlopes(ns);
  let best: Growth = 'O(1)';
  for (const g of GROWTHS) {
    if (Math.abs(slopes[g] - slope) < Math.abs(slopes[best] - slope)) best = g;
  }
  return best;
}

/** One fitted cost of one protocol. */
export interface Fit {
  protocol: string;
  cost: Cost;
  /** The N values and costs the slope was fitted on. */
  points: Array<[number, number]>;
  slope: number;
  /** The class nearest to the measured slope. */
  measured: Growth;
  /** What the lecture's table says (absent: the lecture says nothing about this cost). */
  lecture?: Growth;
  /** The lecture's class's own slope over the same N. */
  lectureSlope?: number;
  /** True when the measured class is not the lecture's. */
  differs: boolean;
}

/** The value of `cost` in a row, or undefined when it was not measured. */
export function costOf(row: Row, cost: Cost): number | undefined {
  const v = (() => {
    switch (cost) {
      case 'memoryEntries':
        return row.memory.entries;
      case 'memoryBytes':
        return row.memory.bytes;
      case 'serverEntries':
        return row.server?.entries;
      case 'serverBytes':
        return row.server?.bytes;
      case 'hops':
        return row.hops?.mean;
      case 'latencyMs':
        return row.latencyMs?.mean;
      case 'messagesPerLookup':
        return row.messagesPerLookup;
      case 'bytesPerLookup':
        return row.bytesPerLookup;
      case 'completionS':
        return row.swarm?.completionS.mean;
    }
  })();
  return v === null || v === undefined || !Number.isFinite(v) ? undefined : v;
}

/** Slopes of every measured cost of one protocol's rows (needs two N at least). */
export function fitProtocol(
  protocol: string,
  rows: readonly Row[],
  lecture: Partial<Record<Cost, Growth>>,
): Fit[] {
  const fits: Fit[] = [];
  for (const cost of Object.keys(COSTS) as Cost[]) {
    const points = rows
      .map((r) => [r.nodes, costOf(r, cost)] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined && p[1] > 0)
      .map(([n, v]) => [n, v] as [number, number]);
    const slope = logLogSlope(points);
    if (slope === undefined) continue;
    const ns = points.map(([n]) => n);
    const measured = nearestGrowth(slope, ns);
    const expected = lecture[cost];
    const fit: Fit = { protocol, cost, points, slope, measured, differs: false };
    if (expected) {
      fit.lecture = expected;
      fit.lectureSlope = classSlopes(ns)[expected];
      fit.differs = measured !== expected;
    }
    fits.push(fit);
  }
  return fits;
}
