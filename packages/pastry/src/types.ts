/**
 * The public shapes of @p2pkit/pastry's node API (what `PastryNode` takes and returns).
 */
import type { Address } from '@p2pkit/core';

/** A node as the public API shows it. */
export interface PastryContact {
  id: bigint;
  address: Address;
}

export interface LookupOptions {
  signal?: AbortSignal;
  /** Deadline for this call (default: the node's lookupTimeoutMs). */
  timeoutMs?: number;
}

export interface LookupAnswer {
  /** The live node numerically closest to the key. */
  owner: PastryContact;
  /** Forwardings from this node (or its gateway) to the owner; 0 when this node is the owner. */
  hops: number;
  /** Time from the call to the answer, ms (the route plus the answer's one-way trip). */
  ms: number;
}

export interface PutResult {
  /** The version the value was stored with (1 for a new key, one more per overwrite). */
  version: number;
  /** Nodes that hold the value now (at most the node's replicas). */
  replicas: number;
}

/** A node's routing state, as `view()` and `fetchView()` show it. */
export interface NodeView {
  node: PastryContact;
  /** Leaf set, from the farthest smaller id to the farthest larger id. */
  leafSet: PastryContact[];
  /** Non-empty routing-table rows; entries[d] is the node for digit d (null: none). */
  rows: { index: number; entries: (PastryContact | null)[] }[];
  /** Neighbourhood set, nearest first. */
  neighborhood: PastryContact[];
}

export interface PastryEvents {
  /** The leaf set changed. */
  leafSet: [members: PastryContact[]];
  /** A recoverable problem: a bad message, a failed repair. Never fatal. */
  warning: [error: Error];
}
