/**
 * @p2pkit/chord/scenarios: the simulations behind the tests, `pnpm experiments`, the benchmarks
 * and `p2pkit sim chord`. Needs @p2pkit/sim (an optional peer dependency); the main entry never
 * imports this.
 */

export { RingOracle } from '../oracle.js';
export {
  type ChurnResult,
  churnRun,
  type FailResult,
  failWithoutReplication,
  failWithSuccessorList,
  type NoReplicationResult,
  type PathResult,
  pathLength,
} from './experiments.js';
export { type PlacementOptions, type PlacementResult, placement } from './placement.js';
export { type SimulateOptions, type SimulateResult, simulate } from './simulate.js';
export { pdf, type Summary, summarize } from './stats.js';
export {
  ChordWorld,
  exponentialLatency,
  type NodeOptions,
  randomKey,
  type WorldMember,
} from './world.js';
