/**
 * The replicated key-value store on top of the ring (DHash-like, simplified): a value lives at
 * its key's owner and the owner's next `replicas − 1` successors. The owner assigns versions;
 * a higher version wins everywhere, and a delete leaves a tombstone that wins too.
 *
 * Keys move with the ring: a node that gets a new predecessor in its range hands that node the
 * keys it now owns; a node whose range grows (its predecessor failed or left) re-replicates what
 * it gained; a node whose replica set changes pushes what it owns to the newcomers.
 */
import { AbortError, type Clock, type Id, P2PError, TimeoutError } from '@p2pkit/core';
import type { RouteResult } from './lookup.js';
import * as msg from './messages.js';
import type { Peer } from './peer.js';
import type { RoutingTable } from './routing.js';
import { spaceFor } from './space.js';
import { Store } from './store.js';

/** What the store needs from its node. */
export interface ReplicationHost {
  readonly clock: Clock;
  readonly table: RoutingTable;
  readonly limits: msg.WireLimits;
  readonly replicas: number;
  readonly tombstoneMs: number;
  readonly maxStoredBytes: number;
  /** Routes to the owner of an id (the node's lookup). */
  route(
    id: Id,
    options: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined },
  ): Promise<RouteResult>;
  /** One request to a peer; rejects with TimeoutError when it does not answer. */
  request(to: Peer, type: number, body: Uint8Array, signal?: AbortSignal): Promise<Uint8Array>;
  /** The claimed-id check. */
  accept(peer: Peer): boolean;
  warn(error: unknown): void;
}

export interface KvOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

const encoder = new TextEncoder();
/** Bytes of items per REPLICATE message: well under a datagram. */
const BATCH_BYTES = 32_000;

export class Replication {
  readonly store: Store;
  readonly #host: ReplicationHost;
  /** Keys of the replica set (first replicas − 1 successors) we last pushed our items to. */
  #replicaKeys: string[] = [];

  constructor(host: ReplicationHost) {
    this.#host = host;
    this.store = new Store(host.maxStoredBytes, spaceFor(host.limits.m));
  }

