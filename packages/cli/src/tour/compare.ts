import { runComparison } from '../compare/run.js';
import { num } from '../compare/table.js';
import { COSTS, type Cost } from '../compare/types.js';
import type { TourRow, TourStep } from './run.js';

/**
 * The cost each protocol's row of the short table shows (the one the lecture is about): the
 * central index (O(N) at the server, one hop) against the structured overlays (O(log N) hops).
 * Gnutella, FastTrack and Kelips are left to `p2pkit compare`: building their flooding,
 * supernode and gossip layers at N = 1000 takes seconds each, more than the tour may spend.
 */
const HEADLINE: Record<string, Cost[]> = {
  napster: ['serverEntries', 'hops'],
  chord: ['hops'],
  pastry: ['hops'],
};

/**
 * The tour's last step: `p2pkit compare` in short (N = 100 and 1000, a few lookups, no fault
 * or locality phase), on one workload, each headline cost with its fitted growth beside the
 * lecture's.
 */
export const compareStep: TourStep = {
  protocol: 'compare',
  title: "the lecture's cost table, measured",
  async run(signal) {
    const result = await runComparison({
      protocols: Object.keys(HEADLINE),
      nodes: [100, 1000],
      lookups: 20,
      itemsPerNode: 1,
      latencyMs: 25,
      fail: 0,
      churn: 0,
      locality: false,
      seed: 1,
      signal,
    });
    const rows: TourRow[] = [];
    for (const protocol of result.protocols) {
      const parts: string[] = [];
      for (const cost of HEADLINE[protocol] ?? []) {
        const fit = result.fits.find((f) => f.protocol === protocol && f.cost === cost);
        if (!fit) continue;
        const [a, b] = fit.points;
        const mark =
          fit.lecture === undefined ? '' : fit.differs ? ` ✗ lecture ${fit.lecture}` : ' ✓';
        parts.push(`${COSTS[cost].label} ${num(a?.[1])} → ${num(b?.[1])}: ${fit.measured}${mark}`);
      }
      rows.push({
        protocol: 'compare',
        what: `${protocol}, N = 100 → 1000`,
        result: parts.join('; '),
      });
    }
    return rows;
  },
};
