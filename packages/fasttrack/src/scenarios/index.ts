/** @p2pkit/fasttrack/scenarios: simulated FastTrack networks (needs @p2pkit/sim). */

export { type FreeriderOptions, type FreeriderResult, freeriderExperiment } from './freeriders.js';
export { type SimulateOptions, type SimulateResult, type Summary, simulate } from './simulate.js';
export { FastTrackWorld, fileEntry, type WorldOptions } from './world.js';
