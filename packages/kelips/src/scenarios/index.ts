/**
 * @p2pkit/kelips/scenarios: the simulations behind the tests, `pnpm experiments` and
 * `p2pkit sim kelips`. Needs @p2pkit/sim (an optional peer dependency); the main entry never
 * imports this.
 */
export {
  type FailLookup,
  type FailOptions,
  type FailResult,
  failRun,
  type InsertOptions,
  type InsertResult,
  insertRun,
  type MemoryOptions,
  type MemoryResult,
  memoryRun,
  type Sample,
} from './experiments.js';
export {
  fileName,
  insertAll,
  type SimulateOptions,
  type SimulateResult,
  type Summary,
  simulate,
} from './simulate.js';
export { KelipsWorld, type NodeOptions } from './world.js';
