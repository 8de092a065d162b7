/**
 * PAST-style replicated storage (PAST, SOSP 2001; Pastry §3.1): a value is stored on the k nodes
 * numerically closest to its key's id. A PUT is routed to the closest node, which stores it with
 * the next version and pushes it to the other k − 1 (REPLICATE). A GET is routed the same way and
 * answered by the first replica it meets. When the leaf set changes, each replica pushes its
 * values to the nodes that have just become responsible for them, and drops the values it is no
 * longer responsible for.
 */
import { type Id, TimeoutError } from '@p2pkit/core';
import type { Context } from './context.js';
import * as msg from './messages.js';
import type { Peer } from './peer.js';

interface Stored {
  key: Uint8Array;
  id: Id;
  version: number;
  value: Uint8Array;
}

/** Bytes of items per REPLICATE message (one UDP datagram, with room for the envelope). */
const BATCH_BYTES = 48 * 1024;

type Outcome = Omit<msg.RouteResult, 'routeId' | 'hops' | 'responder'>;

export class Storage {
  readonly #ctx: Context;
  /** Items by their key bytes read as latin1. */
  readonly #items = new Map<string, Stored>();
  #bytes = 0;
  /** Leaf-set member keys when the replica sets were last computed. */
  #members: readonly Peer[] = [];

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  get size(): number {
    return this.#items.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The k nodes responsible for `id` by this node's leaf set, closest first. */
  replicasOf(id: Id): Peer[] {
    return this.#ctx.state.leaf.closestK(id, this.#ctx.options.replicas);
  }

  /** A PUT or GET delivered here (this node is numerically closest to the key). */
  async deliver(route: msg.Route): Promise<Outcome> {
    const ctx = this.#ctx;
    const appKey = route.appKey!;
    if (ctx.space.keyId(appKey) !== route.key) {
      ctx.stats.badMessages++;
      return { purpose: route.purpose, status: msg.Status.REFUSED };
    }
    if (route.purpose === msg.Purpose.GET) return this.#read(route);
    const old = this.#items.get(latin1(appKey));
    const item: Stored = {
      key: appKey.slice(),
      id: route.key,
      version: (old?.version ?? 0) + 1,
      value: route.value!.slice(),
    };
    if (!this.#store(item)) return { purpose: route.purpose, status: msg.Status.REFUSED };
    const others = this.replicasOf(item.id).filter((p) => p !== ctx.state.self);
    const pushed = await Promise.all(others.map((p) => this.#push(p, [item])));
    const replicas = 1 + pushed.filter(Boolean).length;
    return { purpose: route.purpose, status: msg.Status.OK, version: item.version, replicas };
  }

  /** A GET passing through: answered here if this node is a replica and holds the value. */
  serveOnPath(route: msg.Route): Outcome | undefined {
    const item = this.#items.get(latin1(route.appKey!));
    if (item === undefined || item.id !== route.key) return undefined;
    const self = this.#ctx.state.self;
    if (!this.replicasOf(item.id).includes(self)) return undefined;
    return this.#read(route);
  }

  /** REPLICATE: keep each item newer than ours. */
  handleReplicate(body: Uint8Array): Uint8Array {
    const ctx = this.#ctx;
    for (const item of msg.decodeItems(body, ctx.limits)) {
      const id = ctx.space.keyId(item.key);
      const old = this.#items.get(latin1(item.key));
      if (old !== undefined && old.version >= item.version) continue;
      this.#store({ key: item.key.slice(), id, version: item.version, value: item.value.slice() });
    }
    return msg.EMPTY;
  }

  /**
   * The leaf set changed: push each item we still hold a replica of to the nodes that have
   * become responsible for it since the last check, and drop what we are no longer responsible
   * for (the other replicas push it to whoever is).
   */
  leafChanged(): void {
    const ctx = this.#ctx;
    const leaf = ctx.state.leaf;
    const before = this.#members;
    this.#members = leaf.members();
    if (this.#items.size === 0) return;
    const self = ctx.state.self;
    const k = ctx.options.replicas;
    const byTarget = new Map<string, { peer: Peer; items: Stored[] }>();
    for (const [name, item] of this.#items) {
      const now = leaf.closestK(item.id, k);
      const was = closestOf(ctx, [self, ...before], item.id, k);
      const wasKeys = new Set(was.map((p) => p.key));
      for (const p of now) {
        if (p === self || wasKeys.has(p.key)) continue;
        let batch = byTarget.get(p.key);
        if (batch === undefined) byTarget.set(p.key, (batch = { peer: p, items: [] }));
        batch.items.push(item);
      }
      if (!now.includes(self)) {
        this.#items.delete(name);
        this.#bytes -= item.key.length + item.value.length;
      }
    }
    for (const { peer, items } of byTarget.values()) void this.#push(peer, items);
  }

  /** Leaving: push every item to whoever becomes responsible for it without us. */
  async handOver(): Promise<void> {
    const ctx = this.#ctx;
    const self = ctx.state.self;
    const members = ctx.state.leaf.members();
    const byTarget = new Map<string, { peer: Peer; items: Stored[] }>();
    for (const item of this.#items.values()) {
      for (const p of closestOf(ctx, members, item.id, ctx.options.replicas)) {
        if (p === self) continue;
        let batch = byTarget.get(p.key);
        if (batch === undefined) byTarget.set(p.key, (batch = { peer: p, items: [] }));
        batch.items.push(item);
      }
    }
    await Promise.all([...byTarget.values()].map(({ peer, items }) => this.#push(peer, items)));
  }

  #read(route: msg.Route): Outcome {
    const item = this.#items.get(latin1(route.appKey!));
    if (item === undefined) return { purpose: route.purpose, status: msg.Status.NOT_FOUND };
    return {
      purpose: route.purpose,
      status: msg.Status.OK,
      version: item.version,
      value: item.value,
    };
  }

  #store(item: Stored): boolean {
    const name = latin1(item.key);
    const old = this.#items.get(name);
    const delta =
      item.key.length + item.value.length - (old ? old.key.length + old.value.length : 0);
    if (this.#bytes + delta > this.#ctx.options.maxStoredBytes) return false;
    this.#items.set(name, item);
    this.#bytes += delta;
    return true;
  }

  /** Sends items to a replica in datagram-sized batches; resolves whether all arrived. */
  async #push(peer: Peer, items: readonly Stored[]): Promise<boolean> {
    const ctx = this.#ctx;
    let ok = true;
    for (const batch of batches(items)) {
      try {
        msg.decodeEmpty(
          await ctx.request(peer.address, msg.MessageType.REPLICATE, msg.encodeItems(batch)),
        );
      } catch (error) {
        ok = false;
        if (error instanceof TimeoutError) ctx.peerFailed(peer);
        else ctx.warn(error);
        break;
      }
    }
    return ok;
  }
}

/** The k of `peers` numerically closest to `id`. */
function closestOf(ctx: Context, peers: readonly Peer[], id: Id, k: number): Peer[] {
  const s = ctx.space;
  return [...peers].sort((x, y) => s.compareDistance(id, x.id, y.id)).slice(0, k);
}

function* batches(items: readonly Stored[]): Generator<Stored[]> {
  let batch: Stored[] = [];
  let size = 0;
  for (const item of items) {
    const n = item.key.length + item.value.length + 16;
    if (batch.length > 0 && (size + n > BATCH_BYTES || batch.length >= msg.MAX_ITEMS)) {
      yield batch;
      batch = [];
      size = 0;
    }
    batch.push(item);
    size += n;
  }
  if (batch.length > 0) yield batch;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
