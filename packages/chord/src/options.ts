/**
 * Options of a Chord node, their defaults, and where each default comes from.
 */
import { type IdSpace, P2PError, type Runtime } from '@p2pkit/core';
import { MAX_KEY_SIZE, MAX_PEER_LIST, MAX_VALUE_SIZE } from './messages.js';
import { spaceFor } from './space.js';

export interface ChordOptions {
  /** Clock, randomness, sockets and logging (realRuntime() or a simulated host). */
  runtime: Runtime;
  /** Address to bind and advertise (default: the runtime's host). */
  host?: string;
  /** UDP port (default 0: any free port). */
  port?: number;
  /** Id width in bits, 1..160 (default 160: SHA-1, as the deployed Chord). */
  m?: number;
  /**
   * Successor list length r (default max(8, round(2·log2 expectedSize)): ToN uses r = 20 =
   * 2·log2 N for N = 1000). 1 gives the SIGCOMM 2001 ring with a single successor.
   */
  successors?: number;
  /** Expected ring size, used only to choose the default r (default 1000). */
  expectedSize?: number;
  /** Copies of each value: the owner plus replicas − 1 successors (default 3, at most r + 1). */
  replicas?: number;
  /**
   * Mean period of stabilize (ms). Default 30,000: ToN §V-E draws each interval uniformly from
   * [15, 45] s, which is this mean with the default jitter.
   */
  stabilizeMs?: number;
  /** Mean period of fix_fingers (default: stabilizeMs, one finger per round as in ToN §V-E). */
  fixFingersMs?: number;
  /** Mean period of check_predecessor (default: stabilizeMs). */
  checkPredecessorMs?: number;
  /** Each period is drawn uniformly from [1 − jitter, 1 + jitter] × mean (default 0.5). */
  jitter?: number;
  /**
   * Finger slots refreshed per fix_fingers round (default 1, ToN's cycling `next`); Infinity
   * refreshes every distinct finger per round, as SIGCOMM 2001 §6.5 did.
   */
  fingersPerRound?: number;
  /** Run the periodic maintenance at all (default true; false freezes the ring for experiments). */
  maintenance?: boolean;
  /** A contact not answering within this many ms is considered dead (default 500, ToN §V-E). */
  rpcTimeoutMs?: number;
  /** Retransmissions of a request before a timeout is declared (default 0). */
  rpcRetries?: number;
  /** Default deadline of a whole lookup, put, get or delete (default 10,000 ms). */
  lookupTimeoutMs?: number;
  /** How lookups are routed (default 'iterative', as both papers' simulators). */
  lookup?: 'iterative' | 'recursive';
  /**
   * A recursive lookup that has not answered after this many ms falls back to an iterative one
   * (default 4 × rpcTimeoutMs).
   */
  recursiveTimeoutMs?: number;
  /** Forget a peer once it times out (default true; false keeps dead fingers, ToN Table II). */
  evictOnTimeout?: boolean;
  /** Check a peer's claimed id against nodeId(its address) (default true). */
  verifyIds?: boolean;
  /** Tell the old predecessor about a new one (ToN §V-E optimization, default true). */
  predecessorHint?: boolean;
  /** Largest key in bytes (default 1024). */
  maxKeySize?: number;
  /** Largest value in bytes (default 16,384: one value per UDP datagram). */
  maxValueSize?: number;
  /** Most bytes of keys and values one node stores (default 64 MiB). */
  maxStoredBytes?: number;
  /** Most lookups this node runs or waits for at once (default 1024). */
  maxPendingLookups?: number;
  /** How long a delete's tombstone is kept (default 3,600,000 ms). */
  tombstoneMs?: number;
  /**
   * Period of the ring-merge check (default 4 × stabilizeMs; 0 disables it). Stabilization
   * alone never merges two rings that formed during a partition: each node remembers a few
   * peers it declared dead and, every period, looks its own id up through one of them; a closer
   * successor found there is adopted, which zips the rings together.
   */
  mergeMs?: number;
}

export type ResolvedOptions = Required<Omit<ChordOptions, 'host' | 'expectedSize'>> & {
  host: string;
  /** The id space of this ring (core's IdSpace for m bits), shared by every node of width m. */
  space: IdSpace;
};

export function resolveOptions(o: ChordOptions): ResolvedOptions {
  const m = o.m ?? 160;
  const expected = o.expectedSize ?? 1000;
  const stabilizeMs = o.stabilizeMs ?? 30_000;
  const rpcTimeoutMs = o.rpcTimeoutMs ?? 500;
  const successors = o.successors ?? Math.max(8, Math.round(2 * Math.log2(Math.max(2, expected))));
  check(Number.isInteger(m) && m >= 1 && m <= 160, 'm must be an integer in 1..160');
  const resolved: ResolvedOptions = {
    runtime: o.runtime,
    host: o.host ?? o.runtime.host,
    port: o.port ?? 0,
    m,
    successors,
    replicas: o.replicas ?? Math.min(3, successors + 1),
    stabilizeMs,
    fixFingersMs: o.fixFingersMs ?? stabilizeMs,
    checkPredecessorMs: o.checkPredecessorMs ?? stabilizeMs,
    jitter: o.jitter ?? 0.5,
    fingersPerRound: o.fingersPerRound ?? 1,
    maintenance: o.maintenance ?? true,
    rpcTimeoutMs,
    rpcRetries: o.rpcRetries ?? 0,
    lookupTimeoutMs: o.lookupTimeoutMs ?? 10_000,
    lookup: o.lookup ?? 'iterative',
    recursiveTimeoutMs: o.recursiveTimeoutMs ?? 4 * rpcTimeoutMs,
    evictOnTimeout: o.evictOnTimeout ?? true,
    verifyIds: o.verifyIds ?? true,
    predecessorHint: o.predecessorHint ?? true,
    maxKeySize: o.maxKeySize ?? 1024,
    maxValueSize: o.maxValueSize ?? 16_384,
    maxStoredBytes: o.maxStoredBytes ?? 64 * 1024 * 1024,
    maxPendingLookups: o.maxPendingLookups ?? 1024,
    tombstoneMs: o.tombstoneMs ?? 3_600_000,
    mergeMs: o.mergeMs ?? 4 * stabilizeMs,
    space: spaceFor(m),
  };
  check(
    Number.isInteger(resolved.successors) &&
      resolved.successors >= 1 &&
      resolved.successors <= MAX_PEER_LIST,
    `successors must be an integer in 1..${MAX_PEER_LIST}`,
  );
  check(
    Number.isInteger(resolved.replicas) &&
      resolved.replicas >= 1 &&
      resolved.replicas <= resolved.successors + 1,
    'replicas must be an integer in 1..successors + 1',
  );
  for (const k of ['stabilizeMs', 'fixFingersMs', 'checkPredecessorMs', 'rpcTimeoutMs'] as const) {
    check(resolved[k] > 0 && Number.isFinite(resolved[k]), `${k} must be a positive number`);
  }
  check(resolved.jitter >= 0 && resolved.jitter < 1, 'jitter must be in [0, 1)');
  check(resolved.fingersPerRound >= 1, 'fingersPerRound must be at least 1');
  check(
    resolved.maxKeySize >= 1 && resolved.maxKeySize <= MAX_KEY_SIZE,
    `maxKeySize must be in 1..${MAX_KEY_SIZE}`,
  );
  check(
    resolved.maxValueSize >= 0 && resolved.maxValueSize <= MAX_VALUE_SIZE,
    `maxValueSize must be in 0..${MAX_VALUE_SIZE}`,
  );
  return resolved;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new P2PError(message, 'ERR_INVALID_ARGUMENT');
}
