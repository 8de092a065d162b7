/**
 * Keeping the soft state alive (§2.1 and §2.3 of the paper): joining through any member, the
 * gossip round (heartbeat, expiry, rationed messages to spatially chosen targets, RTT probes),
 * the handlers of PING, GOSSIP, JOIN and LEAVE, and a graceful leave. The node hands this
 * module its internals through `MembershipHost`.
 */
import {
  type Address,
  formatAddress,
  isP2PError,
  P2PError,
  type RpcRequest,
  sameAddress,
  throwIfAborted,
} from '@p2pkit/core';
import { applyEntries, buildGossip, joinSeed, pickTargets } from './gossip.js';
import type { NodeInternals } from './host.js';
import * as msg from './messages.js';
import type { Member } from './state-entries.js';

/** What membership needs from its node. */
export interface MembershipHost extends NodeInternals {
  readonly running: boolean;
  /** Bytes of this node's envelope header (the gossip byte budget counts them). */
  readonly overhead: number;
  /** True when a JOIN must announce our k (set by the user, or we are in a system already). */
  readonly announcesGroups: boolean;
  /** Starts the next round's heartbeat and returns it. */
  beat(): number;
  /** Takes the system's k: a fresh, empty soft state. Throws when this node may not. */
  adopt(groups: number, from: Address): void;
  warn(error: unknown): void;
  bad(error: unknown, r: RpcRequest): void;
  log(message: string, ...args: unknown[]): void;
}

/** Bytes a JOIN reply's entries may take (a UDP datagram; loopback and LANs carry it). */
const JOIN_REPLY_BYTES = 32 * 1024;
/** Every this many rounds, one node whose entry timed out is probed (partition healing). */
const LOST_PROBE_ROUNDS = 5;
/** A home refreshes each of its filetuples this many times per file timeout. */
const FILE_REFRESHES = 5;
/** How long a leaving node waits between its LEAVE datagrams and closing its socket. */
const LEAVE_FLUSH_MS = 20;

export class Membership {
  readonly #host: MembershipHost;
  /**
   * LEAVE is sent: no more rounds. A round after it would gossip a newer heartbeat than the
   * LEAVE carried, and every node it reached would take us back (a tombstone only hides
   * heartbeats up to the LEAVE's) and keep us until we time out.
   */
  #left = false;

  constructor(host: MembershipHost) {
    this.#host = host;
  }

  // ---- join -----------------------------------------------------------------------------------

  /**
   * Joins the system through any member: its reply seeds the view, contacts and filetuples;
   * when the introducer is in another group, a member of our own group is asked as well, so
   * that our group learns of us at once and we get its filetuples. Gossip does the rest.
   */
  async join(introducer: Address, signal: AbortSignal | undefined): Promise<void> {
    const h = this.#host;
    const k = await this.#joinVia(introducer, signal);
    const state = h.state;
    if (state.groupOf(introducer, formatAddress(introducer)) !== state.group) {
      const ours = state.viewList.items;
      for (const m of ours.length > 0 ? h.random.shuffle(ours.slice()).slice(0, 2) : []) {
        try {
          await this.#joinVia(m.address, signal);
          break;
        } catch (error) {
          if (isP2PError(error, 'ERR_ABORTED')) throw error;
        }
      }
    }
    h.log('joined via %s: k=%d, %d entries', formatAddress(introducer), k, state.entries);
  }

