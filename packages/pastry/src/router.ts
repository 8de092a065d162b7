/**
 * Routed messages (the simulator's hot path): the origin builds one ROUTE body; every node on
 * the way reads its key, applies the routing rule, edits the hop count in place and sends it on
 * from its datagram handler; the node numerically closest to the key delivers it and answers the
 * origin with ROUTE_RESULT.
 *
 * With hop acknowledgements on (the default), each forwarding is a request that the next hop
 * answers on arrival; a hop that does not answer is taken for dead, forgotten (which starts the
 * lazy repair of its entry), and the message is routed again from here without it. No timer per
 * message: one sweep timer per node expires the routes it started.
 */
import {
  type Address,
  abortErrorFrom,
  type Clock,
  type DatagramRpc,
  type Id,
  P2PError,
  sameAddress,
  TimeoutError,
  type TimerHandle,
} from '@p2pkit/core';
import type { Context, PastryStats } from './context.js';
import * as msg from './messages.js';
import { encodeAddress, type Peer } from './peer.js';
import type { NodeState } from './state.js';

/** What the origin of a routed message learns. */
export interface RouteAnswer {
  /** The node that answered: the numerically closest node (or, for a GET, a replica on the way). */
  responder: Peer;
  /** Forwardings from the origin to the responder (0 when the origin is responsible itself). */
  hops: number;
  status: msg.Status;
  version?: number;
  replicas?: number;
  value?: Uint8Array;
  /** Time from start to answer, ms (route latency plus the answer's one-way trip). */
  ms: number;
}

/** What the router asks its node for, by purpose. */
export interface RouteHooks {
  /** A JOIN passes through (or ends at) this node: send the joiner our state. */
  joinPassing(route: msg.Route, final: boolean): void;
  /** A GET passes through: a replica on the way may answer it (undefined: forward). */
  serveOnPath(
    route: msg.Route,
  ): Omit<msg.RouteResult, 'routeId' | 'hops' | 'responder'> | undefined;
  /** A PUT or GET is delivered here, the numerically closest node. */
  deliverStorage(
    route: msg.Route,
  ): Promise<Omit<msg.RouteResult, 'routeId' | 'hops' | 'responder'>>;
}

interface Pending {
  resolve: (answer: RouteAnswer) => void;
  reject: (error: Error) => void;
  deadline: number;
  started: number;
}

export interface StartOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  appKey?: Uint8Array | undefined;
  value?: Uint8Array | undefined;
}

export class Router {
  readonly #ctx: Context;
  readonly #hooks: RouteHooks;
  // What every hop reads, held here rather than reached through the context and the node: at
  // 10^4 simulated nodes each per-node object a hop touches is a cache miss.
  readonly #state: NodeState;
  readonly #limits: msg.WireLimits;
  readonly #stats: PastryStats;
  readonly #clock: Clock;
  readonly #rpc: DatagramRpc;
  readonly #hopAcks: boolean;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #sweep: TimerHandle | undefined;
  #closed = false;
  /** The wire form of this node's address (every ROUTE it starts carries it as the origin). */
  #origin: Uint8Array | undefined;