  /** The id of a key, and the key as bytes (checked against maxKeySize). */
  keyOf(key: string | Uint8Array): { bytes: Uint8Array; id: Id } {
    const bytes = typeof key === 'string' ? encoder.encode(key) : key;
    const max = this.#host.limits.maxKeySize;
    if (bytes.length === 0 || bytes.length > max) {
      throw new P2PError(`key must be 1..${max} bytes`, 'ERR_KEY_TOO_LARGE');
    }
    return { bytes, id: spaceFor(this.#host.limits.m).keyId(bytes) };
  }

  /** put (value) or delete (undefined) through the key's owner; resolves to the new version. */
  async write(
    key: string | Uint8Array,
    value: Uint8Array | undefined,
    options: KvOptions,
  ): Promise<number> {
    if (value !== undefined && value.length > this.#host.limits.maxValueSize) {
      throw new P2PError(
        `value of ${value.length} bytes above maxValueSize`,
        'ERR_VALUE_TOO_LARGE',
      );
    }
    const { bytes, id } = this.keyOf(key);
    const body = msg.encodePut({ key: bytes, value });
    let lastError: unknown;
    // A timeout right after the lookup means the owner just died: look it up again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const { owner } = await this.#host.route(id, options);
      try {
        const answer =
          owner.key === this.#host.table.self.key
            ? this.handlePut(body)
            : await this.#host.request(owner, msg.MessageType.PUT, body, options.signal);
        return msg.decodeVersion(answer);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  /** The value of `key`: from its owner, or from the replicas the owner names when it has none. */
  async read(key: string | Uint8Array, options: KvOptions): Promise<Uint8Array | undefined> {
    const h = this.#host;
    const { bytes, id } = this.keyOf(key);
    const { owner } = await h.route(id, options);
    const body = msg.encodeFetch(bytes);
    const queue: Peer[] = [owner];
    const asked = new Set<string>();
    while (queue.length > 0 && asked.size < h.replicas + 1) {
      const peer = queue.shift()!;
      if (asked.has(peer.key)) continue;
      asked.add(peer.key);
      let answer: msg.Fetched;
      try {
        const reply =
          peer.key === h.table.self.key
            ? this.handleFetch(body)
            : await h.request(peer, msg.MessageType.FETCH, body, options.signal);
        answer = msg.decodeFetched(reply, h.limits);
      } catch (error) {
        if (error instanceof AbortError) throw error;
        continue;
      }
      if (answer.status === 'found') return answer.value;
      if (answer.status === 'deleted') return undefined;
      for (const r of answer.replicas) if (h.accept(r)) queue.push(r);
    }
    return undefined;
  }

  /** PUT at the owner: new version, store, push to the replica set. */
  handlePut(body: Uint8Array): Uint8Array {
    const h = this.#host;
    const p = msg.decodePut(body, h.limits);
    const id = spaceFor(h.limits.m).keyId(p.key);
    const old = this.store.get(id);
    const item = { key: p.key, value: p.value, version: (old?.version ?? 0) + 1 };
    this.store.apply(id, item, h.clock.now() + h.tombstoneMs);
    this.#pushAll(this.replicaSet(), [item]);
    return msg.encodeVersion(item.version);
  }

  handleFetch(body: Uint8Array): Uint8Array {
    const h = this.#host;
    const key = msg.decodeFetch(body, h.limits);
    const item = this.store.get(spaceFor(h.limits.m).keyId(key));
    if (item === undefined) {
      return msg.encodeFetched({ status: 'missing', replicas: this.replicaSet() });
    }
    if (item.value === undefined) {
      return msg.encodeFetched({ status: 'deleted', version: item.version, replicas: [] });
    }
    return msg.encodeFetched({
      status: 'found',
      version: item.version,
      value: item.value,
      replicas: [],
    });
  }

  /** Items from a replica push, a join hand-off or a leave hand-over. */
  handleReplicate(body: Uint8Array): Uint8Array {
    const h = this.#host;
    const t = h.table;
    const items = msg.decodeReplicate(body, h.limits);
    const mine: msg.Item[] = [];
    const expires = h.clock.now() + h.tombstoneMs;
    for (const item of items) {
      const id = spaceFor(h.limits.m).keyId(item.key);
      if (this.store.apply(id, item, expires) && t.predecessor !== undefined && t.owns(id))
        mine.push(item);
    }
    // Newly ours (a leave hand-over, a repair): make sure our replica set has them too.
    if (mine.length > 0) this.#pushAll(this.replicaSet(), mine);
    return msg.EMPTY;
  }

  /**
   * Our predecessor changed from `old` (undefined: unknown) to `p`. A node that joined between
   * them gets the keys it now owns; if `p` is farther back, our range grew: replicate it.
   */
  predecessorChanged(old: Peer | undefined, p: Peer): void {
    const t = this.#host.table;
    if (old === undefined || old.key === p.key) return;
    if (t.space.inOpen(p.id, old.id, t.self.id)) {
      // We stay a replica of these keys: p's replica set starts with us.
      const moving = this.store.inRange(old.id, p.id);
      if (moving.length > 0) this.#push(p, moving);
    } else {
      const gained = this.store.inRange(p.id, old.id);
      if (gained.length > 0) this.#pushAll(this.replicaSet(), gained);
    }
  }

  /** The successor list changed: push the keys we own to new members of the replica set. */
  successorsChanged(): void {
    const set = this.replicaSet();
    const fresh = set.filter((p) => !this.#replicaKeys.includes(p.key));
    this.#replicaKeys = set.map((p) => p.key);
    const t = this.#host.table;
    if (fresh.length === 0 || this.store.size === 0 || t.predecessor === undefined) return;
    const owned = this.store.inRange(t.predecessor.id, t.self.id);
    if (owned.length > 0) this.#pushAll(fresh, owned);
  }

  /** Leaving: give every key we own to our successor (it owns them once we are gone). */
  async handOver(to: Peer, signal?: AbortSignal): Promise<void> {
    const t = this.#host.table;
    const items = t.predecessor
      ? this.store.inRange(t.predecessor.id, t.self.id)
      : [...this.store.all()];
    await this.push(to, items, signal);
  }

  /** The first replicas − 1 successors: where the keys we own are copied. */
  replicaSet(): Peer[] {
    return this.#host.table.successors.slice(0, this.#host.replicas - 1);
  }

  /** Sends items in REPLICATE requests under a size budget per datagram. */
  async push(to: Peer, items: readonly msg.Item[], signal?: AbortSignal): Promise<void> {
    const h = this.#host;
    if (to.key === h.table.self.key || items.length === 0) return;
    let batch: msg.Item[] = [];
    let size = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const body = msg.encodeReplicate(batch);
      batch = [];
      size = 0;
      msg.decodeEmpty(await h.request(to, msg.MessageType.REPLICATE, body, signal));
    };
    for (const item of items) {
      const s = msg.itemSize(item);
      if (batch.length >= msg.MAX_ITEMS || (batch.length > 0 && size + s > BATCH_BYTES))
        await flush();
      batch.push(item);
      size += s;
    }
    await flush();
  }

  #push(to: Peer, items: readonly msg.Item[]): void {
    this.push(to, items).catch((e: unknown) => this.#host.warn(e));
  }

  #pushAll(to: readonly Peer[], items: readonly msg.Item[]): void {
    for (const r of to) this.#push(r, items);
  }
}
