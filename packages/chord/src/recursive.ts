/**
 * Recursive lookups (the simulator's hot path): the origin builds one LOOKUP body and every hop
 * edits it in place and forwards it synchronously from its datagram handler; the owner answers
 * the origin with LOOKUP_RESULT. No timer per lookup: one sweep timer per node, armed while
 * lookups are pending, expires them (the node then falls back to an iterative lookup).
 */
import {
  abortErrorFrom,
  type Clock,
  type Id,
  P2PError,
  sameAddress,
  TimeoutError,
  type TimerHandle,
} from '@p2pkit/core';
import type { RouteResult } from './lookup.js';
import * as msg from './messages.js';
import type { Peer } from './peer.js';
import { type RoutingTable, STEP_AMBIGUOUS, STEP_FORWARD, STEP_OWNER } from './routing.js';
import type { ChordRpc } from './rpc.js';

/** What the recursive engine needs from its node. */
export interface RecursiveHost {
  readonly clock: Clock;
  readonly table: RoutingTable;
  readonly limits: msg.WireLimits;
  readonly timeoutMs: number;
  readonly maxPending: number;
  /** The node's endpoint: lookups go out on it directly, until close(). */
  readonly rpc: Pick<ChordRpc, 'notify'>;
  /** Reports a failed send (the node's 'warning' event). */
  warn(error: unknown): void;
  /** Counts and reports a malformed message. */
  badMessage(error: unknown): void;
}

interface Pending {
  resolve: (r: RouteResult) => void;
  reject: (e: Error) => void;
  deadline: number;
  /** Clock time of the start, for the lookup's duration. */
  started: number;
}

/** The empty map every RecursiveLookups starts with: only `set` would change it, and none does. */
const NO_PENDING: Map<number, Pending> = new Map();

export class RecursiveLookups {
  // The hot path reads this object, the routing table and the endpoint, nothing else of the
  // node: at 10^5 simulated nodes each further object is a cache miss of several hundred ns.
  #closed = false;
  readonly #table: RoutingTable;
  readonly #rpc: Pick<ChordRpc, 'notify'>;
  readonly #m: number;
  readonly #host: RecursiveHost;
  // Shared and empty until the first lookup from this node (most simulated nodes never start one).
  #pending: Map<number, Pending> = NO_PENDING;
  #nextId = 1;
  #sweep: TimerHandle | undefined;

