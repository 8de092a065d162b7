/**
 * A node's share of the key-value store: items keyed by ring id, with per-key versions (the
 * owner assigns them; a higher version wins) and tombstones for deletes, within a byte budget.
 */
import { type Id, type IdSpace, P2PError } from '@p2pkit/core';
import type { Item } from './messages.js';

export interface StoredItem extends Item {
  id: Id;
  /** Clock time after which a tombstone may be dropped. */
  expires: number;
}

/** The empty map every Store starts with: only `set` would change it, and none does. */
const NO_ITEMS: Map<Id, StoredItem> = new Map();

export class Store {
  // Shared and empty until the first item (at 10^6 simulated nodes an empty Map each is ~100 MB).
  #items: Map<Id, StoredItem> = NO_ITEMS;
  #bytes = 0;
  readonly #maxBytes: number;
  readonly #space: IdSpace;

  constructor(maxBytes: number, space: IdSpace) {
    this.#maxBytes = maxBytes;
    this.#space = space;
  }

  get size(): number {
    return this.#items.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(id: Id): StoredItem | undefined {
    return this.#items.get(id);
  }

  /**
   * Stores `item` unless we hold a newer or equal version. Returns whether it changed anything.
   * Throws P2PError `ERR_STORE_FULL` when it would exceed the byte budget.
   */
  apply(id: Id, item: Item, expires: number): boolean {
    const old = this.#items.get(id);
    if (old !== undefined && old.version >= item.version) return false;
    const size = sizeOf(item);
    const delta = size - (old ? sizeOf(old) : 0);
    if (delta > 0 && this.#bytes + delta > this.#maxBytes) {
      throw new P2PError('store full', 'ERR_STORE_FULL');
    }
    this.#bytes += delta;
    if (this.#items === NO_ITEMS) this.#items = new Map();
    this.#items.set(id, { id, key: item.key, value: item.value, version: item.version, expires });
    return true;
  }

  /** Items whose id lies in (a, b] (the whole store when a = b). */
  inRange(a: Id, b: Id): StoredItem[] {
    const out: StoredItem[] = [];
    for (const item of this.#items.values())
      if (this.#space.inHalfOpen(item.id, a, b)) out.push(item);
    return out;
  }

  all(): IterableIterator<StoredItem> {
    return this.#items.values();
  }

  delete(id: Id): void {
    const old = this.#items.get(id);
    if (old === undefined) return;
    this.#bytes -= sizeOf(old);
    this.#items.delete(id);
  }

  /** Drops tombstones that expired before `now`. */
  expire(now: number): void {
    for (const item of [...this.#items.values()]) {
      if (item.value === undefined && item.expires <= now) this.delete(item.id);
    }
  }
}

function sizeOf(item: Item): number {
  return item.key.length + (item.value?.length ?? 0) + 64;
}
