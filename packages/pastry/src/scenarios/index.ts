/**
 * @p2pkit/pastry/scenarios: the simulations behind the tests, `pnpm experiments`, the benchmarks
 * and `p2pkit sim pastry`. Needs @p2pkit/sim (an optional peer dependency); the main entry never
 * imports this.
 */
export { PastryOracle } from '../oracle.js';
export {
  type FailResult,
  failRun,
  type HopsResult,
  hopsRun,
  joinCostRun,
  type LocalityResult,
  localityRun,
  type PhaseResult,
} from './experiments.js';
export {
  type HopSummary,
  type SimulateOptions,
  type SimulateResult,
  simulate,
} from './simulate.js';
export { type NodeOptions, PastryWorld, type WorldMember } from './world.js';
