/**
 * @p2pkit/bittorrent/scenarios: BitTorrent swarms in the p2pkit simulator (needs the optional
 * peer dependency @p2pkit/sim). The package's main entry never imports the simulator.
 */
export { type FluidBound, fluidBound } from './bound.js';
export {
  DEFAULT_UPLOAD_CLASSES,
  drawRates,
  parseRateSpec,
  type RateClass,
  type RateSpec,
} from './rates.js';
export { type Summary, summarize } from './stats.js';
export {
  type ContentCheck,
  createSharedContentStorage,
  type SharedContentStorage,
} from './storage.js';
export {
  defaultPieceLength,
  runSwarm,
  SWARM_SETTINGS,
  type SwarmOptions,
  type SwarmProgress,
  type SwarmResult,
  type SwarmSample,
  type SwarmTrackerStats,
} from './swarm.js';
