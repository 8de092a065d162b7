/**
 * @p2pkit/kelips: Kelips (Gupta, Birman, Linga, Demers, van Renesse, IPTPS 2003), one-hop
 * lookups over √N affinity groups kept by gossip, on real UDP and in the p2pkit simulator.
 * See README.md; the wire format is in PROTOCOL.md.
 */
export {
  groupOfAddress,
  groupOfName,
  groupsFor,
  type MemoryModel,
  type MemoryModelOptions,
  memoryModel,
  memoryOptimalGroups,
} from './groups.js';
export type { KelipsView, KnownNode, MemoryUse, PingAnswer } from './inspect.js';
export { createKelipsNode, type KelipsEvents, KelipsNode } from './node.js';
export type { KelipsOptions } from './options.js';
export type { InsertAnswer, KelipsStats, LookupAnswer, OperationOptions } from './types.js';