  constructor(ctx: Context, hooks: RouteHooks, rpc: DatagramRpc) {
    this.#ctx = ctx;
    this.#hooks = hooks;
    this.#state = ctx.state;
    this.#limits = ctx.limits;
    this.#stats = ctx.stats;
    this.#clock = ctx.clock;
    this.#rpc = rpc;
    this.#hopAcks = ctx.options.hopAcks;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** A fresh route id (the join uses one too). */
  allocateId(): number {
    const id = this.#nextId;
    this.#nextId = (id + 1) >>> 0 || 1;
    return id;
  }

  /**
   * Routes a message with `key` from this node (or, in client mode, through `gateway`, a member
   * that routes it); resolves with the answer. A failure counts in stats.lookupFailures.
   */
  start(
    purpose: msg.Purpose,
    key: Id,
    options: StartOptions = {},
    gateway?: Address,
  ): Promise<RouteAnswer> {
    const ctx = this.#ctx;
    if (this.#pending.size >= ctx.options.maxPendingLookups) {
      this.#stats.lookupFailures++;
      return Promise.reject(new P2PError('too many routed messages in flight', 'ERR_BUSY'));
    }
    if (key.length !== this.#limits.space.bytes) {
      this.#stats.lookupFailures++;
      return Promise.reject(new P2PError('ROUTE key of another id space', 'ERR_INVALID_ARGUMENT'));
    }
    const routeId = this.allocateId();
    const origin = (this.#origin ??= encodeAddress(this.#state.self.address));
    const body = msg.encodeRouteFields(
      0,
      purpose,
      routeId,
      key,
      origin,
      options.appKey,
      options.value,
    );
    const now = this.#clock.now();
    const timeoutMs = options.timeoutMs ?? ctx.options.lookupTimeoutMs;
    return new Promise<RouteAnswer>((resolve, reject) => {
      const pending: Pending = { resolve, reject, deadline: now + timeoutMs, started: now };
      const signal = options.signal;
      if (signal) {
        const onAbort = () => {
          if (this.#pending.get(routeId) === pending) this.#pending.delete(routeId);
          this.#stats.lookupFailures++;
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
      this.#pending.set(routeId, pending);
      this.#armSweep();
      if (gateway !== undefined) this.#toGateway(gateway, routeId, body);
      else this.forward(body, key);
    });
  }

  /** The ROUTE handler: validates the message (a malformed one is reported), then forwards it. */
  handleRoute(request: { readonly body: Uint8Array }): Uint8Array {
    const body = request.body;
    let key: Id;
    try {
      key = msg.checkRoute(body, this.#limits);
    } catch (error) {
      this.#ctx.badMessage(error);
      throw error;
    }
    this.forward(body, key);
    return msg.EMPTY;
  }

  /**
   * A routed message is here (arrived, or started here): serve it, deliver it, or send it on.
   * `body` is its wire form (already checked), whose hop count is edited in place; `key` its
   * key. The rest of the message is decoded only where it is needed.
   */
  forward(body: Uint8Array, key: Id): void {
    const state = this.#state;
    let next = state.nextHop(key);
    const purpose = body[msg.ROUTE_PURPOSE_OFFSET]!;
    if (purpose === msg.Purpose.JOIN) {
      const route = msg.decodeRoute(body, this.#limits);
      // The joiner is not a member yet: if a stale entry names it, route past it.
      if (sameAddress(next.address, route.origin)) {
        state.forget(next);
        next = state.nextHop(key);
      }
      this.#hooks.joinPassing(route, next === state.self);
    } else if (purpose === msg.Purpose.GET && body[msg.ROUTE_HOPS_OFFSET]! > 0) {
      const route = msg.decodeRoute(body, this.#limits);
      const served = this.#hooks.serveOnPath(route);
      if (served !== undefined) {
        this.#answer(route, served);
        return;
      }
    }
    if (next === state.self) {
      this.#deliver(msg.decodeRoute(body, this.#limits));
      return;
    }
    const hops = body[msg.ROUTE_HOPS_OFFSET]!;
    if (hops >= msg.MAX_HOPS) return; // a loop: the origin times out
    body[msg.ROUTE_HOPS_OFFSET] = hops + 1;
    this.#stats.forwarded++;
    this.#send(next, body, key);
  }

  /** A ROUTE_RESULT (decoded and checked by the node: the responder itself sent it). */
  resolve(result: msg.RouteResult): void {
    const pending = this.#pending.get(result.routeId);
    if (pending === undefined) return;
    this.#pending.delete(result.routeId);
    const answer: RouteAnswer = {
      responder: result.responder,
      hops: result.hops,
      status: result.status,
      ms: this.#clock.now() - pending.started,
    };
    if (result.version !== undefined) answer.version = result.version;
    if (result.replicas !== undefined) answer.replicas = result.replicas;
    if (result.value !== undefined) answer.value = result.value.slice();
    pending.resolve(answer);
  }

  has(routeId: number): boolean {
    return this.#pending.has(routeId);
  }

  /**
   * Rejects every pending route with `error()` (made only when one is pending: 10^5 simulated
   * nodes stop at the end of a run) and stops the sweep timer (node stopping).
   */
  close(error: () => Error): void {
    this.#closed = true;
    if (this.#pending.size > 0) {
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      const e = error();
      this.#stats.lookupFailures += pending.length;
      for (const p of pending) p.reject(e);
    }
    try {
      this.#ctx.clock.clearTimeout(this.#sweep);
    } catch {
      // A crashed simulated host's clock is gone, and the timer with it.
    }
    this.#sweep = undefined;
  }

  #send(next: Peer, body: Uint8Array, key: Id): void {
    if (this.#closed) return;
    if (!this.#hopAcks) {
      this.#notify(next.address, msg.MessageType.ROUTE, body);
      return;
    }
    this.#ctx.request(next.address, msg.MessageType.ROUTE, body).then(
      () => {},
      (error: unknown) => this.#hopFailed(next, body, key, error),
    );
  }

  /** The next hop did not acknowledge: forget it, and route the message again without it. */
  #hopFailed(next: Peer, body: Uint8Array, key: Id, error: unknown): void {
    const ctx = this.#ctx;
    if (this.#closed || !ctx.running) return;
    if (!(error instanceof TimeoutError)) {
      ctx.warn(error);
      return;
    }
    this.#stats.reroutes++;
    ctx.peerFailed(next);
    body[msg.ROUTE_HOPS_OFFSET] = body[msg.ROUTE_HOPS_OFFSET]! - 1;
    this.forward(body, key);
  }

  /** Client mode: the gateway routes it (a gateway that does not answer fails the route). */
  #toGateway(gateway: Address, routeId: number, body: Uint8Array): void {
    this.#ctx.request(gateway, msg.MessageType.ROUTE, body).then(
      () => {},
      (error: unknown) => {
        const pending = this.#pending.get(routeId);
        if (pending === undefined) return;
        this.#pending.delete(routeId);
        this.#stats.lookupFailures++;
        pending.reject(
          error instanceof Error ? error : new P2PError(String(error), 'ERR_LOOKUP_FAILED'),
        );
      },
    );
  }

  #deliver(route: msg.Route): void {
    const ctx = this.#ctx;
    this.#stats.delivered++;
    switch (route.purpose) {
      case msg.Purpose.LOOKUP:
        this.#answer(route, { purpose: route.purpose, status: msg.Status.OK });
        return;
      case msg.Purpose.JOIN:
        return; // joinPassing sent the joiner our final state
      default:
        this.#hooks.deliverStorage(route).then(
          (result) => this.#answer(route, result),
          (error: unknown) => {
            ctx.warn(error);
            this.#answer(route, { purpose: route.purpose, status: msg.Status.REFUSED });
          },
        );
    }
  }

  /** Sends the origin its answer (or resolves it here when we are the origin). */
  #answer(route: msg.Route, result: Omit<msg.RouteResult, 'routeId' | 'hops' | 'responder'>): void {
    const self = this.#state.self;
    // One object shape for every answer (no spread: the hot path answers every lookup).
    const full: msg.RouteResult = {
      routeId: route.routeId,
      hops: route.hops,
      purpose: result.purpose,
      status: result.status,
      responder: self,
    };
    if (result.version !== undefined) full.version = result.version;
    if (result.replicas !== undefined) full.replicas = result.replicas;
    if (result.value !== undefined) full.value = result.value;
    if (sameAddress(route.origin, self.address)) {
      this.resolve(full);
      return;
    }
    if (!this.#closed) {
      this.#notify(
        route.origin,
        msg.MessageType.ROUTE_RESULT,
        msg.encodeRouteResult(full, this.#limits.space),
      );
    }
  }

  /** A oneway message (a failed send is a warning, as the node's own notify). */
  #notify(to: Address, type: number, body: Uint8Array): void {
    try {
      this.#rpc.notify(to, type, body);
    } catch (error) {
      this.#ctx.warn(error);
    }
  }

  #armSweep(): void {
    if (this.#sweep !== undefined) return;
    const clock = this.#ctx.clock;
    const period = Math.max(1, this.#ctx.options.lookupTimeoutMs / 4);
    this.#sweep = clock.setTimeout(() => {
      this.#sweep = undefined;
      const now = clock.now();
      for (const [id, p] of this.#pending) {
        if (p.deadline <= now) {
          this.#pending.delete(id);
          this.#stats.lookupFailures++;
          p.reject(new TimeoutError('routed message timed out'));
        }
      }
      if (this.#pending.size > 0) this.#armSweep();
    }, period);
  }
}
