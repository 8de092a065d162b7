/**
 * A Chord node (ToN 2003): join, stabilize, notify, fix_fingers, check_predecessor, iterative
 * and recursive lookups, graceful leave, and the replicated key-value store on top.
 *
 * Everything from the outside world comes from the Runtime, so the same node runs on UDP and in
 * the simulator. Messages are core RPC envelopes over one datagram socket (PROTOCOL.md).
 *
 * Performance notes (the simulator runs 10^5 of these): routing state is small (deduplicated
 * fingers, see routing.ts); a recursive lookup is forwarded synchronously inside the datagram
 * handler by editing the hop byte in place; no timer per lookup or per message (recursive
 * lookups share one sweep timer per node, iterative ones check their deadline between steps and
 * rely on the RPC layer's timeouts).
 */
import {
  AbortError,
  type Address,
  type Clock,
  Emitter,
  type Id,
  keyId,
  type Logger,
  P2PError,
  type Random,
  type Runtime,
  sameAddress,
  TimeoutError,
  throwIfAborted,
} from '@p2pkit/core';
import {
  type IterativeOptions,
  iterativeLookup,
  localStep,
  type RouteResult,
  type StepIo,
} from './lookup.js';
import * as msg from './messages.js';
import { type ChordOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { Peer } from './peer.js';
import { type RecursiveHost, RecursiveLookups } from './recursive.js';
import { Replication, type ReplicationHost } from './replication.js';
import { RoutingTable } from './routing.js';
import { type ChordRpc, openRpc, type RpcRequest } from './rpc.js';
import { spaceFor } from './space.js';
import { Maintenance, type MaintenanceHost } from './stabilize.js';
import type { Store } from './store.js';

/** `toBigint` reads only the id's characters: any space converts ids of every width. */
const ANY = spaceFor(160);

/** A node as the public API shows it. */
export interface ChordContact {
  id: bigint;
  address: Address;
}

export interface LookupOptions {
  signal?: AbortSignal;
  /** @internal Sees every contact of an iterative lookup. */
  trace?: IterativeOptions['trace'];
  /** Overrides the node's lookup mode for this call. */
  mode?: 'iterative' | 'recursive';
  /** Deadline for this call (default: the node's lookupTimeoutMs). */
  timeoutMs?: number;
}

export interface LookupAnswer {
  /** The live node responsible for the key (its successor on the ring). */
  owner: ChordContact;
  /**
   * Finger forwardings from this node to the node that named the owner (spec §5.1: neither
   * this node nor the final step to the owner counts).
   */
  hops: number;
  /** Contacts that timed out on the way (dead nodes). */
  timeouts: number;
}

export interface ChordEvents {
  /** The first successor changed. */
  successor: [successor: ChordContact];
  /** The predecessor changed (undefined: it failed or left). */
  predecessor: [predecessor: ChordContact | undefined];
  /** A recoverable problem: a bad message, a failed maintenance round. Never fatal. */
  warning: [error: Error];
}

/** One node of a ring walk. */
export interface RingEntry {
  node: ChordContact;
  predecessor: ChordContact | undefined;
  successors: ChordContact[];
  /** False when the node did not answer (crashed or unreachable): the walk went around it. */
  reachable: boolean;
}

/** Counters a node keeps about itself (cheap; read them any time). */
export interface ChordStats {
  lookups: number;
  lookupFailures: number;
  timeouts: number;
  badMessages: number;
  rejectedPeers: number;
}

const encoder = new TextEncoder();
/** Lookups of our own id a join tries through its bootstrap before it fails. */
const JOIN_ATTEMPTS = 3;

export class ChordNode extends Emitter<ChordEvents> {
  readonly options: ResolvedOptions;
  readonly runtime: Runtime;
  readonly stats: ChordStats = {
    lookups: 0,
    lookupFailures: 0,
    timeouts: 0,
    badMessages: 0,
    rejectedPeers: 0,
  };
  /** Created on first use: 10^5 simulated nodes need not each carry a logger. */
  #logger: Logger | undefined;
  readonly #limits: msg.WireLimits;
  #rpc: ChordRpc | undefined;
  #table: RoutingTable | undefined;
  #kv: Replication | undefined;
  #state: 'new' | 'running' | 'stopped' = 'new';
  #maintenance: Maintenance | undefined;
  #recursive: RecursiveLookups | undefined;
  /** The predecessor before it failed: tells how far our key range grew when a new one comes. */
  #lastPredecessor: Peer | undefined;
  /** Peers whose claimed id we have checked, by address key (bounded). */
  readonly #verified = new Map<string, Id>();
  /** Client mode: lookups start at this ring member (see useGateway). */
  #gateway: Peer | undefined;
  /** The peer we joined through: a last resort when every other contact is gone. */
  #bootstrap: Peer | undefined;

  constructor(options: ChordOptions) {
    super();
    this.options = resolveOptions(options);
    this.runtime = options.runtime;
    this.#limits = {
      m: this.options.m,
      maxKeySize: this.options.maxKeySize,
      maxValueSize: this.options.maxValueSize,
    };
  }

  /**
   * The node's internals as its modules (recursive.ts, replication.ts, stabilize.ts) see them:
   * one object per node whose methods live on the prototype, so 10^5 simulated nodes do not
   * each carry a dozen closures.
   */
  static readonly #Context = class implements RecursiveHost, ReplicationHost, MaintenanceHost {
    readonly node: ChordNode;

    constructor(node: ChordNode) {
      this.node = node;
    }

    get clock(): Clock {
      return this.node.runtime.clock;
    }

    get random(): Random {
      return this.node.runtime.random;
    }

    get table(): RoutingTable {
      return this.node.table;
    }

    get limits(): msg.WireLimits {
      return this.node.#limits;
    }

    get options(): ResolvedOptions {
      return this.node.options;
    }

    get running(): boolean {
      return this.node.#state === 'running';
    }

    get timeoutMs(): number {
      return this.node.options.recursiveTimeoutMs;
    }

    get maxPending(): number {
      return this.node.options.maxPendingLookups;
    }

    get replicas(): number {
      return this.node.options.replicas;
    }

    get tombstoneMs(): number {
      return this.node.options.tombstoneMs;
    }

    get maxStoredBytes(): number {
      return this.node.options.maxStoredBytes;
    }

    notify(to: Peer, type: number, body: Uint8Array): void {
      this.node.#notify(to, type, body);
    }

    get rpc(): ChordRpc {
      return this.node.#rpc!;
    }

    badMessage(error: unknown): void {
      this.node.#badMessage(error);
    }

    request(to: Peer, type: number, body: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
      return this.node.#request(to, type, body, signal);
    }

    route(id: Id, options: LookupOptions): Promise<RouteResult> {
      return this.node.route(id, options);
    }

    routeVia(key: Id, via: Peer[] | undefined): Promise<RouteResult> {
      const node = this.node;
      const deadline = node.runtime.clock.now() + node.options.lookupTimeoutMs;
      return node.#route(key, via === undefined ? { deadline } : { via, deadline });
    }

    accept(peer: Peer): boolean {
      return this.node.#accept(peer);
    }

    setSuccessors(list: Peer[]): void {
      this.node.#setSuccessors(list);
    }

    peerFailed(peer: Peer, force: boolean): void {
      this.node.#peerFailed(peer, force);
    }

    tidy(): void {
      this.node.#kv?.store.expire(this.node.runtime.clock.now());
    }

    bootstrap(): Peer | undefined {
      return this.node.#bootstrap;
    }

    warn(error: unknown): void {
      this.node.#warn(error);
    }
  };

  // ---- lifecycle ------------------------------------------------------------------------

  /** Binds the socket. The node then forms a ring of its own until join() is called. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new P2PError('node already started', 'ERR_STATE');
    const { runtime, host, port, space } = this.options;
    // The id depends on the bound port (port 0 = any), so it is computed after binding.
    const rpc = await openRpc({
      runtime,
      host,
      port,
      idBytes: (address) => space.toBytes(space.nodeId(address.host, address.port)),
      timeoutMs: this.options.rpcTimeoutMs,
      retries: this.options.rpcRetries,
      maxPending: this.options.maxPendingLookups * 4,
    });
    this.attach(rpc);
    if (this.options.maintenance) this.#maintenance?.start();
  }

  /**
   * Starts on an RPC endpoint opened elsewhere (the simulator scenarios open endpoints in bulk).
   * @internal
   */
  attach(rpc: ChordRpc): void {
    const { m, space, successors } = this.options;
    const address = rpc.address;
    const self = new Peer(space.nodeId(address.host, address.port), address);
    // Our wire form goes into every lookup we start or answer: made now, next to the node's
    // other objects, rather than at first use anywhere in a big simulation's heap.
    void self.wire;
    this.#rpc = rpc;
    const table = new RoutingTable(self, m, successors);
    this.#table = table;
    const context = new ChordNode.#Context(this);
    this.#recursive = new RecursiveLookups(context);
    this.#kv = new Replication(context);
    this.#maintenance = new Maintenance(context);
    this.#state = 'running';
    this.#register(rpc);
  }

  /** Stops without telling anyone (a crash, as far as the ring can tell): releases everything. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    // Settle what callers wait for first: on a crashed simulated host the clock below throws.
    this.#recursive?.close(new AbortError('node stopped'));
    this.#maintenance?.stop();
    try {
      await this.#rpc?.close();
    } catch {
      // Same: a crashed host's socket is already gone.
    }
  }

  /**
   * Leaves gracefully (ToN §IV-E.4): hands the keys it owns to its successor, tells its
   * predecessor and successor so they can splice it out, then stops.
   */
  async leave(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state !== 'running') return this.stop();
    const t = this.table;
    const succ = t.successors[0];
    if (succ !== undefined) {
      try {
        await this.#kv!.handOver(succ, options.signal);
      } catch (error) {
        this.#warn(error);
      }
      const toPred = msg.encodeLeave({ predecessor: undefined, successors: t.successors });
      const toSucc = msg.encodeLeave({ predecessor: t.predecessor, successors: [] });
      if (t.predecessor && t.predecessor.key !== succ.key) {
        this.#notify(t.predecessor, msg.MessageType.LEAVE, toPred);
      }
      this.#notify(succ, msg.MessageType.LEAVE, toSucc);
      if (t.predecessor?.key === succ.key) {
        // Ring of two: the other node is both; it needs both halves.
        this.#notify(succ, msg.MessageType.LEAVE, toPred);
      }
    }
    await this.stop();
  }

  /**
   * Joins the ring that `bootstrap` belongs to (ToN Fig. 6): learns our successor from it, then
   * runs one stabilize round at once so the ring takes us in without waiting a period.
   */
  async join(
    bootstrap: Address,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<void> {
    const t = this.table;
    const via = new Peer(this.options.space.nodeId(bootstrap.host, bootstrap.port), bootstrap);
    if (via.key === t.self.key)
      throw new P2PError('cannot join through itself', 'ERR_INVALID_ARGUMENT');
    const deadline = this.runtime.clock.now() + (options.timeoutMs ?? this.options.lookupTimeoutMs);
    // A lost datagram must not fail a join: try again (within the deadline) before giving up.
    let result: RouteResult | undefined;
    for (let attempt = 1; result === undefined; attempt++) {
      try {
        result = await this.#route(t.self.id, { signal: options.signal, via: [via], deadline });
      } catch (error) {
        const retry =
          error instanceof P2PError &&
          (error.code === 'ERR_LOOKUP_FAILED' || error.code === 'ERR_TIMEOUT') &&
          attempt < JOIN_ATTEMPTS &&
          this.runtime.clock.now() < deadline;
        if (!retry) throw error;
      }
    }
    t.predecessor = undefined;
    this.#bootstrap = via;
    // The namer's successor list from the owner on is our first successor list: a node that
    // joins with a single successor is cut off if that one fails before stabilize runs.
    if (result.owner.key !== t.self.key) {
      this.#setSuccessors([result.owner, ...(result.alternates ?? [])]);
    }
    await this.stabilize();
    this.#log(
      'joined via %s: id %s, successor %s',
      via.key,
      this.id.toString(16),
      t.successor().key,
    );
  }

  /**
   * Client mode: instead of joining, route every lookup (and so put/get/delete) through
   * `address`, a member of the ring. Used by the CLI's put/get/lookup/ring commands.
   */
  useGateway(address: Address): void {
    this.#gateway = new Peer(this.options.space.nodeId(address.host, address.port), address);
  }

  /**
   * Walks the ring from the gateway (or this node) along successor pointers, asking each node
   * for its predecessor and successor list, until it comes back to the start or `limit` nodes.
   * A node that does not answer is listed as unreachable and the walk goes on from the next
   * entry of the last answering node's successor list (as stabilization would).
   */
  async walk(options: { signal?: AbortSignal; limit?: number } = {}): Promise<RingEntry[]> {
    this.#requireRunning();
    const limit = options.limit ?? 10_000;
    const start = this.#gateway ?? this.table.self;
    const out: RingEntry[] = [];
    const seen = new Set<string>();
    /** Where to go next: the last answering node's successors, nearest first. */
    let ahead: Peer[] = [start];
    while (out.length < limit) {
      const current = ahead.shift();
      if (current === undefined || seen.has(current.key)) break;
      seen.add(current.key);
      let n: msg.Neighbors;
      try {
        n =
          current.key === this.table.self.key
            ? { predecessor: this.table.predecessor, successors: this.table.successors }
            : msg.decodeNeighbors(
                await this.#request(current, msg.MessageType.NEIGHBORS, msg.EMPTY, options.signal),
                this.#limits,
              );
      } catch (error) {
        if (options.signal?.aborted || current === start) throw error;
        out.push({
          node: toContact(current),
          predecessor: undefined,
          successors: [],
          reachable: false,
        });
        continue;
      }
      out.push({
        node: toContact(current),
        predecessor: n.predecessor && toContact(n.predecessor),
        successors: n.successors.map(toContact),
        reachable: true,
      });
      ahead = n.successors.filter((p) => this.#accept(p));
    }
    return out;
  }

  // ---- introspection --------------------------------------------------------------------

  get id(): bigint {
    return this.options.space.toBigint(this.table.self.id);
  }

  get address(): Address {
    return this.table.self.address;
  }

  /** This node as a contact. */
  get contact(): ChordContact {
    return toContact(this.table.self);
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  /** The routing table (read it; do not change it). @internal */
  get table(): RoutingTable {
    if (this.#table === undefined) throw new P2PError('node not started', 'ERR_STATE');
    return this.#table;
  }

  /** Keys (values and tombstones) this node holds, as owner or replica. */
  get storedKeys(): number {
    return this.#kv?.store.size ?? 0;
  }

  /** @internal */
  get store(): Store {
    if (this.#kv === undefined) throw new P2PError('node not started', 'ERR_STATE');
    return this.#kv.store;
  }

  successor(): ChordContact {
    return toContact(this.table.successor());
  }

  successorList(): ChordContact[] {
    return this.table.successors.map(toContact);
  }

  predecessor(): ChordContact | undefined {
    const p = this.table.predecessor;
    return p && toContact(p);
  }

  /** The distinct finger peers, clockwise from this node. */
  fingers(): ChordContact[] {
    return this.table.fingers.map(toContact);
  }

  // ---- lookups --------------------------------------------------------------------------

  /** The node responsible for `key` (a string or bytes, hashed with SHA-1 to an m-bit id). */
  lookup(key: string | Uint8Array, options: LookupOptions = {}): Promise<LookupAnswer> {
    return this.lookupId(keyId(key, this.options.m), options);
  }

  /** The node responsible for the m-bit id `id`. */
  async lookupId(id: bigint, options: LookupOptions = {}): Promise<LookupAnswer> {
    const r = await this.route(this.options.space.fromBigint(id), options);
    return { owner: toContact(r.owner), hops: r.hops, timeouts: r.timeouts };
  }

  /**
   * Routes to the owner of an internal id. Recursive mode falls back to an iterative lookup
   * when no answer comes within recursiveTimeoutMs. @internal
   */
  async route(key: Id, options: LookupOptions = {}): Promise<RouteResult> {
    const { signal } = options;
    throwIfAborted(signal);
    const deadline = this.runtime.clock.now() + (options.timeoutMs ?? this.options.lookupTimeoutMs);
    this.stats.lookups++;
    try {
      if (this.#gateway !== undefined) {
        return await this.#route(key, {
          signal,
          deadline,
          via: [this.#gateway],
          trace: options.trace,
        });
      }
      if ((options.mode ?? this.options.lookup) === 'recursive') {
        try {
          this.#requireRunning();
          return await this.#recursive!.start(key, signal);
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
          this.stats.timeouts++;
        }
      }
      return await this.#route(key, { signal, deadline, trace: options.trace });
    } catch (error) {
      this.stats.lookupFailures++;
      throw error;
    }
  }

  #route(
    key: Id,
    options: {
      signal?: AbortSignal | undefined;
      via?: Peer[];
      deadline: number;
      confirm?: boolean;
      trace?: IterativeOptions['trace'];
    },
  ): Promise<RouteResult> {
    this.#requireRunning();
    const clock = this.runtime.clock;
    const io: StepIo = {
      step: async (peer, k, signal) => {
        if (clock.now() > options.deadline)
          throw new P2PError('lookup deadline passed', 'ERR_LOOKUP_TIMEOUT');
        const body = await this.#request(
          peer,
          msg.MessageType.FIND_SUCCESSOR,
          msg.encodeFindSuccessor(k),
          signal,
        );
        return msg.decodeStep(body, this.#limits);
      },
      ping: async (peer, signal) => {
        if (clock.now() > options.deadline)
          throw new P2PError('lookup deadline passed', 'ERR_LOOKUP_TIMEOUT');
        msg.decodeEmpty(await this.#request(peer, msg.MessageType.PING, msg.EMPTY, signal));
      },
      dead: (peer) => this.#peerFailed(peer),
      accept: (peer) => this.#accept(peer),
      space: this.options.space,
    };
    return iterativeLookup(this.table, key, io, {
      signal: options.signal,
      confirm: options.confirm,
      via: options.via,
      trace: options.trace,
    }).catch((error: unknown) => {
      if (error instanceof P2PError && error.code === 'ERR_LOOKUP_TIMEOUT') {
        throw new TimeoutError('lookup timed out', { cause: error });
      }
      throw error;
    });
  }

  // ---- key-value store ------------------------------------------------------------------

  /** Stores `value` under `key` at the key's owner, which replicates it. Resolves to its version. */
  put(
    key: string | Uint8Array,
    value: string | Uint8Array,
    options: LookupOptions = {},
  ): Promise<number> {
    this.#requireRunning();
    return this.#kv!.write(key, typeof value === 'string' ? encoder.encode(value) : value, options);
  }

  /** Deletes `key` (a tombstone replaces the value on every replica). */
  async delete(key: string | Uint8Array, options: LookupOptions = {}): Promise<void> {
    this.#requireRunning();
    await this.#kv!.write(key, undefined, options);
  }

  /** The value stored under `key`, or undefined when there is none. */
  get(key: string | Uint8Array, options: LookupOptions = {}): Promise<Uint8Array | undefined> {
    this.#requireRunning();
    return this.#kv!.read(key, options);
  }

  // ---- maintenance (stabilize.ts) --------------------------------------------------------

  /** One stabilize round now (also runs on its timer). */
  stabilize(): Promise<void> {
    return this.#maintenance?.stabilize() ?? Promise.resolve();
  }

  /** One fix_fingers round now. */
  fixFingers(): Promise<void> {
    return this.#maintenance?.fixFingers() ?? Promise.resolve();
  }

  /** One check_predecessor round now. */
  checkPredecessor(): Promise<void> {
    return this.#maintenance?.checkPredecessor() ?? Promise.resolve();
  }

  // ---- message handlers -----------------------------------------------------------------

  /**
   * One handler for every Chord type, a bound method (no closure per type, no closure context
   * between the endpoint and this node), except the hot LOOKUP: bound to the recursive engine.
   */
  #register(rpc: ChordRpc): void {
    const handler = this.#onRequest.bind(this);
    for (const type of Object.values(msg.MessageType)) rpc.handle(type, handler);
    const recursive = this.#recursive!;
    rpc.handle(msg.MessageType.LOOKUP, recursive.handleLookup.bind(recursive));
  }

  #onRequest(req: RpcRequest): Uint8Array {
    try {
      return this.#handle(req);
    } catch (error) {
      this.#badMessage(error);
      throw error;
    }
  }

  /** The RPC layer answers a request with the error; a oneway message is dropped. */
  #badMessage(error: unknown): void {
    this.stats.badMessages++;
    this.#warn(error);
  }

  #handle(req: RpcRequest): Uint8Array {
    const T = msg.MessageType;
    const body = req.body;
    switch (req.type) {
      case T.LOOKUP_RESULT: {
        const r = msg.decodeLookupResult(body, this.#limits);
        // Only the owner itself may answer: that answer doubles as proof it is alive.
        const o = r.owner;
        if (
          this.#recursive!.has(r.lookupId) &&
          sameAddress(req.sender.address, o.address) &&
          sameId(req.sender.id, o.id) &&
          (!this.options.verifyIds || sameAddress(req.from, o.address)) &&
          this.#accept(o)
        ) {
          this.#recursive!.resolve(r.lookupId, r.hops, o);
        }
        return msg.EMPTY;
      }
      case T.PING:
        msg.decodeEmpty(body);
        return msg.EMPTY;
      case T.NEIGHBORS: {
        msg.decodeEmpty(body);
        const t = this.table;
        return msg.encodeNeighbors({ predecessor: t.predecessor, successors: t.successors });
      }
      case T.FIND_SUCCESSOR:
        return msg.encodeStep(localStep(this.table, msg.decodeFindSuccessor(body, this.#limits)));
      case T.NOTIFY: {
        msg.decodeEmpty(body);
        const sender = this.#sender(req);
        if (sender) this.#onNotify(sender);
        return msg.EMPTY;
      }
      case T.LEAVE: {
        const n = msg.decodeLeave(body, this.#limits);
        const sender = this.#sender(req);
        if (sender) this.#onLeave(sender, n);
        return msg.EMPTY;
      }
      case T.SUCCESSOR_HINT: {
        const x = msg.decodePeer(body, this.#limits);
        const sender = this.#sender(req);
        const t = this.table;
        const succ = t.successors[0];
        if (
          sender &&
          succ &&
          sender.key === succ.key &&
          this.options.space.inOpen(x.id, t.self.id, succ.id) &&
          this.#accept(x)
        ) {
          this.#setSuccessors([x, ...t.successors]);
        }
        return msg.EMPTY;
      }
      case T.PUT:
        return this.#kv!.handlePut(body);
      case T.FETCH:
        return this.#kv!.handleFetch(body);
      case T.REPLICATE:
        return this.#kv!.handleReplicate(body);
      default:
        throw new P2PError(`unknown message type ${req.type}`, 'ERR_UNKNOWN_TYPE');
    }
  }

  /** notify (ToN Fig. 6): adopt the sender as predecessor if it is closer than ours. */
  #onNotify(n: Peer): void {
    const t = this.table;
    const old = t.predecessor;
    if (old !== undefined && old.key === n.key) return;
    if (old === undefined || this.options.space.inOpen(n.id, old.id, t.self.id)) {
      this.#setPredecessor(n);
      if (old !== undefined && this.options.predecessorHint) {
        this.#notify(old, msg.MessageType.SUCCESSOR_HINT, msg.encodePeer(n));
      }
    }
    if (t.successors.length === 0) this.#setSuccessors([n]);
  }

  #onLeave(sender: Peer, n: msg.Neighbors): void {
    const t = this.table;
    if (t.successors[0]?.key === sender.key) {
      const rest = t.successors.slice(1);
      const merged = [
        ...rest,
        ...n.successors.filter((p) => p.key !== sender.key && this.#accept(p)),
      ];
      t.remove(sender.key);
      this.#setSuccessors(merged);
    }
    if (t.predecessor?.key === sender.key) {
      const p = n.predecessor;
      t.predecessor = undefined;
      this.#lastPredecessor = sender;
      if (p !== undefined && p.key !== t.self.key && this.#accept(p)) this.#setPredecessor(p);
      else this.emit('predecessor', undefined);
    }
    t.remove(sender.key);
  }

  // ---- state changes --------------------------------------------------------------------

  #setSuccessors(list: Peer[]): void {
    const t = this.table;
    const before = t.successors[0];
    t.setSuccessors(list);
    const after = t.successors[0];
    if (after && after.key !== before?.key) this.emit('successor', toContact(after));
    this.#kv?.successorsChanged();
  }

  #setPredecessor(p: Peer): void {
    const t = this.table;
    const old = t.predecessor ?? this.#lastPredecessor;
    t.predecessor = p;
    this.#lastPredecessor = undefined;
    this.emit('predecessor', toContact(p));
    this.#kv?.predecessorChanged(old, p);
  }

  /** A peer failed to answer: count it and (unless frozen) forget it everywhere. */
  #peerFailed(peer: Peer, force = false): void {
    this.stats.timeouts++;
    if (!this.options.evictOnTimeout && !force) return;
    const t = this.table;
    if (t.knows(peer.key)) this.#maintenance?.buried(peer);
    const wasSucc = t.successors[0]?.key === peer.key;
    const wasPred = t.predecessor?.key === peer.key;
    if (wasPred) this.#lastPredecessor = peer;
    t.remove(peer.key);
    if (wasPred) this.emit('predecessor', undefined);
    if (wasSucc) {
      const next = t.successors[0];
      if (next) this.emit('successor', toContact(next));
      this.#kv?.successorsChanged();
    }
  }

  // ---- plumbing -------------------------------------------------------------------------

  /** The envelope's sender as a Peer, if its id checks out (and it is who sent the datagram). */
  #sender(req: RpcRequest): Peer | undefined {
    const { id, address } = req.sender;
    if (id.length !== (this.options.m + 7) >>> 3) {
      this.stats.rejectedPeers++;
      return undefined;
    }
    let peerId: Id;
    try {
      peerId = this.options.space.fromBytes(id);
    } catch {
      this.stats.rejectedPeers++; // bits above m
      return undefined;
    }
    const peer = new Peer(peerId, address);
    if (this.options.verifyIds && !sameAddress(address, req.from)) {
      this.stats.rejectedPeers++;
      return undefined;
    }
    return this.#accept(peer) ? peer : undefined;
  }

  /** The claimed-id check: a peer's id must be nodeId(its address). Cached per address. */
  #accept(peer: Peer): boolean {
    if (!this.options.verifyIds) return true;
    const known = this.#verified.get(peer.key);
    if (known !== undefined) {
      if (known === peer.id) return true;
      this.stats.rejectedPeers++;
      return false;
    }
    const expected = this.options.space.nodeId(peer.address.host, peer.address.port);
    if (this.#verified.size >= 256) this.#verified.clear();
    this.#verified.set(peer.key, expected);
    if (expected === peer.id) return true;
    this.stats.rejectedPeers++;
    return false;
  }

  #request(peer: Peer, type: number, body: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    const rpc = this.#rpc;
    if (rpc === undefined || this.#state !== 'running') {
      return Promise.reject(new AbortError('node stopped'));
    }
    return rpc
      .request(peer.address, type, body, { signal, timeoutMs: this.options.rpcTimeoutMs })
      .then((r) => r.body);
  }

  #notify(peer: Peer, type: number, body: Uint8Array): void {
    if (this.#state !== 'running') return;
    try {
      this.#rpc?.notify(peer.address, type, body);
    } catch (error) {
      this.#warn(error);
    }
  }

  #requireRunning(): void {
    if (this.#state !== 'running') throw new AbortError('node not running');
  }

  #log(message: string, ...args: unknown[]): void {
    this.#logger ??= this.runtime.log.extend('chord');
    if (this.#logger.enabled) this.#logger(message, ...args);
  }

  #warn(error: unknown): void {
    if (this.#state === 'stopped') return;
    const e = error instanceof Error ? error : new Error(String(error));
    this.#log('warning: %s', e.message);
    this.emit('warning', e);
  }
}

/** Whether id bytes from an envelope equal an internal id. */
function sameId(bytes: Uint8Array, id: Id): boolean {
  if (bytes.length !== id.length) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== id.charCodeAt(i)) return false;
  return true;
}

function toContact(p: Peer): ChordContact {
  return { id: ANY.toBigint(p.id), address: p.address };
}

/** Creates a Chord node; call start() to bind it, then join() (or stay alone: a ring of one). */
export function createChordNode(options: ChordOptions): ChordNode {
  return new ChordNode(options);
}
