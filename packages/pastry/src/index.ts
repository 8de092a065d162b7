/**
 * @p2pkit/pastry: Pastry (Rowstron & Druschel, Middleware 2001) with proximity routing and
 * PAST-style replicated storage, on real UDP and in the p2pkit simulator. See README.md; the
 * wire format is in PROTOCOL.md.
 */
export {
  createPastryNode,
  type LookupAnswer,
  type LookupOptions,
  type NodeView,
  type PastryContact,
  type PastryEvents,
  PastryNode,
  type PastryStats,
  type PutResult,
} from './node.js';
export type { JoinVariant, PastryOptions } from './options.js';
