/**
 * @p2pkit/core/testing: suites every implementation of a core interface runs (vitest is a peer
 * dependency of this entry only).
 */

export { type HttpSuiteOptions, httpComplianceSuite } from './http.js';
export {
  type OverlayHarness,
  type OverlayNode,
  type OverlaySuiteOptions,
  overlayComplianceSuite,
  successorOf,
} from './overlay.js';
export {
  type TransportHarness,
  type TransportSuiteOptions,
  transportComplianceSuite,
} from './transport.js';
