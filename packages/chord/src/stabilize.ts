/**
 * Periodic repair (ToN 2003 Fig. 6): stabilize, fix_fingers, check_predecessor, plus the ring
 * merge check that heals partitions. Each runs on its own jittered timer; a round never overlaps
 * the previous one of its kind.
 */
import {
  type Clock,
  type Id,
  P2PError,
  type Random,
  TimeoutError,
  type TimerHandle,
} from '@p2pkit/core';
import type { RouteResult } from './lookup.js';
import * as msg from './messages.js';
import type { Peer } from './peer.js';
import type { RoutingTable } from './routing.js';

/** What maintenance needs from its node. */
export interface MaintenanceHost {
  readonly clock: Clock;
  readonly random: Random;
  readonly table: RoutingTable;
  readonly limits: msg.WireLimits;
  readonly running: boolean;
  readonly options: {
    stabilizeMs: number;
    fixFingersMs: number;
    checkPredecessorMs: number;
    mergeMs: number;
    jitter: number;
    fingersPerRound: number;
    lookupTimeoutMs: number;
  };
  request(to: Peer, type: number, body: Uint8Array): Promise<Uint8Array>;
  notify(to: Peer, type: number, body: Uint8Array): void;
  /** An iterative lookup, from `via` instead of our own table when given. */
  routeVia(key: Id, via: Peer[] | undefined): Promise<RouteResult>;
  accept(peer: Peer): boolean;
  setSuccessors(list: Peer[]): void;
  peerFailed(peer: Peer, force: boolean): void;
  /** Runs after each check_predecessor round (housekeeping: tombstones). */
  tidy(): void;
  /** The peer this node joined through, if any. */
  readonly bootstrap: Peer | undefined;
  warn(error: unknown): void;
}

/** Peers declared dead that the merge check tries again, at most this many. */
const GRAVEYARD = 16;
/** Merge attempts through one dead peer before it is forgotten. */
const MERGE_ATTEMPTS = 8;

interface Grave {
  peer: Peer;
  attempts: number;
}
/** The empty graveyard every node starts with: only `set` would change it, and none does. */
const NO_GRAVES: Map<string, Grave> = new Map();

export class Maintenance {
  readonly #h: MaintenanceHost;
  readonly #timers: (TimerHandle | undefined)[] = [undefined, undefined, undefined, undefined];
  /** Peers we declared dead, oldest first, with failed merge attempts. */
  // Shared and empty until the first dead peer is buried.
  #graveyard: Map<string, Grave> = NO_GRAVES;
  #stabilizing = false;
  #fixing = false;

  constructor(host: MaintenanceHost) {
    this.#h = host;
  }

  /** Arms the periodic rounds. */
  start(): void {
    const o = this.#h.options;
    this.#schedule(0, o.stabilizeMs, () => this.stabilize());
    this.#schedule(1, o.fixFingersMs, () => this.fixFingers());
    this.#schedule(2, o.checkPredecessorMs, () => this.checkPredecessor());
    if (o.mergeMs > 0) this.#schedule(3, o.mergeMs, () => this.mergeCheck());
  }

