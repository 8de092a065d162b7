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
  Emitter,
  type Id,
  keyId,
  P2PError,
  type Runtime,
  throwIfAborted,
} from '@p2pkit/core';
import { NodeContext } from './context.js';
import { registerHandlers } from './handlers.js';
import type { RouteResult } from './lookup.js';
import * as msg from './messages.js';
import { type ChordOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { Peer } from './peer.js';
import { iterate } from './route.js';
import { RoutingTable } from './routing.js';
import { type ChordRpc, openRpc } from './rpc.js';
import type { Store } from './store.js';
import {
  type ChordContact,
  type ChordEvents,
  type ChordStats,
  type LookupAnswer,
  type LookupOptions,
  type RingEntry,
  toContact,
} from './types.js';

const encoder = new TextEncoder();
/** Lookups of our own id a join tries through its bootstrap before it fails. */
const JOIN_ATTEMPTS = 3;

/**
 * The public façade: lifecycle, join and leave, lookups, the key-value store, introspection.
 * What a running node knows and does lives in its NodeContext (context.ts), which the routing
 * (route.ts, recursive.ts), stabilization (stabilize.ts), store (replication.ts) and message
 * handlers (handlers.ts) receive.
 */
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
  /** Created by start() or attach(). */
  #ctx: NodeContext | undefined;
  /** Set by stop() before start(): the node never runs. */
  #stoppedEarly = false;
  /** A gateway named before start() (see useGateway). */
  #gateway: Peer | undefined;

  constructor(options: ChordOptions) {
    super();
    this.options = resolveOptions(options);
    this.runtime = options.runtime;
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /** Binds the socket. The node then forms a ring of its own until join() is called. */
  async start(): Promise<void> {
    if (this.#ctx !== undefined || this.#stoppedEarly) {
      throw new P2PError('node already started', 'ERR_STATE');
    }
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
    if (this.options.maintenance) this.#running().maintenance.start();
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
    const table = new RoutingTable(self, m, successors);
    const ctx = new NodeContext(this, this.runtime, this.options, this.stats, rpc, table);
    ctx.gateway = this.#gateway;
    this.#ctx = ctx;
    registerHandlers(ctx, rpc);
  }

  /** Stops without telling anyone (a crash, as far as the ring can tell): releases everything. */
  async stop(): Promise<void> {
    const ctx = this.#ctx;
    if (ctx === undefined) {
      this.#stoppedEarly = true;
      return;
    }
    if (ctx.state === 'stopped') return;
    ctx.state = 'stopped';
    // Settle what callers wait for first: on a crashed simulated host the clock below throws.
    ctx.recursive.close(() => new AbortError('node stopped'));
    ctx.maintenance.stop();
    try {
      await ctx.rpc.close();
    } catch {
      // Same: a crashed host's socket is already gone.
    }
  }

  /**
   * Leaves gracefully (ToN §IV-E.4): hands the keys it owns to its successor, tells its
   * predecessor and successor so they can splice it out, then stops.
   */
  async leave(options: { signal?: AbortSignal } = {}): Promise<void> {
    const ctx = this.#ctx;
    if (ctx === undefined || ctx.state !== 'running') return this.stop();
    const t = ctx.table;
    const succ = t.successors[0];
    if (succ !== undefined) {
      try {
        await ctx.kv.handOver(succ, options.signal);
      } catch (error) {
        ctx.warn(error);
      }
      const toPred = msg.encodeLeave({ predecessor: undefined, successors: t.successors });
      const toSucc = msg.encodeLeave({ predecessor: t.predecessor, successors: [] });
      if (t.predecessor && t.predecessor.key !== succ.key) {
        ctx.notify(t.predecessor, msg.MessageType.LEAVE, toPred);
      }
      ctx.notify(succ, msg.MessageType.LEAVE, toSucc);
      if (t.predecessor?.key === succ.key) {
        // Ring of two: the other node is both; it needs both halves.
        ctx.notify(succ, msg.MessageType.LEAVE, toPred);
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
    const ctx = this.#ctx!;
    const via = new Peer(this.options.space.nodeId(bootstrap.host, bootstrap.port), bootstrap);
    if (via.key === t.self.key)
      throw new P2PError('cannot join through itself', 'ERR_INVALID_ARGUMENT');
    const deadline = this.runtime.clock.now() + (options.timeoutMs ?? this.options.lookupTimeoutMs);
    // A lost datagram must not fail a join: try again (within the deadline) before giving up.
    let result: RouteResult | undefined;
    for (let attempt = 1; result === undefined; attempt++) {
      try {
        result = await iterate(ctx, t.self.id, { signal: options.signal, via: [via], deadline });
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
    ctx.bootstrap = via;
    // The namer's successor list from the owner on is our first successor list: a node that
    // joins with a single successor is cut off if that one fails before stabilize runs.
    if (result.owner.key !== t.self.key) {
      ctx.setSuccessors([result.owner, ...(result.alternates ?? [])]);
    }
    await this.stabilize();
    ctx.log('joined via %s: id %s, successor %s', via.key, this.id.toString(16), t.successor().key);
  }

  /**
   * Client mode: instead of joining, route every lookup (and so put/get/delete) through
   * `address`, a member of the ring. Used by the CLI's put/get/lookup/ring commands.
   */
  useGateway(address: Address): void {
    const gateway = new Peer(this.options.space.nodeId(address.host, address.port), address);
    this.#gateway = gateway;
    if (this.#ctx !== undefined) this.#ctx.gateway = gateway;
  }

  /**
   * Walks the ring from the gateway (or this node) along successor pointers, asking each node
   * for its predecessor and successor list, until it comes back to the start or `limit` nodes.
   * A node that does not answer is listed as unreachable and the walk goes on from the next
   * entry of the last answering node's successor list (as stabilization would).
   */
  async walk(options: { signal?: AbortSignal; limit?: number } = {}): Promise<RingEntry[]> {
    const ctx = this.#running();
    const limit = options.limit ?? 10_000;
    const table = ctx.table;
    const start = ctx.gateway ?? table.self;
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
          current.key === table.self.key
            ? { predecessor: table.predecessor, successors: table.successors }
            : msg.decodeNeighbors(
                await ctx.request(current, msg.MessageType.NEIGHBORS, msg.EMPTY, options.signal),
                ctx.limits,
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
      ahead = n.successors.filter((p) => ctx.accept(p));
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
    return this.#ctx?.running ?? false;
  }

  /** The routing table (read it; do not change it). @internal */
  get table(): RoutingTable {
    if (this.#ctx === undefined) throw new P2PError('node not started', 'ERR_STATE');
    return this.#ctx.table;
  }

  /** Keys (values and tombstones) this node holds, as owner or replica. */
  get storedKeys(): number {
    return this.#ctx?.kv.store.size ?? 0;
  }

  /** @internal */
  get store(): Store {
    if (this.#ctx === undefined) throw new P2PError('node not started', 'ERR_STATE');
    return this.#ctx.kv.store;
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

  // ---- lookups (route.ts) ---------------------------------------------------------------

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
    const ctx = this.#ctx;
    if (ctx !== undefined) return ctx.route(key, options);
    throwIfAborted(options.signal);
    this.stats.lookups++;
    this.stats.lookupFailures++;
    throw new AbortError('node not running');
  }

  // ---- key-value store (replication.ts) -------------------------------------------------

  /** Stores `value` under `key` at the key's owner, which replicates it. Resolves to its version. */
  put(
    key: string | Uint8Array,
    value: string | Uint8Array,
    options: LookupOptions = {},
  ): Promise<number> {
    const kv = this.#running().kv;
    return kv.write(key, typeof value === 'string' ? encoder.encode(value) : value, options);
  }

  /** Deletes `key` (a tombstone replaces the value on every replica). */
  async delete(key: string | Uint8Array, options: LookupOptions = {}): Promise<void> {
    await this.#running().kv.write(key, undefined, options);
  }

  /** The value stored under `key`, or undefined when there is none. */
  get(key: string | Uint8Array, options: LookupOptions = {}): Promise<Uint8Array | undefined> {
    return this.#running().kv.read(key, options);
  }

  // ---- maintenance (stabilize.ts) --------------------------------------------------------

  /** One stabilize round now (also runs on its timer). */
  stabilize(): Promise<void> {
    return this.#ctx?.maintenance.stabilize() ?? Promise.resolve();
  }

  /** One fix_fingers round now. */
  fixFingers(): Promise<void> {
    return this.#ctx?.maintenance.fixFingers() ?? Promise.resolve();
  }

  /** One check_predecessor round now. */
  checkPredecessor(): Promise<void> {
    return this.#ctx?.maintenance.checkPredecessor() ?? Promise.resolve();
  }

  /** The context of a running node, or AbortError. */
  #running(): NodeContext {
    const ctx = this.#ctx;
    if (ctx === undefined || ctx.state !== 'running') throw new AbortError('node not running');
    return ctx;
  }
}

/** Creates a Chord node; call start() to bind it, then join() (or stay alone: a ring of one). */
export function createChordNode(options: ChordOptions): ChordNode {
  return new ChordNode(options);
}
