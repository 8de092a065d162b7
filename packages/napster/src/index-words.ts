/**
 * The inverted index: each word's files as a sorted list of slots. Most words have one file
 * (a bare number), some a few (a small array), common ones many (a growable Uint32Array).
 * Slots are handed out in increasing order, so appending keeps every list sorted; a sweep
 * renumbers them in order (see FileIndex.sweep).
 */

/** Lists switch from a plain array to a typed array past this length. */
export const SMALL_LIST = 32;
/** A slot that a sweep drops. */
export const DEAD = 0xffff_ffff;
/**
 * A list this long that holds at least 1 slot in DENSE also gets a bitmap: a search then tests
 * one bit for it instead of galloping through it (misses in a list of 10^5 slots were a third
 * of a search's time). The bitmap costs at most what the list does (n * 32 >= slots).
 */
const BITMAP_MIN = 4096;
const DENSE = 32;

/** A word's files once there are many: a growable Uint32Array, its length, maybe a bitmap. */
interface BigList {
  ids: Uint32Array;
  n: number;
  bits: Uint32Array | undefined;
}
export type Posting = number | number[] | BigList;

export class WordLists {
  private readonly words = new Map<string, Posting>();

  /** Distinct words. */
  get size(): number {
    return this.words.size;
  }

  get(word: string): Posting | undefined {
    return this.words.get(word);
  }

  /** Appends `slot` (larger than every slot already listed) to `word`'s list. */
  post(word: string, slot: number): void {
    const posting = this.words.get(word);
    if (posting === undefined) {
      this.words.set(word, slot);
    } else if (typeof posting === 'number') {
      this.words.set(word, [posting, slot]);
    } else if (Array.isArray(posting)) {
      if (posting.length < SMALL_LIST) {
        posting.push(slot);
      } else {
        const ids = new Uint32Array(SMALL_LIST * 2);
        ids.set(posting);
        ids[posting.length] = slot;
        this.words.set(word, { ids, n: posting.length + 1, bits: undefined });
      }
    } else {
      if (posting.n === posting.ids.length) {
        const ids = new Uint32Array(Math.ceil(posting.n * 1.5));
        ids.set(posting.ids);
        posting.ids = ids;
      }
      posting.ids[posting.n++] = slot;
      if (posting.bits !== undefined) setBit(posting, slot);
      else if (posting.n >= BITMAP_MIN && posting.n * DENSE > slot) buildBits(posting);
    }
  }

  /** Renumbers every list after a sweep: `remap[old]` is the new slot, or DEAD. */
  remap(remap: Uint32Array): void {
    for (const [word, posting] of this.words) {
      if (typeof posting === 'number') {
        if (remap[posting] === DEAD) this.words.delete(word);
        else this.words.set(word, remap[posting]!);
      } else if (Array.isArray(posting)) {
        let w = 0;
        for (const slot of posting) if (remap[slot] !== DEAD) posting[w++] = remap[slot]!;
        if (w === 0) this.words.delete(word);
        else if (w === 1) this.words.set(word, posting[0]!);
        else posting.length = w;
      } else {
        const ids = posting.ids;
        let w = 0;
        for (let i = 0; i < posting.n; i++) {
          const to = remap[ids[i]!]!;
          if (to !== DEAD) ids[w++] = to;
        }
        if (w === 0) this.words.delete(word);
        else if (w <= SMALL_LIST) this.words.set(word, Array.from(ids.subarray(0, w)));
        else {
          posting.n = w;
          if (w * 4 < ids.length) posting.ids = ids.slice(0, w * 2);
          posting.bits = undefined;
          if (w >= BITMAP_MIN && w * DENSE > posting.ids[w - 1]!) buildBits(posting);
        }
      }
    }
  }

  /** The lists and the map (entries and keys, at V8's usual sizes). O(words). */
  approximateBytes(): number {
    let bytes = 0;
    for (const [word, posting] of this.words) {
      // Map entry (~3 words) + a one-byte string (header 16, rounded to 8).
      bytes += 24 + 16 + ((word.length + 7) & ~7);
      if (typeof posting === 'number') continue;
      if (Array.isArray(posting)) bytes += 32 + 8 * posting.length;
      else bytes += 200 + posting.ids.byteLength + (posting.bits?.byteLength ?? 0);
    }
    return bytes;
  }
}

