/**
 * The shapes a node's callers and its modules share: call options, answers and counters. In
 * their own file so that node.ts, operations.ts and host.ts import them without a cycle.
 */
import type { Address } from '@p2pkit/core';

export interface OperationOptions {
  signal?: AbortSignal;
  /** Deadline of this call in ms (default: the node's operationTimeoutMs). */
  timeoutMs?: number;
}

export interface LookupAnswer {
  /** The file's homenode, or undefined: no node asked knew the file. */
  home: Address | undefined;
  /**
   * RPCs on the path that produced the answer: 0 when this node knew, 1 when a contact of the
   * file's group answered (the normal case), more when it forwarded inside its group.
   */
  hops: number;
  /** Nodes asked in turn (1 when the first answered). */
  tries: number;
  /** Of those, how many did not answer in time. */
  timeouts: number;
}

export interface InsertAnswer {
  /** The homenode the contact chose (a random member of the file's group). */
  home: Address;
  /** RPCs on the successful path (1: a contact of the file's group placed it). */
  hops: number;
  /** Contacts tried in turn, the successful one included (the paper's K4 counts these). */
  tries: number;
}

/** Counters a node keeps about itself (cheap; read them any time). */
export interface KelipsStats {
  rounds: number;
  gossipSent: number;
  gossipReceived: number;
  lookups: number;
  lookupFailures: number;
  inserts: number;
  insertFailures: number;
  timeouts: number;
  /** Messages that did not decode or broke the rules (dropped). */
  badMessages: number;
  /** Messages from a system with another k (dropped). */
  mismatched: number;
}
