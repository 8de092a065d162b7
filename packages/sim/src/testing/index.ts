/**
 * @p2pkit/sim/testing: the generic simulated world the overlay compliance suite of
 * @p2pkit/core/testing runs on (see overlay-world.ts for how an overlay plugs in).
 */
export {
  createOverlayHarness,
  type OverlayAdapter,
  OverlayWorld,
  type WorldMember,
  type WorldOptions,
} from './overlay-world.js';
