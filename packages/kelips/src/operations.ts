/**
 * Lookups and inserts (§2.2 of the paper), both ends: the querier that asks a contact of the
 * file's affinity group and retries through other contacts and its own group, and the handlers
 * of LOOKUP, INSERT, STORE and FETCH on the nodes it asks. The node hands this module its
 * internals through `OperationsHost`.
 */
import { type Address, isP2PError, P2PError, type RpcRequest, sameAddress } from '@p2pkit/core';
import { groupOfName } from './groups.js';
import type { NodeInternals } from './host.js';
import * as msg from './messages.js';
import type { Member } from './state-entries.js';
import type { InsertAnswer, LookupAnswer, OperationOptions } from './types.js';
import { checkName } from './wire.js';

/** What the operations need from their node. */
export interface OperationsHost extends NodeInternals {
  readonly address: Address;
  /** Client mode: every operation goes through this member. */
  readonly gateway: Address | undefined;
  checkRunning(): void;
  /** The deadline of an operation started now. */
  deadline(options: OperationOptions): number;
  /** Throws when aborted, past the deadline, or stopped. */
  checkDeadline(deadline: number, signal: AbortSignal | undefined): void;
  /** A peer answered a request sent at `started`: its RTT is measured. */
  answered(to: Address, started: number): void;
  /** A request failed; true when it timed out. Aborts are rethrown. */
  failed(error: unknown, to: Address): boolean;
}

export class Operations {
  readonly #host: OperationsHost;

  constructor(host: OperationsHost) {
    this.#host = host;
  }

  // ---- lookups --------------------------------------------------------------------------------

  /**
   * Finds the homenode of `name`: one RPC to the closest contact of the file's affinity group;
   * when it fails or does not know, the other contacts in turn, then a member of our own group
   * (which has other contacts), up to `tries` nodes. Resolves with `home` undefined when none
   * knew the file.
   */
  async lookup(name: string, options: OperationOptions = {}): Promise<LookupAnswer> {
    const h = this.#host;
    h.checkRunning();
    checkName(name);
    h.stats.lookups++;
    const deadline = h.deadline(options);
    const o = h.options;
    if (h.gateway === undefined) {
      const state = h.state;
      const g = groupOfName(name, h.groups);
      if (g === state.group) {
        const home = state.homeOf(name);
        if (home !== undefined) return { home, hops: 0, tries: 0, timeouts: 0 };
      }
    }
    let tries = 0;
    let timeouts = 0;
    for (const { to, ttl } of this.#route(name, o.lookupTtl)) {
      if (tries >= o.tries) break;
      h.checkDeadline(deadline, options.signal);
      tries++;
      const started = h.clock.now();
      try {
        const response = await h.rpc.request(
          to,
          msg.MessageType.LOOKUP,
          msg.encodeLookup({ ttl, name }),
          { signal: options.signal, timeoutMs: o.rpcTimeoutMs * (ttl + 1) },
        );
        h.answered(to, started);
        const reply = msg.decodeLookupReply(response.body);
        if (reply.home !== undefined) {
          return { home: reply.home, hops: 1 + reply.hops, tries, timeouts };
        }
      } catch (error) {
        if (h.failed(error, to)) timeouts++;
      }
    }
    h.stats.lookupFailures++;
    return { home: undefined, hops: 0, tries, timeouts };
  }

