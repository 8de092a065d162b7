/**
 * @p2pkit/gnutella/scenarios: the simulations behind the tests, `pnpm experiments` and
 * `p2pkit sim gnutella`. Needs @p2pkit/sim (an optional peer dependency); the main entry never
 * imports this.
 */

export {
  type ExperimentBase,
  type FloodRow,
  floodingVsBound,
  type PingPongRow,
  pingPongShare,
  type SuccessRow,
  successVsTtl,
  type TieringRow,
  ultrapeersVsFlat,
} from './experiments.js';
export {
  type FileSharingWorkload,
  floodBound,
  type LoadSummary,
  type QueryPhaseOptions,
  queryPhase,
  type SimulateOptions,
  type SimulateResult,
  simulate,
} from './simulate.js';
export { fileName, fileQuery, GnutellaWorld, type WorldOptions } from './world.js';
