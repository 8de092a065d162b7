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
  TimeoutError,
  throwIfAborted,
} from '@p2pkit/core';
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
import { Membership, type MembershipHost } from './membership.js';
import * as msg from './messages.js';
import { Operations, type OperationsHost } from './operations.js';
import { type KelipsOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { SoftState } from './state.js';
import { FileStore } from './store.js';
import type { InsertAnswer, KelipsStats, LookupAnswer, OperationOptions } from './types.js';

export interface KelipsEvents {
  /** A recoverable problem: a bad message, a failed probe. Never fatal. */
  warning: [error: Error];
}

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
  #membership: Membership | undefined;

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
  static readonly #Context = class implements OperationsHost, MembershipHost {
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

    get running(): boolean {
      return this.node.running;
    }

    get overhead(): number {
      return this.node.#overhead;
    }

    get announcesGroups(): boolean {
      const node = this.node;
      return node.#pinned || node.state.entries > 0;
    }

    beat(): number {
      return ++this.node.#heartbeat;
    }

    adopt(groups: number, from: Address): void {
      const node = this.node;
      if (node.#pinned || node.state.entries > 0 || node.store.size > 0) {
        throw new P2PError(
          `the system at ${formatAddress(from)} has k=${groups} groups, this node k=${node.#groups}`,
          'ERR_GROUPS_MISMATCH',
        );
      }
      node.#groups = groups;
      node.#state = node.#newState(groups);
    }

    warn(error: unknown): void {
      this.node.#warn(error);
    }

    bad(error: unknown, r: RpcRequest): void {
      this.node.#bad(error, r);
    }

    log(message: string, ...args: unknown[]): void {
      this.node.#log(message, ...args);
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
    const context = new KelipsNode.#Context(this);
    const membership = new Membership(context);
    this.#membership = membership;
    const ops = new Operations(context);
    this.#ops = ops;
    rpc.handle(T.PING, (r) => membership.onPing(r));
    rpc.handle(T.GOSSIP, (r) => membership.onGossip(r));
    rpc.handle(T.JOIN, (r) => membership.onJoin(r));
    rpc.handle(T.LEAVE, (r) => membership.onLeave(r));
    rpc.handle(T.LOOKUP, (r) => ops.onLookup(r));
    rpc.handle(T.INSERT, (r) => ops.onInsert(r));
    rpc.handle(T.STORE, (r) => ops.onStore(r));
    rpc.handle(T.FETCH, (r) => ops.onFetch(r));
    rpc.handle(T.INFO, (r) => this.#onInfo(r));
    if (o.maintenance) {
      // A random phase, so that nodes started together do not gossip in lockstep.
      this.#firstRound = this.#clock.setTimeout(() => {
        this.#firstRound = undefined;
        if (!this.running) return;
        membership.round();
        this.#timer = this.#clock.setInterval(() => membership.round(), o.roundMs);
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
      // One round: the probe has answered or timed out by the next expiry.
      suspicionMs: Math.max(o.roundMs, 2 * o.rpcTimeoutMs),
    });
  }

  /**
   * Joins the system through any member: its reply seeds the view, contacts and filetuples;
   * when the introducer is in another group, a member of our own group is asked as well. Gossip
   * does the rest. A node started without `groups` takes the system's k.
   */
  async join(introducer: Address, options: OperationOptions = {}): Promise<void> {
    this.#checkRunning();
    await this.#membership!.join(introducer, options.signal);
  }

  /**
   * Client mode: this node does not join; lookups, inserts and fetches go through `gateway`,
   * a member of the system, which forwards them (the CLI's `--via`).
   */
  useGateway(gateway: Address): void {
    this.#gateway = gateway;
  }

  // ---- handlers ---------------------------------------------------------------------------------

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
   * Leaves gracefully: every stored file moves to another member of our group, then the view
   * and contacts hear LEAVE, so they drop us at once instead of after a timeout. Then stop().
   */
  async leave(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!this.running) return;
    await this.#membership!.leave(options.signal);
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
