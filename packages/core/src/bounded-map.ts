/**
 * BoundedMap: a Map with a maximum size (least recently used entries go first) and an optional
 * time to live read from the Runtime clock. Gnutella's GUID routing tables and pong caches,
 * Napster's and FastTrack's caches: state a peer can grow by sending us messages, so it must
 * be bounded.
 *
 * Built on lru-cache (well kept, O(1) per operation, typed-array linked list, no per-entry
 * object): it takes the clock through its `perf` option, so a TTL runs on virtual time in the
 * simulator and on a manual clock in tests. Two details of lru-cache are handled here:
 * `ttlResolution: 0` (its default caches `now()` behind a global setTimeout, which protocol
 * code must not use) and a start time of 0 meaning "no TTL" to it, while our clocks start at
 * 0: the clock is read shifted by 1 ms (only differences of times are ever used).
 */
import { LRUCache } from 'lru-cache';
import { P2PError } from './errors.js';
import type { Clock } from './runtime.js';

/** Why an entry left the map on its own: pushed out by a newer one, or expired. */
export type EvictionReason = 'evict' | 'expire';

export interface BoundedMapOptions<K, V> {
  /** Most entries held; setting one more drops the least recently used. */
  maxSize: number;
  /** Time to live of an entry in milliseconds from when it was set; default: no expiry. */
  ttlMs?: number;
  /** The clock the TTL runs on (the Runtime's); required with `ttlMs`. */
  clock?: Pick<Clock, 'now'>;
  /** Called when an entry is evicted for room or found expired (not on delete, set or clear). */
  onEvict?: (key: K, value: V, reason: EvictionReason) => void;
}

/**
 * A size-bounded, optionally expiring map, least recently used first out. `get` refreshes an
 * entry's recency, `peek` does not; neither refreshes its TTL (set again for that). Expired
 * entries are never returned; they are dropped when met, or all at once by `purgeStale()`.
 * Iteration runs from most to least recently used. Values may not be undefined.
 */
export class BoundedMap<K extends {}, V extends {}> implements Iterable<[K, V]> {
  readonly maxSize: number;
  readonly ttlMs: number | undefined;
  private readonly cache: LRUCache<K, V>;

  constructor(options: BoundedMapOptions<K, V>) {
    const { maxSize, ttlMs, clock, onEvict } = options;
    if (!(Number.isSafeInteger(maxSize) && maxSize >= 1)) {
      throw new P2PError(
        `maxSize must be a positive integer, got ${maxSize}`,
        'ERR_INVALID_ARGUMENT',
      );
    }
    if (ttlMs !== undefined && !(ttlMs > 0 && Number.isFinite(ttlMs))) {
      throw new P2PError(`ttlMs must be a positive number, got ${ttlMs}`, 'ERR_INVALID_ARGUMENT');
    }
    if (ttlMs !== undefined && clock === undefined) {
      throw new P2PError('a BoundedMap with ttlMs needs the Runtime clock', 'ERR_INVALID_ARGUMENT');
    }
    this.maxSize = maxSize;
    this.ttlMs = ttlMs;
    const dispose = onEvict
      ? (value: V, key: K, reason: LRUCache.DisposeReason) => {
          if (reason === 'evict' || reason === 'expire') onEvict(key, value, reason);
        }
      : undefined;
    this.cache = new LRUCache<K, V>({
      max: maxSize,
      ...(ttlMs !== undefined && clock !== undefined
        ? { ttl: ttlMs, ttlResolution: 0, perf: { now: () => clock.now() + 1 } }
        : {}),
      ...(dispose ? { dispose } : {}),
    });
  }

  /** Entries held, expired ones not yet dropped included. */
  get size(): number {
    return this.cache.size;
  }

  /** The value for `key` (and marks it most recently used), or undefined if absent or expired. */
  get(key: K): V | undefined {
    return this.cache.get(key);
  }

  /** The value for `key` without touching its recency, or undefined if absent or expired. */
  peek(key: K): V | undefined {
    return this.cache.peek(key);
  }

  /** Whether `key` is present and not expired (does not touch recency). */
  has(key: K): boolean {
    return this.cache.has(key);
  }

  /**
   * Sets `key` (most recently used, TTL restarted); drops the least recently used entry when
   * full. `ttlMs` overrides the map's TTL for this entry.
   */
  set(key: K, value: V, options?: { ttlMs?: number }): this {
    if (value === undefined) {
      throw new P2PError('BoundedMap values may not be undefined', 'ERR_INVALID_ARGUMENT');
    }
    const ttl = options?.ttlMs;
    if (ttl !== undefined) {
      if (this.ttlMs === undefined) {
        throw new P2PError(
          'per-entry ttlMs needs a map created with ttlMs and clock',
          'ERR_INVALID_ARGUMENT',
        );
      }
      if (!(ttl > 0 && Number.isFinite(ttl))) {
        throw new P2PError(`ttlMs must be a positive number, got ${ttl}`, 'ERR_INVALID_ARGUMENT');
      }
      this.cache.set(key, value, { ttl });
    } else {
      this.cache.set(key, value);
    }
    return this;
  }

  /** Removes `key`; true if it was there. */
  delete(key: K): boolean {
    return this.cache.delete(key);
  }

  /** Removes everything. */
  clear(): void {
    this.cache.clear();
  }

  /** Drops every expired entry now; returns whether any went. O(size). */
  purgeStale(): boolean {
    return this.cache.purgeStale();
  }

  /** Keys, most recently used first, expired ones skipped. */
  keys(): IterableIterator<K> {
    return this.cache.keys();
  }

  /** Values, most recently used first, expired ones skipped. */
  values(): IterableIterator<V> {
    return this.cache.values();
  }

  /** Entries, most recently used first, expired ones skipped. */
  entries(): IterableIterator<[K, V]> {
    return this.cache.entries();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.cache.entries();
  }
}