  /** Cancels every timer (throws nothing, even on a crashed simulated host). */
  stop(): void {
    try {
      for (const t of this.#timers) this.#h.clock.clearTimeout(t);
    } catch {
      // The host is gone, and its timers with it.
    }
    this.#timers.fill(undefined);
    this.#graveyard.clear();
  }

  /** Remembers a peer that failed, for the merge check. */
  buried(peer: Peer): void {
    if (this.#h.options.mergeMs <= 0 || this.#graveyard.has(peer.key)) return;
    if (this.#graveyard.size >= GRAVEYARD)
      this.#graveyard.delete(this.#graveyard.keys().next().value!);
    if (this.#graveyard === NO_GRAVES) this.#graveyard = new Map();
    this.#graveyard.set(peer.key, { peer, attempts: 0 });
  }

  #schedule(slot: number, mean: number, round: () => Promise<void>): void {
    const h = this.#h;
    if (!h.running) return;
    const j = h.options.jitter;
    const delay = mean * (1 - j + 2 * j * h.random.float());
    this.#timers[slot] = h.clock.setTimeout(() => {
      this.#timers[slot] = undefined;
      round().then(
        () => this.#schedule(slot, mean, round),
        (error: unknown) => {
          h.warn(error);
          this.#schedule(slot, mean, round);
        },
      );
    }, delay);
  }

  /**
   * stabilize: ask the successor for its predecessor and successor list; adopt the predecessor
   * if it sits between us; copy the list; notify the successor. A successor that does not
   * answer is dropped and the next live entry of the list takes its place.
   */
  async stabilize(): Promise<void> {
    const h = this.#h;
    if (!h.running || this.#stabilizing) return;
    this.#stabilizing = true;
    try {
      const t = h.table;
      for (;;) {
        const succ = t.successors[0];
        if (succ === undefined) {
          // Alone: a predecessor that notified us is the other half of a ring of two.
          if (t.predecessor) h.setSuccessors([t.predecessor]);
          else return;
          continue;
        }
        let n: msg.Neighbors;
        try {
          n = msg.decodeNeighbors(
            await h.request(succ, msg.MessageType.NEIGHBORS, msg.EMPTY),
            h.limits,
          );
        } catch (error) {
          if (!isFailure(error)) throw error;
          h.peerFailed(succ, true);
          if (t.successors.length === 0) await this.#rejoin();
          continue;
        }
        if (!h.running) return;
        const x = n.predecessor;
        const list = [succ, ...n.successors];
        if (x !== undefined && t.space.inOpen(x.id, t.self.id, succ.id) && h.accept(x))
          list.unshift(x);
        h.setSuccessors(list.filter((p, i) => i === 0 || p === succ || h.accept(p)));
        h.notify(t.successors[0] ?? succ, msg.MessageType.NOTIFY, msg.EMPTY);
        return;
      }
    } finally {
      this.#stabilizing = false;
    }
  }

  /** With every successor gone, find our place again through any peer we still know. */
  async #rejoin(): Promise<void> {
    const h = this.#h;
    const t = h.table;
    // Anyone we still know, then the peers we gave up on (they may be back), then the node we
    // joined through.
    const known = [...t.fingers, ...(t.predecessor ? [t.predecessor] : [])];
    for (const { peer } of this.#graveyard.values()) known.push(peer);
    const bootstrap = h.bootstrap;
    if (bootstrap) known.push(bootstrap);
    const tried = new Set<string>();
    for (const via of known) {
      if (tried.has(via.key) || via.key === t.self.key) continue;
      tried.add(via.key);
      try {
        const r = await h.routeVia(t.self.id, [via]);
        // If the ring still has us (we own our id), the candidates after us are our successors.
        const list = [r.owner, ...(r.alternates ?? [])].filter((p) => p.key !== t.self.key);
        if (list.length > 0) h.setSuccessors(list);
        return;
      } catch {
        h.peerFailed(via, false);
      }
    }
  }

  /** fix_fingers: refresh the next finger slot(s) by a lookup of their start. */
  async fixFingers(): Promise<void> {
    const h = this.#h;
    if (!h.running || this.#fixing) return;
    this.#fixing = true;
    try {
      const t = h.table;
      const limit = Math.min(h.options.fingersPerRound, h.limits.m);
      let first = -1;
      for (let i = 0; i < limit; i++) {
        const next = t.nextFingerToFix();
        if (next === undefined || next.index === first) break;
        if (first === -1) first = next.index;
        let owner: Peer;
        try {
          ({ owner } = await h.routeVia(next.start, undefined));
        } catch (error) {
          if (!h.running) return;
          h.warn(error);
          t.nextFinger = next.index + 1;
          continue;
        }
        if (!h.running) return;
        t.fixFinger(next.start, owner);
        t.advanceFinger(next.index, owner);
        if (t.nextFinger <= next.index) break; // wrapped: every slot refreshed this round
      }
    } finally {
      this.#fixing = false;
    }
  }

  /**
   * Ring merge: look our own id up through a peer we once declared dead. If it is alive and
   * knows a successor of ours closer than the one we have (it lives in another ring, formed
   * during a partition), adopt it; stabilization then zips the two rings together.
   */
  async mergeCheck(): Promise<void> {
    const h = this.#h;
    if (!h.running) return;
    const first = this.#graveyard.entries().next();
    if (first.done) return;
    const [key, entry] = first.value;
    this.#graveyard.delete(key);
    const t = h.table;
    let owner: Peer;
    try {
      ({ owner } = await h.routeVia(t.self.id, [entry.peer]));
    } catch {
      if (++entry.attempts < MERGE_ATTEMPTS && h.running) this.#graveyard.set(key, entry);
      return;
    }
    if (!h.running || owner.key === t.self.key) return;
    const succ = t.successors[0];
    if (succ === undefined || t.space.inOpen(owner.id, t.self.id, succ.id)) {
      h.setSuccessors([owner, ...t.successors]);
      h.notify(owner, msg.MessageType.NOTIFY, msg.EMPTY);
    }
  }

  /** check_predecessor (ToN): forget a predecessor that does not answer a ping. */
  async checkPredecessor(): Promise<void> {
    const h = this.#h;
    const p = h.table.predecessor;
    if (!h.running) return;
    if (p !== undefined) {
      try {
        msg.decodeEmpty(await h.request(p, msg.MessageType.PING, msg.EMPTY));
      } catch (error) {
        if (!isFailure(error)) throw error;
        if (h.table.predecessor === p) h.peerFailed(p, true);
      }
    }
    h.tidy();
  }
}

/** Errors that mean "that peer is unreachable or broken", as opposed to our own bugs. */
export function isFailure(error: unknown): boolean {
  return (
    error instanceof TimeoutError ||
    (error instanceof P2PError &&
      (error.code === 'ERR_HOST_UNREACHABLE' ||
        error.code === 'ERR_CONNECTION_REFUSED' ||
        error.code === 'ERR_REMOTE' ||
        error.code === 'ERR_DECODE'))
  );
}
