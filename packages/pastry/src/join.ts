/**
 * Joining (paper §2.4, §3.2). The new node X asks a nearby member A to route a JOIN message
 * with key X; it reaches Z, the member numerically closest to X. Every node on the way sends X
 * its state (JOIN_STATE): the routing-table rows valid for X, A its neighbourhood set, Z its
 * leaf set. X builds its tables from them:
 * - 'sl': row i from the i-th node on the route (the paper's basic join);
 * - 'wt': every valid row from every node on the route;
 * - 'wtf': 'wt', then a second stage: X asks each node of its table and neighbourhood set for
 *   the corresponding rows and keeps, slot by slot, the closest node it measures (the paper's
 *   locality-preserving join).
 * Finally X announces itself to every node it knows (ANNOUNCE), which take it into their state.
 */
import { type Address, abortErrorFrom, TimeoutError, type TimerHandle } from '@p2pkit/core';
import type { Context } from './context.js';
import * as msg from './messages.js';
import type { Peer } from './peer.js';
import type { Router } from './router.js';

/** Attempts of the first step (the bootstrap's acknowledgement) before a join fails. */
const ATTEMPTS = 3;

interface Collecting {
  routeId: number;
  /** States by the sender's position on the route. */
  states: Map<number, { sender: Peer; join: msg.JoinState }>;
  /** Position of Z (the final state) once it arrived. */
  final: number | undefined;
  done: () => void;
  grace: TimerHandle | undefined;
}

export class Joiner {
  readonly #ctx: Context;
  readonly #router: Router;
  #collecting: Collecting | undefined;
  /** Messages this node sent for its last join (route, pings, state requests, announcements). */
  messages = 0;

  constructor(ctx: Context, router: Router) {
    this.#ctx = ctx;
    this.#router = router;
  }

  /** Joins through `bootstrap`; resolves once X has announced itself. */
  async join(bootstrap: Address, deadline: number, signal?: AbortSignal): Promise<void> {
    const ctx = this.#ctx;
    this.messages = 0;
    const states = await this.#collect(bootstrap, deadline, signal);
    this.#build(states);
    if (ctx.options.join === 'wtf') await this.#secondStage();
    await this.#announce();
  }

  /** A JOIN_STATE arrived from `sender` (already checked by the node). */
  handleState(sender: Peer, join: msg.JoinState): void {
    const c = this.#collecting;
    if (c === undefined || join.routeId !== c.routeId) return;
    if (!c.states.has(join.position)) c.states.set(join.position, { sender, join });
    if ((join.flags & msg.JOIN_FINAL) !== 0 && c.final === undefined) {
      c.final = join.position;
      // Late states (reordered datagrams) get a short grace period; lost ones are not waited for.
      c.grace = this.#ctx.clock.setTimeout(c.done, this.#ctx.options.rpcTimeoutMs);
    }
    if (c.final !== undefined && c.states.size > c.final) c.done();
  }