  async #joinVia(to: Address, signal: AbortSignal | undefined): Promise<number> {
    const h = this.#host;
    throwIfAborted(signal);
    const started = h.clock.now();
    const response = await h.rpc.request(
      to,
      msg.MessageType.JOIN,
      msg.encodeJoin(h.announcesGroups ? h.groups : 0),
      { signal, timeoutMs: h.options.rpcTimeoutMs * 2, retries: 2 },
    );
    const reply = msg.decodeJoinReply(response.body);
    if (reply.groups !== h.groups) h.adopt(reply.groups, to);
    const now = h.clock.now();
    const state = h.state;
    state.heard({ address: to, heartbeat: reply.heartbeat, ageMs: 0 }, now);
    state.measured(formatAddress(to), now - started);
    applyEntries(state, reply.members, reply.tuples, now);
    return reply.groups;
  }

  // ---- the gossip round -------------------------------------------------------------------------

  /**
   * One round: a new heartbeat, expired entries dropped, our files' filetuples refreshed when
   * due (five times per file timeout), one
   * rationed message to `groupTargets` members and one to `contactTargets` contacts (drawn
   * ∝ 1/rtt^r), and RTT probes.
   */
  round(): void {
    const h = this.#host;
    if (!h.running || this.#left) return;
    const o = h.options;
    const state = h.state;
    const now = h.clock.now();
    const hb = h.beat();
    h.stats.rounds++;
    // Members whose heartbeats timed out are probed before they are dropped.
    for (const m of state.expire(now)) this.#probe(m.address, m.key);
    const refresh = o.fileTimeoutMs / FILE_REFRESHES;
    for (const name of h.store.names()) state.refreshHomed(name, hb, now, refresh);
    const random = h.random;
    const groupTargets = pickTargets(state.viewList.items, o.groupTargets, o.rttExponent, random);
    if (groupTargets.length > 0) {
      const body = msg.encodeGossip(buildGossip(state, o, hb, now, random, true, h.overhead));
      for (const m of groupTargets) this.#send(m.address, body);
    }
    const contactTargets = pickTargets(
      state.contactList.items,
      o.contactTargets,
      o.rttExponent,
      random,
    );
    if (contactTargets.length > 0) {
      const body = msg.encodeGossip(buildGossip(state, o, hb, now, random, false, h.overhead));
      for (const m of contactTargets) this.#send(m.address, body);
    }
    for (let i = 0; i < o.pingsPerRound; i++) {
      const target = this.#probeTarget();
      if (target !== undefined) this.#probe(target.address, target.key);
    }
    // Now and then, a node whose entry timed out: after a partition heals, one answer is
    // enough for gossip to merge the two halves again.
    if (h.stats.rounds % LOST_PROBE_ROUNDS === 0) {
      const lost = state.pickLost(random);
      if (lost !== undefined) this.#probe(lost, formatAddress(lost));
    }
  }

  #send(to: Address, body: Uint8Array): void {
    const h = this.#host;
    try {
      h.rpc.notify(to, msg.MessageType.GOSSIP, body);
      h.stats.gossipSent++;
    } catch (error) {
      h.warn(error);
    }
  }

  /** An unmeasured contact, else a candidate, else an unmeasured view member (p2psim pings one). */
  #probeTarget(): Member | undefined {
    const h = this.#host;
    const state = h.state;
    const random = h.random;
    const unmeasured = (list: readonly Member[]) => {
      for (let i = 0; i < 4 && list.length > 0; i++) {
        const m = list[random.int(list.length)]!;
        if (Number.isNaN(m.rttMs)) return m;
      }
      return undefined;
    };
    const contact = unmeasured(state.contactList.items);
    if (contact !== undefined) return contact;
    if (state.candidates.size > 0) {
      let skip = random.int(state.candidates.size);
      for (const m of state.candidates.values()) if (skip-- === 0) return m;
    }
    return unmeasured(state.viewList.items);
  }

  #probe(address: Address, key: string): void {
    const h = this.#host;
    const started = h.clock.now();
    h.rpc.request(address, msg.MessageType.PING, msg.EMPTY).then(
      (response) => {
        if (!h.running) return;
        const pong = msg.decodePong(response.body);
        if (pong.groups !== h.groups) return;
        const now = h.clock.now();
        h.state.heard({ address, heartbeat: pong.heartbeat, ageMs: 0 }, now);
        h.state.measured(key, now - started);
      },
      (error) => {
        if (!h.running) return;
        if (isP2PError(error, 'ERR_TIMEOUT')) {
          h.stats.timeouts++;
          h.state.unanswered(key, h.options.rpcTimeoutMs);
        } else h.warn(error);
      },
    );
  }

  // ---- handlers ---------------------------------------------------------------------------------

  onPing(r: RpcRequest): Uint8Array {
    const h = this.#host;
    msg.decodeEmpty(r.body);
    return msg.encodePong({ groups: h.groups, heartbeat: h.heartbeat });
  }

  onGossip(r: RpcRequest): Uint8Array {
    const h = this.#host;
    h.stats.gossipReceived++;
    let gossip: msg.Gossip;
    try {
      gossip = msg.decodeGossip(r.body);
    } catch (error) {
      h.bad(error, r);
      return msg.EMPTY;
    }
    if (gossip.groups !== h.groups) {
      h.stats.mismatched++;
      return msg.EMPTY;
    }
    const now = h.clock.now();
    // The sender's own entry counts only when it claims the address the bytes came from: a
    // node cannot speak for another (or plant itself in another group) with a forged sender.
    if (sameAddress(r.sender.address, r.from)) {
      h.state.heard({ address: r.from, heartbeat: gossip.heartbeat, ageMs: 0 }, now);
    }
    applyEntries(h.state, gossip.members, gossip.tuples, now);
    return msg.EMPTY;
  }

  onJoin(r: RpcRequest): Uint8Array {
    const h = this.#host;
    const k = msg.decodeJoin(r.body);
    if (k !== 0 && k !== h.groups) {
      throw new P2PError(`this system has k=${h.groups} groups, not ${k}`, 'ERR_GROUPS_MISMATCH');
    }
    const state = h.state;
    const now = h.clock.now();
    let joinerGroup = -1;
    if (sameAddress(r.sender.address, r.from)) {
      state.heard({ address: r.from, heartbeat: 0, ageMs: 0 }, now);
      joinerGroup = state.groupOf(r.from, formatAddress(r.from));
    }
    const seed = joinSeed(state, r.from, joinerGroup, now, JOIN_REPLY_BYTES);
    return msg.encodeJoinReply({
      groups: h.groups,
      heartbeat: h.heartbeat,
      members: seed.members,
      tuples: seed.tuples,
    });
  }

  onLeave(r: RpcRequest): Uint8Array {
    const h = this.#host;
    let heartbeat: number;
    try {
      heartbeat = msg.decodeLeave(r.body);
    } catch (error) {
      h.bad(error, r);
      return msg.EMPTY;
    }
    if (sameAddress(r.sender.address, r.from)) {
      h.state.departed(r.from, heartbeat, h.clock.now());
    }
    return msg.EMPTY;
  }

  // ---- leave ------------------------------------------------------------------------------------

  /**
   * A graceful departure: every stored file moves to another member of our group (which
   * becomes its homenode and gossips the new filetuple), then the view and contacts hear
   * LEAVE, so they drop us at once instead of after a timeout. The caller stops the node.
   */
  async leave(signal: AbortSignal | undefined): Promise<void> {
    const h = this.#host;
    const state = h.state;
    const members = state.viewList.items.slice();
    for (const [name, value] of [...h.store.entries()]) {
      for (const m of h.random.shuffle(members.slice()).slice(0, 3)) {
        try {
          await h.rpc.request(m.address, msg.MessageType.STORE, msg.encodeStore({ name, value }), {
            signal,
          });
          break;
        } catch (error) {
          if (isP2PError(error, 'ERR_ABORTED')) throw error;
        }
      }
    }
    this.#left = true;
    const body = msg.encodeLeave(h.heartbeat);
    for (const m of [...state.viewList.items, ...state.contactList.items]) {
      try {
        h.rpc.notify(m.address, msg.MessageType.LEAVE, body);
      } catch (error) {
        h.warn(error);
      }
    }
    // Node's UDP socket drops sends still queued when it closes: give them a moment to leave.
    await h.clock.sleep(LEAVE_FLUSH_MS);
  }
}