  constructor(host: RecursiveHost) {
    this.#host = host;
    this.#table = host.table;
    this.#rpc = host.rpc;
    this.#m = host.limits.m;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Starts a lookup of `key` from this node. */
  start(key: Id, signal: AbortSignal | undefined): Promise<RouteResult> {
    const h = this.#host;
    const t = h.table;
    if (t.predecessor !== undefined && t.owns(key)) {
      return Promise.resolve({ owner: t.self, hops: 0, timeouts: 0, ms: 0 });
    }
    if (this.#pending.size >= h.maxPending) {
      return Promise.reject(new P2PError('too many lookups in flight', 'ERR_BUSY'));
    }
    const lookupId = this.#nextId;
    this.#nextId = (lookupId + 1) >>> 0 || 1;
    // LOOKUP body (PROTOCOL.md) built in place: hops, phase, lookupId, key, our address.
    const wire = t.self.wire;
    const n = key.length;
    const body = new Uint8Array(msg.LOOKUP_KEY_OFFSET + wire.length);
    body[2] = lookupId >>> 24;
    body[3] = lookupId >>> 16;
    body[4] = lookupId >>> 8;
    body[5] = lookupId;
    t.space.write(key, body, msg.LOOKUP_KEY_OFFSET);
    body.set(wire.subarray(n), msg.LOOKUP_KEY_OFFSET + n);
    return new Promise<RouteResult>((resolve, reject) => {
      const now = h.clock.now();
      const pending: Pending = { resolve, reject, deadline: now + h.timeoutMs, started: now };
      if (signal) {
        const onAbort = () => {
          if (this.#pending.get(lookupId) === pending) this.#pending.delete(lookupId);
          reject(abortErrorFrom(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        pending.resolve = (r) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        };
        pending.reject = (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        };
      }
      if (this.#pending === NO_PENDING) this.#pending = new Map();
      this.#pending.set(lookupId, pending);
      this.#armSweep();
      // Route the first hop from here exactly as a forwarding node would.
      this.forward(body);
    });
  }

  /**
   * The LOOKUP handler, registered bound to this object (the endpoint calls it with no node
   * object in between): validates the message (a malformed one is reported and dropped), then
   * forwards it.
   */
  handleLookup(request: { readonly body: Uint8Array }): Uint8Array {
    const body = request.body;
    try {
      msg.checkLookup(body, this.#m);
      this.forward(body);
    } catch (error) {
      this.#host.badMessage(error);
      throw error;
    }
    return msg.EMPTY;
  }

  /**
   * A LOOKUP message (already validated by checkLookup) arrived, or we start one: forward it
   * towards the key, or hand it to the owner. Routing looks at the key's leading bits only,
   * unless they tie (see RoutingTable.fastStep).
   */
  forward(body: Uint8Array): void {
    const t = this.#table;
    if (body[msg.LOOKUP_PHASE_OFFSET] === 1) {
      this.#answer(body);
      return;
    }
    let outcome = t.fastStep(t.space.hiAt(body, msg.LOOKUP_KEY_OFFSET));
    let hop = t.hop!;
    if (outcome === STEP_AMBIGUOUS) {
      const key = t.space.fromBytes(body, msg.LOOKUP_KEY_OFFSET);
      const owned = t.isOwnedBySuccessor(key);
      outcome = owned ? STEP_OWNER : STEP_FORWARD;
      hop = owned ? t.successor() : (t.closestPreceding(key) ?? t.successor());
    }
    if (outcome === STEP_OWNER) {
      body[msg.LOOKUP_PHASE_OFFSET] = 1;
      if (hop === t.self) this.#answer(body);
      else this.#send(hop, body);
      return;
    }
    const hops = body[msg.LOOKUP_HOPS_OFFSET]!;
    if (hops >= msg.MAX_HOPS) return; // looping: let the origin time out and go iterative
    body[msg.LOOKUP_HOPS_OFFSET] = hops + 1;
    this.#send(hop, body);
  }

  /** Forwards a LOOKUP (a failed send is a warning: the origin times out and goes iterative). */
  #send(hop: Peer, body: Uint8Array): void {
    if (this.#closed) return;
    try {
      this.#rpc.notify(hop.address, msg.MessageType.LOOKUP, body);
    } catch (error) {
      this.#host.warn(error);
    }
  }

  /** A LOOKUP_RESULT from `owner` (the caller checked that the owner itself sent it). */
  resolve(lookupId: number, hops: number, owner: Peer): void {
    const pending = this.#pending.get(lookupId);
    if (pending === undefined) return;
    this.#pending.delete(lookupId);
    // The duration is taken here, as the answer arrives: the promise's continuations may run
    // later (the simulator's synchronous loop runs them after a whole batch of events).
    pending.resolve({ owner, hops, timeouts: 0, ms: this.#host.clock.now() - pending.started });
  }

  has(lookupId: number): boolean {
    return this.#pending.has(lookupId);
  }

  /**
   * Rejects every pending lookup with the error `reason()` makes and stops the sweep timer (node
   * stopping). The error is made only when a lookup is pending: 10^5 simulated nodes stopping
   * would otherwise each capture a stack trace for nobody.
   */
  close(reason: () => Error): void {
    this.#closed = true;
    if (this.#pending.size > 0) {
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      const error = reason();
      for (const p of pending) p.reject(error);
    }
    try {
      this.#host.clock.clearTimeout(this.#sweep);
    } catch {
      // A crashed simulated host's clock is gone, and the timer with it.
    }
    this.#sweep = undefined;
  }

  /** We are the owner: tell the origin. */
  #answer(body: Uint8Array): void {
    const h = this.#host;
    const l = msg.decodeLookup(body, h.limits);
    const self = h.table.self;
    if (sameAddress(l.origin, self.address)) this.resolve(l.lookupId, l.hops, self);
    else {
      const result = msg.encodeLookupResult({ lookupId: l.lookupId, hops: l.hops, owner: self });
      if (!this.#closed) this.#rpc.notify(l.origin, msg.MessageType.LOOKUP_RESULT, result);
    }
  }

  #armSweep(): void {
    if (this.#sweep !== undefined) return;
    const h = this.#host;
    const period = Math.max(1, h.timeoutMs / 2);
    this.#sweep = h.clock.setTimeout(() => {
      this.#sweep = undefined;
      const now = h.clock.now();
      for (const [id, p] of this.#pending) {
        if (p.deadline <= now) {
          this.#pending.delete(id);
          p.reject(new TimeoutError('recursive lookup timed out'));
        }
      }
      if (this.#pending.size > 0) this.#armSweep();
    }, period);
  }
}