  /**
   * The nodes an operation on `name` asks in turn, each with the TTL to give it: the contacts
   * of the file's group closest first (or, in our own group, random members), then members of
   * our own group as proxies (one more TTL, to reach their contact). A client asks its gateway.
   */
  *#route(name: string, ttl: number): Generator<{ to: Address; ttl: number }> {
    const h = this.#host;
    if (h.gateway !== undefined) {
      for (;;) yield { to: h.gateway, ttl: ttl + 1 };
    }
    const state = h.state;
    const g = groupOfName(name, h.groups);
    const random = h.random;
    const tried = new Set<string>();
    if (g === state.group) {
      for (const m of state.proxies(random, h.options.rpcTimeoutMs, h.clock.now())) {
        tried.add(m.key);
        yield { to: m.address, ttl };
      }
      return;
    }
    for (const m of state.contactsByDistance(g, random)) {
      if (tried.has(m.key)) continue;
      tried.add(m.key);
      yield { to: m.address, ttl };
    }
    // Contacts that answered since (a timeout promotes a candidate) before any proxy.
    for (const m of state.contactsByDistance(g, random)) {
      if (tried.has(m.key)) continue;
      tried.add(m.key);
      yield { to: m.address, ttl };
    }
    for (const m of state.proxies(random, h.options.rpcTimeoutMs, h.clock.now())) {
      yield { to: m.address, ttl: ttl + 1 };
    }
  }

  /** Reads a file: finds its homenode, then fetches it there (undefined: not found). */
  async get(name: string, options: OperationOptions = {}): Promise<Uint8Array | undefined> {
    const h = this.#host;
    const deadline = h.deadline(options);
    const answer = await this.lookup(name, options);
    if (answer.home === undefined) return undefined;
    if (h.rpc !== undefined && sameAddress(answer.home, h.rpc.address)) {
      return h.store.get(name)?.slice();
    }
    h.checkDeadline(deadline, options.signal);
    const response = await h.rpc.request(
      answer.home,
      msg.MessageType.FETCH,
      msg.encodeFetch(name),
      { signal: options.signal },
    );
    const value = msg.decodeFetchReply(response.body, h.options.maxValueSize);
    return value?.slice();
  }

  // ---- inserts --------------------------------------------------------------------------------

  /**
   * Inserts a file (§2.2): hash the name to its group, send it to the closest contact there,
   * which picks a random member of its group as homenode and stores the file on it; the new
   * filetuple then spreads by gossip. A failed try goes to the next contact, up to `tries`.
   */
  async insert(
    name: string,
    value: Uint8Array | string,
    options: OperationOptions = {},
  ): Promise<InsertAnswer> {
    const h = this.#host;
    h.checkRunning();
    checkName(name);
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    if (bytes.length > h.options.maxValueSize) {
      throw new P2PError(
        `value of ${bytes.length} bytes above maxValueSize ${h.options.maxValueSize}`,
        'ERR_INVALID_ARGUMENT',
      );
    }
    h.stats.inserts++;
    const deadline = h.deadline(options);
    const o = h.options;
    let tries = 0;
    let last: unknown;
    if (h.gateway === undefined && groupOfName(name, h.groups) === h.state.group) {
      // Our own group: this node is the contact.
      tries++;
      try {
        const home = await this.#placeHome(name, bytes, options.signal);
        return { home, hops: sameAddress(home, h.address) ? 0 : 1, tries };
      } catch (error) {
        if (isP2PError(error, 'ERR_ABORTED')) throw error;
        last = error;
      }
    }
    for (const { to, ttl } of this.#route(name, 0)) {
      if (tries >= o.insertTries) break;
      h.checkDeadline(deadline, options.signal);
      tries++;
      const started = h.clock.now();
      try {
        const response = await h.rpc.request(
          to,
          msg.MessageType.INSERT,
          msg.encodeInsert({ ttl, name, value: bytes }),
          { signal: options.signal, timeoutMs: o.rpcTimeoutMs * (o.storeAttempts + 1 + ttl) },
        );
        h.answered(to, started);
        const reply = msg.decodeInsertReply(response.body);
        return { home: reply.home, hops: 1 + reply.hops, tries };
      } catch (error) {
        h.failed(error, to);
        last = error;
      }
    }
    h.stats.insertFailures++;
    throw new P2PError(
      `insert of ${name} failed after ${tries} tries${last instanceof Error ? `: ${last.message}` : ''}`,
      'ERR_INSERT_FAILED',
      { cause: last },
    );
  }

  /**
   * The contact's part of an insert: a random member of our group (ourselves included) becomes
   * the homenode; if it does not answer, another, up to storeAttempts.
   */
  async #placeHome(name: string, value: Uint8Array, signal?: AbortSignal): Promise<Address> {
    const h = this.#host;
    const state = h.state;
    const o = h.options;
    const now = () => h.clock.now();
    const members = state.viewList.items;
    const tried = new Set<Member>();
    let last: unknown;
    for (let attempt = 0; attempt < o.storeAttempts; attempt++) {
      const pick = h.random.int(members.length + 1);
      const member = pick < members.length ? members[pick]! : undefined;
      if (member === undefined || tried.size >= members.length) {
        h.store.put(name, value);
        state.homed(name, h.heartbeat, now());
        return h.address;
      }
      if (tried.has(member)) continue;
      tried.add(member);
      const started = now();
      try {
        await h.rpc.request(
          member.address,
          msg.MessageType.STORE,
          msg.encodeStore({ name, value }),
          { signal },
        );
        h.answered(member.address, started);
        state.heardTuple(
          { name, home: member.address, heartbeat: member.heartbeat, ageMs: 0 },
          now(),
        );
        return member.address;
      } catch (error) {
        if (isP2PError(error, 'ERR_ABORTED')) throw error;
        h.failed(error, member.address);
        last = error;
      }
    }
    throw new P2PError(
      `no home for ${name} in group ${state.group}${last instanceof Error ? `: ${last.message}` : ''}`,
      'ERR_NO_HOME',
      { cause: last },
    );
  }

  // ---- handlers ----------------------------------------------------------------------------

  async onLookup(r: RpcRequest): Promise<Uint8Array> {
    const h = this.#host;
    const q = msg.decodeLookup(r.body);
    const state = h.state;
    const g = groupOfName(q.name, h.groups);
    if (g === state.group) {
      const home = state.homeOf(q.name);
      if (home !== undefined) return msg.encodeLookupReply({ home, hops: 0 });
    }
    if (q.ttl === 0) return msg.encodeLookupReply({ home: undefined, hops: 0 });
    // Forward once: inside the group (a member that may have heard of the file already), or,
    // from outside it, to our closest contact there. One next hop, tried in turn.
    const next =
      g === state.group
        ? state
            .proxies(h.random, h.options.rpcTimeoutMs, h.clock.now())
            .filter((m) => !sameAddress(m.address, r.from))
            .slice(0, 2)
        : state.contactsByDistance(g, h.random);
    for (const m of next) {
      const started = h.clock.now();
      try {
        const response = await h.rpc.request(
          m.address,
          msg.MessageType.LOOKUP,
          msg.encodeLookup({ ttl: q.ttl - 1, name: q.name }),
          { timeoutMs: h.options.rpcTimeoutMs * q.ttl },
        );
        h.answered(m.address, started);
        const reply = msg.decodeLookupReply(response.body);
        if (reply.home !== undefined) {
          return msg.encodeLookupReply({ home: reply.home, hops: reply.hops + 1 });
        }
        if (g === state.group) continue;
        break;
      } catch (error) {
        h.failed(error, m.address);
      }
    }
    return msg.encodeLookupReply({ home: undefined, hops: 0 });
  }

  async onInsert(r: RpcRequest): Promise<Uint8Array> {
    const h = this.#host;
    const q = msg.decodeInsert(r.body, h.options.maxValueSize);
    const state = h.state;
    const g = groupOfName(q.name, h.groups);
    if (g === state.group) {
      const home = await this.#placeHome(q.name, q.value);
      return msg.encodeInsertReply({ home, hops: sameAddress(home, h.address) ? 0 : 1 });
    }
    if (q.ttl === 0) {
      throw new P2PError(`${q.name} belongs to group ${g}, not ${state.group}`, 'ERR_WRONG_GROUP');
    }
    let last: unknown;
    for (const m of state.contactsByDistance(g, h.random)) {
      const started = h.clock.now();
      try {
        const response = await h.rpc.request(
          m.address,
          msg.MessageType.INSERT,
          msg.encodeInsert({ ttl: q.ttl - 1, name: q.name, value: q.value }),
          { timeoutMs: h.options.rpcTimeoutMs * (h.options.storeAttempts + 1) },
        );
        h.answered(m.address, started);
        const reply = msg.decodeInsertReply(response.body);
        return msg.encodeInsertReply({ home: reply.home, hops: reply.hops + 1 });
      } catch (error) {
        h.failed(error, m.address);
        last = error;
      }
    }
    throw new P2PError(
      `no contact of group ${g} answered${last instanceof Error ? `: ${last.message}` : ''}`,
      'ERR_NO_CONTACT',
    );
  }

  onStore(r: RpcRequest): Uint8Array {
    const h = this.#host;
    const q = msg.decodeStore(r.body, h.options.maxValueSize);
    const state = h.state;
    const g = groupOfName(q.name, h.groups);
    if (g !== state.group) {
      throw new P2PError(`${q.name} belongs to group ${g}, not ${state.group}`, 'ERR_WRONG_GROUP');
    }
    h.store.put(q.name, q.value);
    state.homed(q.name, h.heartbeat, h.clock.now());
    return msg.EMPTY;
  }

  onFetch(r: RpcRequest): Uint8Array {
    const h = this.#host;
    const name = msg.decodeFetch(r.body);
    return msg.encodeFetchReply(h.store.get(name));
  }
}
