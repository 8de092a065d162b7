/**
 * @p2pkit/core/testing: suites every implementation of a core interface runs (vitest is a peer
 * dependency of this entry only).
 */

export { type HttpSuiteOptions, httpComplianceSuite } from './http.js';
export {
  type OverlayHarness,
  type OverlaySuiteOptions,
  overlayComplianceSuite,
} from './overlay.js';
export {
  hopBounds,
  numericallyClosest,
  type OverlayNode,
  type ResponsibleRule,
  successorOf,
} from './overlay-rules.js';
export {
  type TransportHarness,
  type TransportSuiteOptions,
  transportComplianceSuite,
} from './transport.js';
