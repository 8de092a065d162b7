/**
 * @p2pkit/napster/scenarios: the simulated worlds behind the tests, `pnpm experiments`,
 * `p2pkit sim napster` and `p2pkit compare`. Needs @p2pkit/sim (an optional peer dependency);
 * the main entry never imports this.
 */
export { type LibraryOptions, MusicLibrary } from './library.js';
export { type SimulateOptions, type SimulateResult, simulate } from './simulate.js';
export { nameSeed, SyntheticFolder, syntheticByte, syntheticBytes } from './synthetic.js';
