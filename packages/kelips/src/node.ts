/**
 * A Kelips node (Gupta, Birman, Linga, Demers, van Renesse, IPTPS 2003): soft state about its
 * affinity group and c contacts per foreign group, kept fresh by heartbeats and rationed
 * epidemic gossip; one-hop lookups through a contact of the file's group, with retries; inserts
 * through a contact that picks a random homenode; join through any member.
 *
 * Everything from the outside world comes from the Runtime, so the same node runs on UDP and in
 * the simulator. Messages are core RPC envelopes over one datagram socket (PROTOCOL.md).
 */
import {
  type Address,
  type Clock,
  createDatagramRpc,
  type DatagramRpc,
  DecodeError,
  Emitter,
  envelopeOverhead,
  formatAddress,
  idToBytes,
  isP2PError,
  type Logger,
  nodeId,
  P2PError,
  type Random,
  type RpcRequest,
  type Runtime,
  sameAddress,
  TimeoutError,
  throwIfAborted,
} from '@p2pkit/core';
import { applyEntries, buildGossip, joinSeed } from './gossip.js';
import {
  infoPage,
  inspectNode,
  type KelipsView,
  localView,
  type MemoryUse,
  memoryOf,
  type PingAnswer,
  pingNode,
} from './inspect.js';
import * as msg from './messages.js';
import { Operations, type OperationsHost } from './operations.js';
import { type KelipsOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { type Member, SoftState } from './state.js';
import { FileStore } from './store.js';

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

export interface KelipsEvents {
  /** A recoverable problem: a bad message, a failed probe. Never fatal. */
  warning: [error: Error];
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

/** Bytes a JOIN reply's entries may take (a UDP datagram; loopback and LANs carry it). */
const JOIN_REPLY_BYTES = 32 * 1024;
/** Every this many rounds, one node whose entry timed out is probed (partition healing). */
const LOST_PROBE_ROUNDS = 5;
/** How long a leaving node waits between its LEAVE datagrams and closing its socket. */
const LEAVE_FLUSH_MS = 20;

export function createKelipsNode(options: KelipsOptions): KelipsNode {
  return new KelipsNode(options);
}

export class KelipsNode extends Emitter<KelipsEvents> {
  readonly options: ResolvedOptions;
  readonly runtime: Runtime;
  readonly stats: KelipsStats = {
    rounds: 0,
    gossipSent: 0,
    gossipReceived: 0,
    lookups: 0,
    lookupFailures: 0,
    inserts: 0,
    insertFailures: 0,
    timeouts: 0,
    badMessages: 0,
    mismatched: 0,
  };
  readonly store: FileStore;
  #logger: Logger | undefined;
  #rpc: DatagramRpc | undefined;
  #state: SoftState | undefined;
  #phase: 'new' | 'running' | 'stopped' = 'new';
  #heartbeat = 0;
  #timer: ReturnType<Clock['setInterval']> | undefined;
  #firstRound: ReturnType<Clock['setTimeout']> | undefined;
  /** k fixed by the user (a mismatch with the system is an error) or taken from the system. */
  readonly #pinned: boolean;
  #groups: number;
  /** Client mode: operations go through this member (see useGateway). */
  #gateway: Address | undefined;
  #overhead = 0;
  #ops: Operations | undefined;

  constructor(options: KelipsOptions) {
    super();
    this.options = resolveOptions(options);
    this.runtime = options.runtime;
    this.#pinned = this.options.groups !== undefined;
    this.#groups = this.options.groups ?? this.options.defaultGroups;
    this.store = new FileStore(this.options.maxStoredBytes);
  }

  /**
   * The node's internals as operations.ts sees them: one object per node whose methods live on
   * the prototype, so that thousands of simulated nodes do not each carry a dozen closures.
   */
  static readonly #Context = class implements OperationsHost {
    readonly node: KelipsNode;

    constructor(node: KelipsNode) {
      this.node = node;
    }

    get rpc(): DatagramRpc {
      return this.node.#rpc!;
    }

    get state(): SoftState {
      return this.node.state;
    }

    get options(): ResolvedOptions {
      return this.node.options;
    }

    get store(): FileStore {
      return this.node.store;
    }

    get stats(): KelipsStats {
      return this.node.stats;
    }

    get clock(): Clock {
      return this.node.runtime.clock;
    }

    get random(): Random {
      return this.node.runtime.random;
    }

    get groups(): number {
      return this.node.#groups;
    }

    get heartbeat(): number {
      return this.node.#heartbeat;
    }

    get address(): Address {
      return this.node.address;
    }

    get gateway(): Address | undefined {
      return this.node.#gateway;
    }

    checkRunning(): void {
      this.node.#checkRunning();
    }

    deadline(options: OperationOptions): number {
      return this.node.#deadline(options);
    }

    checkDeadline(deadline: number, signal: AbortSignal | undefined): void {
      this.node.#checkDeadline(deadline, signal);
    }

    answered(to: Address, started: number): void {
      this.node.#answered(to, started);
    }

    failed(error: unknown, to: Address): boolean {
      return this.node.#failed(error, to);
    }
  };

  get #clock(): Clock {
    return this.runtime.clock;
  }

  get #random(): Random {
    return this.runtime.random;
  }

  /** The bound address (after start()). */
  get address(): Address {
    if (this.#rpc === undefined) throw new P2PError('node not started', 'ERR_NOT_STARTED');
    return this.#rpc.address;
  }

  /** SHA-1("host:port"), 160 bits: the node's id, whose value mod k is its group. */
  get id(): bigint {
    const a = this.address;
    return nodeId(a.host, a.port, 160);
  }

  /** Affinity groups k of the system. */
  get groups(): number {
    return this.#groups;
  }

  /** This node's affinity group. */
  get group(): number {
    return this.state.group;
  }

  get heartbeat(): number {
    return this.#heartbeat;
  }

  get running(): boolean {
    return this.#phase === 'running';
  }

  /** @internal The soft state (tests, scenarios). */
  get state(): SoftState {
    if (this.#state === undefined) throw new P2PError('node not started', 'ERR_NOT_STARTED');
    return this.#state;
  }

  /** Binds the socket and starts the gossip rounds: a system of one until it joins. */
  async start(): Promise<void> {
    if (this.#phase !== 'new') throw new P2PError('node already started', 'ERR_INVALID_STATE');
    const o = this.options;
    const id = new Uint8Array(20);
    const rpc = await createDatagramRpc({
      runtime: this.runtime,
      host: o.host,
      port: o.port,
      self: { id },
      timeoutMs: o.rpcTimeoutMs,
      retries: o.rpcRetries,
    });
    id.set(idToBytes(nodeId(rpc.address.host, rpc.address.port, 160), 160));
    this.#rpc = rpc;
    this.#overhead = envelopeOverhead(rpc.contact);
    this.#state = this.#newState(this.#groups);
    this.#phase = 'running';
    const T = msg.MessageType;
    rpc.handle(T.PING, (r) => this.#onPing(r));
    rpc.handle(T.GOSSIP, (r) => this.#onGossip(r));
    rpc.handle(T.JOIN, (r) => this.#onJoin(r));
    const ops = new Operations(new KelipsNode.#Context(this));
    this.#ops = ops;
    rpc.handle(T.LOOKUP, (r) => ops.onLookup(r));
    rpc.handle(T.INSERT, (r) => ops.onInsert(r));
    rpc.handle(T.STORE, (r) => ops.onStore(r));
    rpc.handle(T.FETCH, (r) => ops.onFetch(r));
    rpc.handle(T.LEAVE, (r) => this.#onLeave(r));
    rpc.handle(T.INFO, (r) => this.#onInfo(r));
    if (o.maintenance) {
      // A random phase, so that nodes started together do not gossip in lockstep.
      this.#firstRound = this.#clock.setTimeout(() => {
        this.#firstRound = undefined;
        if (!this.running) return;
        this.#round();
        this.#timer = this.#clock.setInterval(() => this.#round(), o.roundMs);
      }, this.#random.float() * o.roundMs);
    }
  }

  #newState(k: number): SoftState {
    const o = this.options;
    return new SoftState(this.#rpc!.address, {
      groups: k,
      contacts: o.contacts,
      groupTimeoutMs: o.groupTimeoutMs,
      contactTimeoutMs: o.contactTimeoutMs,
      fileTimeoutMs: o.fileTimeoutMs,
      maxView: o.maxView,
      maxTuples: o.maxTuples,
      maxCandidates: o.maxCandidates,
    });
  }

  /**
   * Joins the system through any member: its reply seeds the view, contacts and filetuples;
   * when the introducer is in another group, a member of our own group is asked as well, so
   * that our group learns of us at once and we get its filetuples. Gossip does the rest.
   */
  async join(introducer: Address, options: OperationOptions = {}): Promise<void> {
    this.#checkRunning();
    const signal = options.signal;
    const reply = await this.#joinVia(introducer, signal);
    const state = this.state;
    if (!sameGroup(introducer, state)) {
      const ours = state.viewList.items;
      for (const m of ours.length > 0 ? this.#random.shuffle(ours.slice()).slice(0, 2) : []) {
        try {
          await this.#joinVia(m.address, signal);
          break;
        } catch (error) {
          if (isP2PError(error, 'ERR_ABORTED')) throw error;
        }
      }
    }
    this.#log('joined via %s: k=%d, %d entries', formatAddress(introducer), reply, state.entries);
  }

  async #joinVia(to: Address, signal: AbortSignal | undefined): Promise<number> {
    throwIfAborted(signal);
    const started = this.#clock.now();
    const response = await this.#rpc!.request(
      to,
      msg.MessageType.JOIN,
      msg.encodeJoin(this.#pinned || this.state.entries > 0 ? this.#groups : 0),
      { signal, timeoutMs: this.options.rpcTimeoutMs * 2, retries: 2 },
    );
    const reply = msg.decodeJoinReply(response.body);
    if (reply.groups !== this.#groups) {
      if (this.#pinned || this.state.entries > 0 || this.store.size > 0) {
        throw new P2PError(
          `the system at ${formatAddress(to)} has k=${reply.groups} groups, this node k=${this.#groups}`,
          'ERR_GROUPS_MISMATCH',
        );
      }
      this.#groups = reply.groups;
      this.#state = this.#newState(reply.groups);
    }
    const now = this.#clock.now();
    const state = this.state;
    state.heard({ address: to, heartbeat: reply.heartbeat, ageMs: 0 }, now);
    state.measured(formatAddress(to), now - started);
    applyEntries(state, reply.members, reply.tuples, now);
    return reply.groups;
  }

  /**
   * Client mode: this node does not join; lookups, inserts and fetches go through `gateway`,
   * a member of the system, which forwards them (the CLI's `--via`).
   */
  useGateway(gateway: Address): void {
    this.#gateway = gateway;
  }

  // ---- the gossip round -----------------------------------------------------------------------

  #round(): void {
    if (!this.running) return;
    const o = this.options;
    const state = this.state;
    const now = this.#clock.now();
    const hb = ++this.#heartbeat;
    this.stats.rounds++;
    state.expire(now);
    for (const name of this.store.names()) state.homed(name, hb, now);
    const random = this.#random;
    const rpc = this.#rpc!;
    const groupTargets = state.pickTargets(
      state.viewList.items,
      o.groupTargets,
      o.rttExponent,
      random,
    );
    if (groupTargets.length > 0) {
      const body = msg.encodeGossip(buildGossip(state, o, hb, now, random, true, this.#overhead));
      for (const m of groupTargets) this.#send(rpc, m.address, body);
    }
    const contactTargets = state.pickTargets(
      state.contactList.items,
      o.contactTargets,
      o.rttExponent,
      random,
    );
    if (contactTargets.length > 0) {
      const body = msg.encodeGossip(buildGossip(state, o, hb, now, random, false, this.#overhead));
      for (const m of contactTargets) this.#send(rpc, m.address, body);
    }
    for (let i = 0; i < o.pingsPerRound; i++) {
      const target = this.#probeTarget();
      if (target !== undefined) this.#probe(target.address, target.key);
    }
    // Now and then, a node whose entry timed out: after a partition heals, one answer is
    // enough for gossip to merge the two halves again.
    if (this.stats.rounds % LOST_PROBE_ROUNDS === 0) {
      const lost = state.pickLost(random);
      if (lost !== undefined) this.#probe(lost, formatAddress(lost));
    }
  }

  #send(rpc: DatagramRpc, to: Address, body: Uint8Array): void {
    try {
      rpc.notify(to, msg.MessageType.GOSSIP, body);
      this.stats.gossipSent++;
    } catch (error) {
      this.#warn(error);
    }
  }

  /** An unmeasured contact, else a candidate, else an unmeasured view member (p2psim pings one). */
  #probeTarget(): Member | undefined {
    const state = this.state;
    const random = this.#random;
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
      const skip = random.int(state.candidates.size);
      let i = 0;
      for (const m of state.candidates.values()) if (i++ === skip) return m;
    }
    return unmeasured(state.viewList.items);
  }

  #probe(address: Address, key: string): void {
    const started = this.#clock.now();
    this.#rpc!.request(address, msg.MessageType.PING, msg.EMPTY).then(
      (response) => {
        if (!this.running) return;
        const pong = msg.decodePong(response.body);
        if (pong.groups !== this.#groups) return;
        const now = this.#clock.now();
        this.state.heard({ address, heartbeat: pong.heartbeat, ageMs: 0 }, now);
        this.state.measured(key, now - started);
      },
      (error) => {
        if (!this.running) return;
        if (isP2PError(error, 'ERR_TIMEOUT')) {
          this.stats.timeouts++;
          this.state.unanswered(key, this.options.rpcTimeoutMs);
        } else this.#warn(error);
      },
    );
  }

  // ---- handlers ---------------------------------------------------------------------------------

  #onPing(r: RpcRequest): Uint8Array {
    msg.decodeEmpty(r.body);
    return msg.encodePong({ groups: this.#groups, heartbeat: this.#heartbeat });
  }

  #onGossip(r: RpcRequest): Uint8Array {
    this.stats.gossipReceived++;
    let gossip: msg.Gossip;
    try {
      gossip = msg.decodeGossip(r.body);
    } catch (error) {
      this.#bad(error, r);
      return msg.EMPTY;
    }
    if (gossip.groups !== this.#groups) {
      this.stats.mismatched++;
      return msg.EMPTY;
    }
    const now = this.#clock.now();
    // The sender's own entry counts only when it claims the address the bytes came from: a
    // node cannot speak for another (or plant itself in another group) with a forged sender.
    if (sameAddress(r.sender.address, r.from)) {
      this.state.heard({ address: r.from, heartbeat: gossip.heartbeat, ageMs: 0 }, now);
    }
    applyEntries(this.state, gossip.members, gossip.tuples, now);
    return msg.EMPTY;
  }

  #onJoin(r: RpcRequest): Uint8Array {
    const k = msg.decodeJoin(r.body);
    if (k !== 0 && k !== this.#groups) {
      throw new P2PError(
        `this system has k=${this.#groups} groups, not ${k}`,
        'ERR_GROUPS_MISMATCH',
      );
    }
    const state = this.state;
    const now = this.#clock.now();
    let joinerGroup = -1;
    if (sameAddress(r.sender.address, r.from)) {
      state.heard({ address: r.from, heartbeat: 0, ageMs: 0 }, now);
      joinerGroup = state.groupOf(r.from, formatAddress(r.from));
    }
    const seed = joinSeed(state, r.from, joinerGroup, now, JOIN_REPLY_BYTES);
    return msg.encodeJoinReply({
      groups: this.#groups,
      heartbeat: this.#heartbeat,
      members: seed.members,
      tuples: seed.tuples,
    });
  }

  #onLeave(r: RpcRequest): Uint8Array {
    let heartbeat: number;
    try {
      heartbeat = msg.decodeLeave(r.body);
    } catch (error) {
      this.#bad(error, r);
      return msg.EMPTY;
    }
    if (sameAddress(r.sender.address, r.from)) {
      this.state.departed(r.from, heartbeat, this.#clock.now());
    }
    return msg.EMPTY;
  }

  #onInfo(r: RpcRequest): Uint8Array {
    return infoPage(
      this.state,
      msg.decodeInfo(r.body),
      this.#groups,
      this.#heartbeat,
      this.#clock.now(),
    );
  }

  // ---- lookups and inserts (operations.ts) ------------------------------------------------------

  /**
   * Finds the homenode of `name`: one RPC to the closest contact of the file's affinity group;
   * when it fails or does not know, the other contacts in turn, then members of our own group
   * (which have other contacts), up to `tries` nodes. Resolves with `home` undefined when none
   * knew the file.
   */
  lookup(name: string, options: OperationOptions = {}): Promise<LookupAnswer> {
    return this.#operations().lookup(name, options);
  }

  /**
   * Inserts a file (§2.2): hash the name to its group, send it to the closest contact there,
   * which picks a random member of its group as homenode and stores the file on it; the new
   * filetuple then spreads by gossip. A failed try goes to the next contact, up to insertTries.
   */
  insert(
    name: string,
    value: Uint8Array | string,
    options: OperationOptions = {},
  ): Promise<InsertAnswer> {
    return this.#operations().insert(name, value, options);
  }

  /** Reads a file: finds its homenode, then fetches it there (undefined: not found). */
  get(name: string, options: OperationOptions = {}): Promise<Uint8Array | undefined> {
    return this.#operations().get(name, options);
  }

  #operations(): Operations {
    this.#checkRunning();
    return this.#ops!;
  }

  // ---- inspection (inspect.ts) ------------------------------------------------------------------

  /** Asks the node at `address` who it is: its k, its heartbeat, and the round-trip time. */
  ping(address: Address, options: OperationOptions = {}): Promise<PingAnswer> {
    this.#checkRunning();
    return pingNode(this.#rpc!, this.#clock, address, options);
  }

  /**
   * The soft state of the node at `address`, read page by page with INFO requests (what
   * `p2pkit kelips view` prints). Its view and contacts are told apart by group.
   */
  inspect(address: Address, options: OperationOptions = {}): Promise<KelipsView> {
    this.#checkRunning();
    const deadline = this.#deadline(options);
    return inspectNode(this.#rpc!, address, options.signal, () =>
      this.#checkDeadline(deadline, options.signal),
    );
  }

  /** A snapshot of the node's soft state. */
  view(): KelipsView {
    return localView(this.state, this.#heartbeat, this.store.size, this.#clock.now());
  }

  /** Soft state size, counted as the paper does. */
  memory(): MemoryUse {
    return memoryOf(this.state);
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  /**
   * Leaves gracefully: every stored file moves to another member of our group (which becomes
   * its homenode and gossips the new filetuple), then the view and contacts hear LEAVE, so they
   * drop us at once instead of after a timeout. Then stop().
   */
  async leave(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!this.running) return;
    const state = this.state;
    const members = state.viewList.items.slice();
    for (const [name, value] of [...this.store.entries()]) {
      for (const m of this.#random.shuffle(members.slice()).slice(0, 3)) {
        try {
          await this.#rpc!.request(
            m.address,
            msg.MessageType.STORE,
            msg.encodeStore({ name, value }),
            { signal: options.signal },
          );
          break;
        } catch (error) {
          if (isP2PError(error, 'ERR_ABORTED')) throw error;
        }
      }
    }
    const body = msg.encodeLeave(this.#heartbeat);
    for (const m of [...state.viewList.items, ...state.contactList.items]) {
      try {
        this.#rpc!.notify(m.address, msg.MessageType.LEAVE, body);
      } catch (error) {
        this.#warn(error);
      }
    }
    // Node's UDP socket drops sends still queued when it closes: give them a moment to leave.
    await this.#clock.sleep(LEAVE_FLUSH_MS);
    await this.stop();
  }

  /** Stops at once: timers cleared, socket closed, pending requests rejected. Idempotent. */
  async stop(): Promise<void> {
    if (this.#phase === 'stopped') return;
    this.#phase = 'stopped';
    this.#clock.clearTimeout(this.#firstRound);
    this.#clock.clearTimeout(this.#timer);
    this.#firstRound = undefined;
    this.#timer = undefined;
    await this.#rpc?.close();
  }

  // ---- helpers ------------------------------------------------------------------------------------

  #checkRunning(): void {
    if (this.#phase !== 'running') {
      throw new P2PError(
        this.#phase === 'new' ? 'node not started' : 'node stopped',
        'ERR_NOT_STARTED',
      );
    }
  }

  #deadline(options: OperationOptions): number {
    return this.#clock.now() + (options.timeoutMs ?? this.options.operationTimeoutMs);
  }

  #checkDeadline(deadline: number, signal: AbortSignal | undefined): void {
    throwIfAborted(signal);
    if (this.#clock.now() > deadline) throw new TimeoutError('operation deadline passed');
    this.#checkRunning();
  }

  /** A peer answered: its RTT is measured. */
  #answered(to: Address, started: number): void {
    if (this.#state === undefined) return;
    this.#state.measured(formatAddress(to), this.#clock.now() - started);
  }

  /** A request failed; true when it timed out. Aborts are rethrown. */
  #failed(error: unknown, to: Address): boolean {
    if (isP2PError(error, 'ERR_ABORTED')) throw error;
    if (isP2PError(error, 'ERR_TIMEOUT')) {
      this.stats.timeouts++;
      this.#state?.unanswered(formatAddress(to), this.options.rpcTimeoutMs);
      return true;
    }
    if (error instanceof DecodeError) this.stats.badMessages++;
    return false;
  }

  #bad(error: unknown, r: RpcRequest): void {
    this.stats.badMessages++;
    this.#log('bad message from %s: %s', formatAddress(r.from), String(error));
  }

  #warn(error: unknown): void {
    this.emit('warning', error instanceof Error ? error : new Error(String(error)));
  }

  #log(message: string, ...args: unknown[]): void {
    this.#logger ??= this.runtime.log.extend('kelips');
    if (this.#logger.enabled) this.#logger(message, ...args);
  }
}

function sameGroup(address: Address, state: SoftState): boolean {
  return state.groupOf(address, formatAddress(address)) === state.group;
}