/**
 * A search's lists, all as Uint32Arrays (so that the intersection reads one kind of array),
 * each with its length and a cursor; reused from search to search (no allocation per search).
 */
export class SearchLists {
  ids: Uint32Array[] = [];
  /** The list's bitmap when it has one (then a search tests a bit instead of seeking). */
  bits: (Uint32Array | undefined)[] = [];
  n = new Int32Array(0);
  at = new Int32Array(0);
  private readonly small: Uint32Array[] = [];

  /** Room for `count` lists. */
  reserve(count: number): void {
    if (this.n.length >= count) return;
    const size = Math.max(count, this.n.length * 2);
    this.n = new Int32Array(size);
    this.at = new Int32Array(size);
    while (this.small.length < size) this.small.push(new Uint32Array(SMALL_LIST));
  }

  /** Puts a word's list at position `j`. */
  load(j: number, posting: Posting): void {
    if (typeof posting === 'number') {
      const ids = this.small[j]!;
      ids[0] = posting;
      this.ids[j] = ids;
      this.n[j] = 1;
      this.bits[j] = undefined;
    } else if (Array.isArray(posting)) {
      const ids = this.small[j]!;
      for (let i = 0; i < posting.length; i++) ids[i] = posting[i]!;
      this.ids[j] = ids;
      this.n[j] = posting.length;
      this.bits[j] = undefined;
    } else {
      this.ids[j] = posting.ids;
      this.n[j] = posting.n;
      this.bits[j] = posting.bits;
    }
  }

  /** Sorts lists [0, k) by length, shortest (the rarest word) first. */
  sortShortestFirst(k: number): void {
    const { ids, n: ns, bits } = this;
    for (let a = 1; a < k; a++) {
      for (let b = a; b > 0 && ns[b]! < ns[b - 1]!; b--) {
        const t = ids[b]!;
        ids[b] = ids[b - 1]!;
        ids[b - 1] = t;
        const tb = bits[b];
        bits[b] = bits[b - 1];
        bits[b - 1] = tb;
        const tn = ns[b]!;
        ns[b] = ns[b - 1]!;
        ns[b - 1] = tn;
      }
    }
  }
}

function buildBits(list: BigList): void {
  const bits = new Uint32Array((list.ids[list.n - 1]! >>> 5) * 2 + 2);
  for (let i = 0; i < list.n; i++) bits[list.ids[i]! >>> 5]! |= 1 << (list.ids[i]! & 31);
  list.bits = bits;
}

function setBit(list: BigList, slot: number): void {
  let bits = list.bits!;
  if (slot >>> 5 >= bits.length) {
    const grown = new Uint32Array(Math.max((slot >>> 5) + 1, bits.length * 2));
    grown.set(bits);
    list.bits = bits = grown;
  }
  bits[slot >>> 5]! |= 1 << (slot & 31);
}

/** True when `slot` is in the bitmap `bits`. */
export function hasBit(bits: Uint32Array, slot: number): boolean {
  return ((bits[slot >>> 5] ?? 0) & (1 << (slot & 31))) !== 0;
}

/**
 * The last index at or below `hi` whose entry is ≤ `slot` (galloping down from `hi`, then a
 * binary search), or -1 when there is none. Calls for one list come with decreasing slots.
 */
export function seek(ids: Uint32Array, hi: number, slot: number): number {
  if (hi < 0) return -1;
  if (ids[hi]! <= slot) return hi;
  let step = 1;
  let lo = hi - 1;
  while (lo >= 0 && ids[lo]! > slot) {
    hi = lo;
    step *= 2;
    lo = hi - step;
  }
  if (lo < 0) lo = -1;
  // Binary search in (lo, hi): ids[lo] <= slot (or lo = -1), ids[hi] > slot.
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! > slot) hi = mid;
    else lo = mid;
  }
  return lo;
}
