/**
 * @p2pkit/core/node: the real world for Node. `realRuntime()` gives protocol code TCP, UDP,
 * timers, crypto-seeded randomness and SHA-1; nothing else in p2pkit imports Node built-ins.
 */
export { type RealClock, realClock } from './clock.js';
export { ConfinedFolder, type ConfinedFolderOptions, isInside } from './confined-folder.js';
export { type RealRuntime, type RealRuntimeOptions, realRuntime } from './runtime.js';
export { openSharedFolder, type SharedFolderOptions } from './shared-folder.js';
