/**
 * A Pastry node (Rowstron & Druschel, Middleware 2001): prefix routing with a leaf set, a
 * routing table and a neighbourhood set; join with row copying and the locality-preserving
 * second stage; leaf-set and lazy routing-table repair; PAST-style replicated storage on top.
 *
 * Everything from the outside world comes from the Runtime, so the same node runs on UDP and in
 * the simulator. Messages are core RPC envelopes over one datagram socket (PROTOCOL.md).
 */
import {
  AbortError,
  type Address,
  type Clock,
  createDatagramRpc,
  type DatagramRpc,
  Emitter,
  type Id,
  type IdSpace,
  type Logger,
  P2PError,
  type Random,
  type RpcRequest,
  type RpcStats,
  type Runtime,
  sameAddress,
  throwIfAborted,
} from '@p2pkit/core';
import type { Context, PastryStats } from './context.js';
import { joinPassing, registerHandlers } from './handlers.js';
import { contactOf, localView, remoteContact, remoteView } from './inspect.js';
import { Joiner } from './join.js';
import { Maintenance } from './maintenance.js';
import * as msg from './messages.js';
import { type PastryOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { Peer } from './peer.js';
import { type RouteAnswer, Router } from './router.js';
import { NodeState } from './state.js';
import { Storage } from './storage.js';
import { PeerTrust, spaceFor } from './trust.js';
import type {
  LookupAnswer,
  LookupOptions,
  NodeView,
  PastryContact,
  PastryEvents,
  PutResult,
} from './types.js';

export type { PastryStats } from './context.js';
export type {
  LookupAnswer,
  LookupOptions,
  NodeView,
  PastryContact,
  PastryEvents,
  PutResult,
} from './types.js';

const encoder = new TextEncoder();

export class PastryNode extends Emitter<PastryEvents> {
  readonly options: ResolvedOptions;
  readonly runtime: Runtime;
  readonly space: IdSpace;
  readonly stats: PastryStats = {
    lookups: 0,
    lookupFailures: 0,
    forwarded: 0,
    delivered: 0,
    reroutes: 0,
    timeouts: 0,
    repairRpcs: 0,
    repaired: 0,
    badMessages: 0,
    rejectedPeers: 0,
  };
  readonly #limits: msg.WireLimits;
  #logger: Logger | undefined;
  #rpc: DatagramRpc | undefined;
  #state: NodeState | undefined;
  #router: Router | undefined;
  #joiner: Joiner | undefined;
  #maintenance: Maintenance | undefined;
  #storage: Storage | undefined;
  #status: 'new' | 'running' | 'stopped' = 'new';
  /** Client mode: routed messages go to this member (see useGateway). */
  #gateway: Address | undefined;
  /** Which peers we believe: checked ids, and peers declared dead. */
  #trust: PeerTrust | undefined;

  constructor(options: PastryOptions) {
    super();
    this.options = resolveOptions(options);
    this.runtime = options.runtime;
    this.space = spaceFor(this.options.m, this.options.b);
    this.#limits = {
      space: this.space,
      maxKeySize: this.options.maxKeySize,
      maxValueSize: this.options.maxValueSize,
    };
  }

  /** The internals as the modules see them: one object per node, methods on the prototype. */
  static readonly #Context = class implements Context {
    readonly node: PastryNode;

    constructor(node: PastryNode) {
      this.node = node;
    }

    get clock(): Clock {
      return this.node.runtime.clock;
    }

    get random(): Random {
      return this.node.runtime.random;
    }

    get options(): ResolvedOptions {
      return this.node.options;
    }

    get space(): IdSpace {
      return this.node.space;
    }

    get limits(): msg.WireLimits {
      return this.node.#limits;
    }

    get state(): NodeState {
      return this.node.state;
    }

    get stats(): PastryStats {
      return this.node.stats;
    }

    get running(): boolean {
      return this.node.#status === 'running';
    }

    request(to: Address, type: number, body: Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
      return this.node.#request(to, type, body, timeoutMs);
    }

    notify(to: Address, type: number, body: Uint8Array): void {
      this.node.#notify(to, type, body);
    }

    ping(peer: Peer): Promise<number> {
      const clock = this.clock;
      const t0 = clock.now();
      return this.node.#request(peer.address, msg.MessageType.PING, msg.EMPTY).then((body) => {
        msg.decodeEmpty(body);
        this.node.#trust!.revive(peer);
        return clock.now() - t0;
      });
    }

    consider(peer: Peer, rtt: number): void {
      this.node.#consider(peer, rtt);
    }

    peerFailed(peer: Peer): void {
      this.node.#peerFailed(peer);
    }

    accept(peer: Peer): boolean {
      return this.node.#trust!.accept(peer);
    }

    dead(peer: Peer): boolean {
      return this.node.#trust!.dead(peer);
    }

    sender(req: RpcRequest): Peer | undefined {
      return this.node.#trust!.sender(req);
    }

    somePeerDeclaredDead(): Peer | undefined {
      return this.node.#trust!.someDead(this.random);
    }

    alive(peer: Peer): void {
      if (this.node.#trust!.revive(peer)) this.node.#consider(peer, Number.NaN);
    }

    warn(error: unknown): void {
      this.node.#warn(error);
    }

    badMessage(error: unknown): void {
      this.node.stats.badMessages++;
      this.node.#warn(error);
    }
  };

  // ---- lifecycle ------------------------------------------------------------------------

  /** Binds the socket. The node is then an overlay of its own until join() is called. */
  async start(): Promise<void> {
    if (this.#status !== 'new') throw new P2PError('node already started', 'ERR_STATE');
    const { runtime, host, port } = this.options;
    // The id depends on the bound port (port 0 = any): filled in right after binding.
    const self = { id: new Uint8Array(this.space.bytes) };
    const rpc = await createDatagramRpc({
      runtime,
      host,
      port,
      self,
      timeoutMs: this.options.rpcTimeoutMs,
      retries: 0,
      maxPending: this.options.maxPendingLookups * 8,
    });
    const address = rpc.address;
    const id = this.space.nodeId(address.host, address.port);
    this.space.write(id, self.id, 0);
    this.#rpc = rpc;
    const peer = new Peer(id, address);
    this.#trust = new PeerTrust(this.space, this.options.verifyIds, this.stats);
    this.#state = new NodeState(peer, this.space, this.options);
    const ctx = new PastryNode.#Context(this);
    const storage = new Storage(ctx);
    this.#storage = storage;
    this.#router = new Router(
      ctx,
      {
        joinPassing: (route, final) => joinPassing(ctx, route, final),
        serveOnPath: (route) => storage.serveOnPath(route),
        deliverStorage: (route) => storage.deliver(route),
      },
      rpc,
    );
    this.#joiner = new Joiner(ctx, this.#router);
    this.#maintenance = new Maintenance(ctx);
    this.#status = 'running';
    registerHandlers(rpc, ctx, {
      router: this.#router,
      joiner: this.#joiner,
      maintenance: this.#maintenance,
      storage,
    });
    if (this.options.maintenance) this.#maintenance.start();
  }

  /** Stops without telling anyone (a crash, as far as the overlay can tell): releases everything. */
  async stop(): Promise<void> {
    if (this.#status === 'stopped') return;
    const started = this.#status === 'running';
    this.#status = 'stopped';
    if (!started) return;
    this.#router?.close(() => new AbortError('node stopped'));
    this.#maintenance?.stop();
    try {
      await this.#rpc?.close();
    } catch {
      // A crashed simulated host's socket is already gone.
    }
  }

  /**
   * Leaves gracefully: hands every stored value to the nodes responsible for it without us,
   * tells the leaf set (LEAVE, with our leaf set for their repair), then stops.
   */
  async leave(): Promise<void> {
    if (this.#status !== 'running') return this.stop();
    try {
      await this.#storage!.handOver();
    } catch (error) {
      this.#warn(error);
    }
    const state = this.state;
    const body = msg.encodePeers(state.leaf.members(), this.space);
    for (const p of state.leaf.members()) this.#notify(p.address, msg.MessageType.LEAVE, body);
    await this.stop();
  }

  /**
   * Joins the overlay that `bootstrap` belongs to (ideally a node near this one: the join copies
   * its neighbourhood set and first row). Resolves once this node has announced itself.
   */
  async join(
    bootstrap: Address,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<void> {
    this.#requireRunning();
    throwIfAborted(options.signal);
    if (sameAddress(bootstrap, this.address)) {
      throw new P2PError('cannot join through itself', 'ERR_INVALID_ARGUMENT');
    }
    const deadline = this.runtime.clock.now() + (options.timeoutMs ?? this.options.lookupTimeoutMs);
    await this.#joiner!.join(bootstrap, deadline, options.signal);
    this.#log('joined via %s:%d: id %s', bootstrap.host, bootstrap.port, this.id.toString(16));
  }

  /** Messages this node sent for its last join (JOIN, state requests, pings, announcements). */
  get joinMessages(): number {
    return this.#joiner?.messages ?? 0;
  }

  /**
   * Client mode: instead of joining, hand every routed message (lookups, put, get) to
   * `address`, a member of the overlay. Used by the CLI's lookup/put/get/table commands.
   */
  useGateway(address: Address): void {
    this.#gateway = address;
  }

  // ---- introspection --------------------------------------------------------------------

  get id(): bigint {
    return this.space.toBigint(this.state.self.id);
  }

  get address(): Address {
    return this.state.self.address;
  }

  get contact(): PastryContact {
    return contactOf(this.space, this.state.self);
  }

  get running(): boolean {
    return this.#status === 'running';
  }

  /** The routing state (read it; do not change it). @internal */
  get state(): NodeState {
    if (this.#state === undefined) throw new P2PError('node not started', 'ERR_STATE');
    return this.#state;
  }

  /** The RPC endpoint's counters (messages sent, received, dropped). */
  get rpcStats(): Readonly<RpcStats> | undefined {
    return this.#rpc?.stats;
  }

  /** Values (own and replicas) this node holds. */
  get storedKeys(): number {
    return this.#storage?.size ?? 0;
  }

  /** This node's leaf set, routing table and neighbourhood set. */
  view(): NodeView {
    return localView(this.space, this.state);
  }

  /**
   * Who listens at `address` (a PING): its contact, or a P2PError `ERR_PROTOCOL` when it is not
   * a node of this id width. Clients call it before using a gateway, for a clear error.
   */
  contactOf(address: Address, options: { signal?: AbortSignal } = {}): Promise<PastryContact> {
    this.#requireRunning();
    return remoteContact(this.space, this.#rpc!, address, options.signal);
  }

  /** The state of the node at `address` (a STATE request for every part). */
  fetchView(address: Address, options: { signal?: AbortSignal } = {}): Promise<NodeView> {
    this.#requireRunning();
    return remoteView(this.#limits, this.#rpc!, address, options.signal);
  }

  // ---- routing and storage ----------------------------------------------------------------

  /** The live node numerically closest to `key` (a string or bytes, hashed with SHA-1). */
  lookup(key: string | Uint8Array, options: LookupOptions = {}): Promise<LookupAnswer> {
    return this.#lookup(this.space.keyId(key), options);
  }

  /** The live node numerically closest to the m-bit id `id`. */
  lookupId(id: bigint, options: LookupOptions = {}): Promise<LookupAnswer> {
    return this.#lookup(this.space.fromBigint(id), options);
  }

  async #lookup(key: Id, options: LookupOptions): Promise<LookupAnswer> {
    const a = await this.route(msg.Purpose.LOOKUP, key, options);
    return { owner: contactOf(this.space, a.responder), hops: a.hops, ms: a.ms };
  }

  /** Stores `value` under `key` on the k nodes numerically closest to the key's id. */
  async put(
    key: string | Uint8Array,
    value: string | Uint8Array,
    options: LookupOptions = {},
  ): Promise<PutResult> {
    const appKey = this.#appKey(key);
    const bytes = typeof value === 'string' ? encoder.encode(value) : value;
    if (bytes.length > this.options.maxValueSize) {
      throw new P2PError(
        `value of ${bytes.length} bytes above maxValueSize ${this.options.maxValueSize}`,
        'ERR_INVALID_ARGUMENT',
      );
    }
    const a = await this.route(msg.Purpose.PUT, this.space.keyId(appKey), {
      ...options,
      appKey,
      value: bytes,
    });
    if (a.status !== msg.Status.OK) {
      throw new P2PError('the responsible node refused the value', 'ERR_REFUSED');
    }
    return { version: a.version ?? 0, replicas: a.replicas ?? 1 };
  }

  /** The value stored under `key`, or undefined when there is none. */
  async get(
    key: string | Uint8Array,
    options: LookupOptions = {},
  ): Promise<Uint8Array | undefined> {
    const appKey = this.#appKey(key);
    const a = await this.route(msg.Purpose.GET, this.space.keyId(appKey), {
      ...options,
      appKey,
    });
    if (a.status === msg.Status.REFUSED) {
      throw new P2PError('the responsible node refused the request', 'ERR_REFUSED');
    }
    return a.status === msg.Status.OK ? a.value : undefined;
  }

  /**
   * Routes a message of `purpose` to the node numerically closest to `key` (the simulator's
   * per-lookup entry: no async frame of its own; the router counts failures). @internal
   */
  route(
    purpose: msg.Purpose,
    key: Id,
    options: LookupOptions & { appKey?: Uint8Array; value?: Uint8Array } = {},
  ): Promise<RouteAnswer> {
    try {
      this.#requireRunning();
      throwIfAborted(options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    this.stats.lookups++;
    return this.#router!.start(purpose, key, options, this.#gateway);
  }

  /** One routing-table maintenance round now (row exchange; also runs on its timer). */
  exchangeRows(): Promise<void> {
    this.#requireRunning();
    return this.#maintenance!.exchangeRows();
  }

  /** One leaf-set keep-alive round now (also runs on its timer). */
  probeLeafSet(): Promise<void> {
    this.#requireRunning();
    return this.#maintenance!.probeLeafSet();
  }

  // ---- state changes --------------------------------------------------------------------

  #consider(peer: Peer, rtt: number): void {
    if (this.#status !== 'running') return;
    if (this.state.consider(peer, rtt)) this.#leafChanged();
  }

  #leafChanged(): void {
    this.#storage?.leafChanged();
    if (this.listenerCount('leafSet') > 0) {
      this.emit(
        'leafSet',
        this.state.leaf.members().map((p) => contactOf(this.space, p)),
      );
    }
  }

  /** A peer did not answer (or left): forget it everywhere, then repair what it held. */
  #peerFailed(peer: Peer): void {
    if (this.#status !== 'running') return;
    this.stats.timeouts++;
    this.#trust!.declareDead(peer);
    const lost = this.state.forget(peer);
    const maintenance = this.#maintenance!;
    if (lost.leaf) {
      this.#leafChanged();
      maintenance.repairLeafSet().catch((error: unknown) => this.#warn(error));
    }
    if (lost.slot !== undefined && this.options.repair) {
      maintenance.repairSlot(lost.slot).catch((error: unknown) => this.#warn(error));
    }
    if (lost.neighbor && this.options.maintenance) {
      maintenance.refillNeighborhood().catch((error: unknown) => this.#warn(error));
    }
  }

  // ---- plumbing -------------------------------------------------------------------------

  #appKey(key: string | Uint8Array): Uint8Array {
    const bytes = typeof key === 'string' ? encoder.encode(key) : key;
    if (bytes.length === 0 || bytes.length > this.options.maxKeySize) {
      throw new P2PError(
        `key must be 1..${this.options.maxKeySize} bytes, got ${bytes.length}`,
        'ERR_INVALID_ARGUMENT',
      );
    }
    return bytes;
  }

  #request(to: Address, type: number, body: Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
    const rpc = this.#rpc;
    if (rpc === undefined || this.#status !== 'running') {
      return Promise.reject(new AbortError('node stopped'));
    }
    return rpc
      .request(to, type, body, { timeoutMs: timeoutMs ?? this.options.rpcTimeoutMs, retries: 0 })
      .then((r) => r.body);
  }

  #notify(to: Address, type: number, body: Uint8Array): void {
    if (this.#status !== 'running') return;
    try {
      this.#rpc?.notify(to, type, body);
    } catch (error) {
      this.#warn(error);
    }
  }

  #requireRunning(): void {
    if (this.#status !== 'running') throw new AbortError('node not running');
  }

  #log(message: string, ...args: unknown[]): void {
    this.#logger ??= this.runtime.log.extend('pastry');
    if (this.#logger.enabled) this.#logger(message, ...args);
  }

  #warn(error: unknown): void {
    if (this.#status === 'stopped') return;
    const e = error instanceof Error ? error : new Error(String(error));
    this.#log('warning: %s', e.message);
    this.emit('warning', e);
  }
}

/** Creates a Pastry node; call start() to bind it, then join() (or stay alone). */
export function createPastryNode(options: PastryOptions): PastryNode {
  return new PastryNode(options);
}
