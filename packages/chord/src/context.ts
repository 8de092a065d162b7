/**
 * A running node's internals as its modules see them: the routing table, the endpoint, the
 * options, and the few operations every module needs (send, check a peer's claimed id, change
 * successor or predecessor, declare a peer dead, warn). The node (node.ts) is the public façade
 * over one context; routing (route.ts, recursive.ts), stabilization (stabilize.ts), the store
 * (replication.ts) and the message handlers (handlers.ts) each receive it.
 *
 * One object per node with its methods on the prototype: 10^5 simulated nodes do not each carry
 * a dozen closures.
 */
import {
  AbortError,
  type Clock,
  type Emitter,
  type Id,
  type Logger,
  type Random,
  type Runtime,
  sameAddress,
} from '@p2pkit/core';
import type { RouteResult } from './lookup.js';
import type * as msg from './messages.js';
import type { ResolvedOptions } from './options.js';
import { Peer } from './peer.js';
import { type RecursiveHost, RecursiveLookups } from './recursive.js';
import { Replication, type ReplicationHost } from './replication.js';
import { route, routeVia } from './route.js';
import type { RoutingTable } from './routing.js';
import type { ChordRpc, RpcRequest } from './rpc.js';
import { nodeIdOf } from './space.js';
import { Maintenance, type MaintenanceHost } from './stabilize.js';
import { type ChordEvents, type ChordStats, type LookupOptions, toContact } from './types.js';

export class NodeContext implements RecursiveHost, ReplicationHost, MaintenanceHost {
  readonly options: ResolvedOptions;
  readonly clock: Clock;
  readonly random: Random;
  readonly table: RoutingTable;
  readonly rpc: ChordRpc;
  readonly limits: msg.WireLimits;
  readonly stats: ChordStats;
  state: 'running' | 'stopped' = 'running';
  readonly recursive: RecursiveLookups;
  readonly kv: Replication;
  readonly maintenance: Maintenance;
  /** The predecessor before it failed: tells how far our key range grew when a new one comes. */
  lastPredecessor: Peer | undefined;
  /** Client mode: lookups start at this ring member (see ChordNode.useGateway). */
  gateway: Peer | undefined;
  /** The peer we joined through: a last resort when every other contact is gone. */
  bootstrap: Peer | undefined;
  readonly #events: Emitter<ChordEvents>;
  readonly #runtime: Runtime;
  /** Created on first use: 10^5 simulated nodes need not each carry a logger. */
  #logger: Logger | undefined;

  constructor(
    events: Emitter<ChordEvents>,
    runtime: Runtime,
    options: ResolvedOptions,
    stats: ChordStats,
    rpc: ChordRpc,
    table: RoutingTable,
  ) {
    this.#events = events;
    this.#runtime = runtime;
    this.options = options;
    this.clock = runtime.clock;
    this.random = runtime.random;
    this.stats = stats;
    this.rpc = rpc;
    this.table = table;
    this.limits = {
      m: options.m,
      maxKeySize: options.maxKeySize,
      maxValueSize: options.maxValueSize,
    };
    this.recursive = new RecursiveLookups(this);
    this.kv = new Replication(this);
    this.maintenance = new Maintenance(this);
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** How long a recursive lookup waits for its answer before the iterative fallback. */
  get timeoutMs(): number {
    return this.options.recursiveTimeoutMs;
  }

  get maxPending(): number {
    return this.options.maxPendingLookups;
  }

  get replicas(): number {
    return this.options.replicas;
  }

  get tombstoneMs(): number {
    return this.options.tombstoneMs;
  }

  get maxStoredBytes(): number {
    return this.options.maxStoredBytes;
  }

  /** The node's lookup (route.ts). */
  route(id: Id, options: LookupOptions): Promise<RouteResult> {
    return route(this, id, options);
  }

  /** An iterative lookup, from `via` instead of our own table when given (maintenance). */
  routeVia(key: Id, via: Peer[] | undefined): Promise<RouteResult> {
    return routeVia(this, key, via);
  }

  requireRunning(): void {
    if (this.state !== 'running') throw new AbortError('node not running');
  }

  /** One request to a peer; rejects with TimeoutError when it does not answer. */
  request(peer: Peer, type: number, body: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.state !== 'running') return Promise.reject(new AbortError('node stopped'));
    return this.rpc
      .request(peer.address, type, body, { signal, timeoutMs: this.options.rpcTimeoutMs })
      .then((r) => r.body);
  }

  /** A oneway message (a failed send is a warning). */
  notify(peer: Peer, type: number, body: Uint8Array): void {
    if (this.state !== 'running') return;
    try {
      this.rpc.notify(peer.address, type, body);
    } catch (error) {
      this.warn(error);
    }
  }

  /** The claimed-id check: a peer's id must be nodeId(its address) (memo shared per width). */
  accept(peer: Peer): boolean {
    if (!this.options.verifyIds) return true;
    if (nodeIdOf(this.options.space, peer.address) === peer.id) return true;
    this.stats.rejectedPeers++;
    return false;
  }

  /** The envelope's sender as a Peer, if its id checks out (and it is who sent the datagram). */
  sender(req: RpcRequest): Peer | undefined {
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
    return this.accept(peer) ? peer : undefined;
  }

  setSuccessors(list: Peer[]): void {
    const t = this.table;
    const before = t.successors[0];
    t.setSuccessors(list);
    const after = t.successors[0];
    if (after && after.key !== before?.key) this.#events.emit('successor', toContact(after));
    this.kv.successorsChanged();
  }

  setPredecessor(p: Peer): void {
    const t = this.table;
    const old = t.predecessor ?? this.lastPredecessor;
    t.predecessor = p;
    this.lastPredecessor = undefined;
    this.#events.emit('predecessor', toContact(p));
    this.kv.predecessorChanged(old, p);
  }

  /** The predecessor failed or left without naming a successor of its own. */
  predecessorGone(): void {
    this.#events.emit('predecessor', undefined);
  }

  /** A peer failed to answer: count it and (unless frozen) forget it everywhere. */
  peerFailed(peer: Peer, force = false): void {
    this.stats.timeouts++;
    if (!this.options.evictOnTimeout && !force) return;
    const t = this.table;
    if (t.knows(peer.key)) this.maintenance.buried(peer);
    const wasSucc = t.successors[0]?.key === peer.key;
    const wasPred = t.predecessor?.key === peer.key;
    if (wasPred) this.lastPredecessor = peer;
    t.remove(peer.key);
    if (wasPred) this.predecessorGone();
    if (wasSucc) {
      const next = t.successors[0];
      if (next) this.#events.emit('successor', toContact(next));
      this.kv.successorsChanged();
    }
  }

  /** Housekeeping after each check_predecessor round: expired tombstones go. */
  tidy(): void {
    this.kv.store.expire(this.clock.now());
  }

  /** Counts and reports a malformed message (the RPC layer answers a request with the error). */
  badMessage(error: unknown): void {
    this.stats.badMessages++;
    this.warn(error);
  }

  /** A recoverable problem: the node's 'warning' event (silent once stopped). */
  warn(error: unknown): void {
    if (this.state === 'stopped') return;
    const e = error instanceof Error ? error : new Error(String(error));
    this.log('warning: %s', e.message);
    this.#events.emit('warning', e);
  }

  log(message: string, ...args: unknown[]): void {
    this.#logger ??= this.#runtime.log.extend('chord');
    if (this.#logger.enabled) this.#logger(message, ...args);
  }
}
