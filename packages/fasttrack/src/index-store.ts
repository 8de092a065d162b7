/**
 * A supernode's index of its children's files: every entry under its owner (so that a child
 * that leaves takes its entries with it), and an inverted index from keyword to entries for
 * searches. Bounded: at most `maxPerOwner` entries per child (a child uploading 10^6 bogus
 * entries fills its own quota and no more) and `maxEntries` in all.
 */

import { hashToHex } from './uuhash.js';
import type { FileEntry } from './wire.js';

/** Words of a name or tag: lower case, split on anything not a letter or digit. */
export function keywords(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/** Most keywords indexed per entry (a name stuffed with words cannot bloat the index). */
const MAX_WORDS_PER_ENTRY = 32;

export interface IndexEntry<O> {
  readonly owner: O;
  readonly file: FileEntry;
  /** The keywords it is filed under. */
  readonly words: readonly string[];
}

export interface ShareIndexOptions {
  /** Entries one owner may have (default 5,000). */
  maxPerOwner?: number;
  /** Entries in all (default 1,000,000). */
  maxEntries?: number;
}

export class ShareIndex<O> {
  readonly #byOwner = new Map<O, Map<string, IndexEntry<O>>>();
  readonly #byWord = new Map<string, Set<IndexEntry<O>>>();
  readonly #byHash = new Map<string, Set<IndexEntry<O>>>();
  readonly #maxPerOwner: number;
  readonly #maxEntries: number;
  #size = 0;

  constructor(options: ShareIndexOptions = {}) {
    this.#maxPerOwner = options.maxPerOwner ?? 5_000;
    this.#maxEntries = options.maxEntries ?? 1_000_000;
  }

  /** Entries in the index. */
  get size(): number {
    return this.#size;
  }

  /** Distinct keywords. */
  get words(): number {
    return this.#byWord.size;
  }

  /** Owners with at least one entry. */
  get owners(): number {
    return this.#byOwner.size;
  }

  countOf(owner: O): number {
    return this.#byOwner.get(owner)?.size ?? 0;
  }

  /**
   * Adds (or replaces, by UUHash) an owner's entries. Returns how many were taken, and whether
   * a limit stopped the rest.
   */
  add(owner: O, files: readonly FileEntry[]): { accepted: number; limited: boolean } {
    let mine = this.#byOwner.get(owner);
    let accepted = 0;
    for (const file of files) {
      const key = hashToHex(file.uuhash);
      const old = mine?.get(key);
      if (!old && ((mine?.size ?? 0) >= this.#maxPerOwner || this.#size >= this.#maxEntries)) {
        return { accepted, limited: true };
      }
      if (!mine) {
        mine = new Map();
        this.#byOwner.set(owner, mine);
      }
      if (old) this.#unlink(old, key);
      else this.#size++;
      const text = [file.name, ...Object.values(file.tags)].join(' ');
      const words = [...new Set(keywords(text))].slice(0, MAX_WORDS_PER_ENTRY);
      const entry: IndexEntry<O> = { owner, file, words };
      mine.set(key, entry);
      for (const w of words) setOf(this.#byWord, w).add(entry);
      setOf(this.#byHash, key).add(entry);
      accepted++;
    }
    return { accepted, limited: false };
  }

  /** Removes an owner's entries by UUHash; returns how many were there. */
  remove(owner: O, hashes: readonly Uint8Array[]): number {
    const mine = this.#byOwner.get(owner);
    if (!mine) return 0;
    let removed = 0;
    for (const h of hashes) {
      const key = hashToHex(h);
      const entry = mine.get(key);
      if (!entry) continue;
      mine.delete(key);
      this.#unlink(entry, key);
      this.#size--;
      removed++;
    }
    if (mine.size === 0) this.#byOwner.delete(owner);
    return removed;
  }

  /** Removes everything an owner shared (it left, or moved to another supernode). */
  removeOwner(owner: O): number {
    const mine = this.#byOwner.get(owner);
    if (!mine) return 0;
    for (const [key, entry] of mine) this.#unlink(entry, key);
    this.#byOwner.delete(owner);
    this.#size -= mine.size;
    return mine.size;
  }

  /**
   * Entries matching every keyword of `words` (and `uuhash`, when given), at most `max`. The
   * rarest keyword's list is scanned, the others are checked by membership.
   */
  search(words: string, max: number, uuhash?: Uint8Array): IndexEntry<O>[] {
    const out: IndexEntry<O>[] = [];
    if (max <= 0) return out;
    const wanted = [...new Set(keywords(words))];
    const lists: Set<IndexEntry<O>>[] = [];
    if (uuhash) {
      const list = this.#byHash.get(hashToHex(uuhash));
      if (!list) return out;
      lists.push(list);
    }
    for (const w of wanted) {
      const list = this.#byWord.get(w);
      if (!list) return out;
      lists.push(list);
    }
    if (lists.length === 0) return out;
    lists.sort((a, b) => a.size - b.size);
    const [first, ...rest] = lists;
    for (const entry of first!) {
      if (rest.every((l) => l.has(entry))) {
        out.push(entry);
        if (out.length >= max) break;
      }
    }
    return out;
  }

  #unlink(entry: IndexEntry<O>, key: string): void {
    for (const w of entry.words) dropFrom(this.#byWord, w, entry);
    dropFrom(this.#byHash, key, entry);
  }
}

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}

function dropFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