  /** Sends the JOIN and gathers the states of the nodes on its route. */
  async #collect(
    bootstrap: Address,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<{ sender: Peer; join: msg.JoinState }[]> {
    const ctx = this.#ctx;
    const router = this.#router;
    const self = ctx.state.self;
    for (let attempt = 1; ; attempt++) {
      const routeId = router.allocateId();
      const body = msg.encodeRoute(
        { hops: 0, purpose: msg.Purpose.JOIN, routeId, key: self.id, origin: self.address },
        ctx.space,
      );
      let finish!: () => void;
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const c: Collecting = {
        routeId,
        states: new Map(),
        final: undefined,
        done: finish,
        grace: undefined,
      };
      this.#collecting = c;
      const timer = ctx.clock.setTimeout(finish, Math.max(0, deadline - ctx.clock.now()));
      const onAbort = () => finish();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.messages++;
        const acked = ctx.request(bootstrap, msg.MessageType.ROUTE, body).then(
          () => true,
          (error: unknown) => {
            finish();
            return error;
          },
        );
        await finished;
        const ok = await acked;
        if (signal?.aborted) throw abortErrorFrom(signal);
        if (ok !== true && !(ok instanceof TimeoutError)) throw ok;
        if (c.final !== undefined) {
          return [...c.states.entries()].sort((x, y) => x[0] - y[0]).map((e) => e[1]);
        }
        if (ok === true || attempt >= ATTEMPTS || ctx.clock.now() >= deadline) {
          throw new TimeoutError(
            ok === true
              ? 'join timed out (no state from the closest node)'
              : 'bootstrap did not answer',
          );
        }
      } finally {
        ctx.clock.clearTimeout(timer);
        ctx.clock.clearTimeout(c.grace);
        signal?.removeEventListener('abort', onAbort);
        this.#collecting = undefined;
      }
    }
  }

  /** X's first tables, from the route's states (rows by variant, A's neighbours, Z's leaves). */
  #build(states: { sender: Peer; join: msg.JoinState }[]): void {
    const ctx = this.#ctx;
    const variant = ctx.options.join;
    for (const { sender, join } of states) {
      ctx.consider(sender, Number.NaN);
      for (const row of join.state.rows) {
        if (variant === 'sl' && row.index !== Math.min(join.position, lastRow(ctx, sender))) {
          continue;
        }
        for (const p of row.entries) if (p !== undefined) this.#offer(p);
      }
      for (const p of join.state.leaves) this.#offer(p);
      for (const p of join.state.neighbors) this.#offer(p);
    }
  }

  #offer(p: Peer, rtt = Number.NaN): void {
    const ctx = this.#ctx;
    if (ctx.accept(p) && !ctx.dead(p)) ctx.consider(p, rtt);
  }

  /**
   * The second stage ('wtf'): ask every node of the table (for its row) and of the neighbourhood
   * set (for its valid rows), measure each node found and each current entry, keep the closest.
   */
  async #secondStage(): Promise<void> {
    const ctx = this.#ctx;
    const state = ctx.state;
    const s = ctx.space;
    const asks: { peer: Peer; first: number; last: number }[] = [];
    for (let l = 0; l < state.table.height; l++) {
      for (const p of state.table.row(l))
        if (p !== undefined) asks.push({ peer: p, first: l, last: l });
    }
    for (const p of state.neighborhood.peers) {
      asks.push({
        peer: p,
        first: 0,
        last: Math.min(s.sharedPrefixLength(p.id, state.self.id), s.digits - 1),
      });
    }
    const found = new Map<string, Peer>();
    for (const p of state.known()) found.set(p.key, p);
    await Promise.all(
      asks.map(async ({ peer, first, last }) => {
        this.messages++;
        try {
          const body = await ctx.request(
            peer.address,
            msg.MessageType.STATE,
            msg.encodeStateRequest({ parts: msg.PART_ROWS, firstRow: first, lastRow: last }),
          );
          for (const row of msg.decodeState(body, ctx.limits).rows) {
            for (const p of row.entries) {
              if (p !== undefined && !found.has(p.key) && ctx.accept(p)) found.set(p.key, p);
            }
          }
        } catch (error) {
          if (error instanceof TimeoutError) ctx.peerFailed(peer);
          else ctx.warn(error);
        }
      }),
    );
    // Measure every candidate that could take a slot, and every current entry.
    const self = state.self;
    await Promise.all(
      [...found.values()].map(async (p) => {
        if (p.key === self.key || ctx.dead(p)) return;
        this.messages++;
        try {
          const rtt = await ctx.ping(p);
          ctx.consider(p, rtt);
        } catch (error) {
          if (error instanceof TimeoutError) ctx.peerFailed(p);
        }
      }),
    );
  }

  /** Tells every known node about X; their answers (leaf sets) fill gaps in X's leaf set. */
  async #announce(): Promise<void> {
    const ctx = this.#ctx;
    const state = ctx.state;
    const body = msg.encodePeers(state.leaf.members(), ctx.space);
    await Promise.all(
      state.known().map(async (p) => {
        this.messages++;
        try {
          const reply = await ctx.request(p.address, msg.MessageType.ANNOUNCE, body);
          for (const q of msg.decodePeers(reply, ctx.limits)) {
            if (state.leaf.admits(q) && ctx.accept(q) && !ctx.dead(q)) {
              this.messages++;
              const rtt = await ctx.ping(q).catch(() => Number.NaN);
              if (!Number.isNaN(rtt)) ctx.consider(q, rtt);
            }
          }
        } catch (error) {
          if (error instanceof TimeoutError) ctx.peerFailed(p);
          else ctx.warn(error);
        }
      }),
    );
  }
}

/** The last row of `sender`'s table valid for this node: their shared prefix length. */
function lastRow(ctx: Context, sender: Peer): number {
  return Math.min(ctx.space.sharedPrefixLength(sender.id, ctx.state.self.id), ctx.space.digits - 1);
}

/**
 * A JOIN for X passes through this node (at `route.hops` on its route): send X the rows of our
 * table valid for X (those up to our shared prefix), our neighbourhood set if we are the first
 * node (A), our leaf set if we are the last (Z).
 */
export function sendJoinState(ctx: Context, joiner: Peer, route: msg.Route, final: boolean): void {
  const state = ctx.state;
  const rows = state.table.filledRows(0, lastRow(ctx, joiner));
  const first = route.hops === 0;
  const join: msg.JoinState = {
    flags: (first ? msg.JOIN_FIRST : 0) | (final ? msg.JOIN_FINAL : 0),
    position: route.hops,
    routeId: route.routeId,
    state: {
      rows,
      leaves: final ? [...state.leaf.members()] : [],
      neighbors: first ? [...state.neighborhood.peers] : [],
    },
  };
  ctx.notify(joiner.address, msg.MessageType.JOIN_STATE, msg.encodeJoinState(join, ctx.space));
}
