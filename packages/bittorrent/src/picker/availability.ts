/**
 * Pieces ordered by availability (how many connected peers have each), for rarest-first.
 * The order is one array partitioned into buckets of equal availability; a have or a lost peer
 * moves a piece to the neighbouring bucket with one swap and one boundary shift: O(1). Pieces
 * we have leave the order. Ties are broken by the random initial order (libtorrent's scheme).
 * Peers that have everything (seeds, have-all) are counted apart: they add the same to every
 * piece and do not change the order.
 */
import type { Random } from '@p2pkit/core';

export class AvailabilityOrder {
  readonly size: number;
  /** Availability per piece, seeds not included. */
  readonly #count: Uint32Array;
  /** Pieces we still need, sorted by availability. */
  readonly #order: Int32Array;
  /** Position of each piece in #order, -1 once removed. */
  readonly #pos: Int32Array;
  /** #start[a] = first position of bucket a; #start[max + 1] = #length. */
  readonly #start: number[];
  #length: number;
  #seeds = 0;

  constructor(size: number, random: Random) {
    this.size = size;
    this.#count = new Uint32Array(size);
    const order = random.shuffle(Array.from({ length: size }, (_, i) => i));
    this.#order = Int32Array.from(order);
    this.#pos = new Int32Array(size);
    for (let i = 0; i < size; i++) this.#pos[order[i]!] = i;
    this.#start = [0, size];
    this.#length = size;
  }

  /** Peers counted as having every piece. */
  get seeds(): number {
    return this.#seeds;
  }

  /** Pieces still in the order (not removed). */
  get length(): number {
    return this.#length;
  }

  /** Availability of piece `index` (seeds included). */
  availability(index: number): number {
    return this.#count[index]! + this.#seeds;
  }

  addSeed(): void {
    this.#seeds++;
  }

  removeSeed(): void {
    if (this.#seeds > 0) this.#seeds--;
  }

  increment(index: number): void {
    const a = this.#count[index]!;
    this.#count[index] = a + 1;
    const p = this.#pos[index]!;
    if (p < 0) return;
    const start = this.#start;
    if (a + 2 >= start.length) start.push(this.#length);
    const last = start[a + 1]! - 1;
    this.#swap(p, last);
    start[a + 1] = last;
  }

  decrement(index: number): void {
    const a = this.#count[index]!;
    if (a === 0) return;
    this.#count[index] = a - 1;
    const p = this.#pos[index]!;
    if (p < 0) return;
    const first = this.#start[a]!;
    this.#swap(p, first);
    this.#start[a] = first + 1;
  }

  /** Takes a piece out of the order (we have it now). */
  remove(index: number): void {
    let p = this.#pos[index]!;
    if (p < 0) return;
    const start = this.#start;
    // Walk it up through the buckets to the very end, then shrink the order by one.
    for (let b = this.#count[index]!; b + 1 < start.length; b++) {
      const last = start[b + 1]! - 1;
      this.#swap(p, last);
      p = last;
      start[b + 1] = last;
    }
    this.#length--;
    this.#pos[index] = -1;
  }

  contains(index: number): boolean {
    return this.#pos[index]! >= 0;
  }

  /** The piece at position `i` of the order (0 = rarest). */
  at(i: number): number {
    return this.#order[i]!;
  }

  /** First position whose pieces someone has (skips availability 0 unless there are seeds). */
  firstAvailable(): number {
    return this.#seeds > 0 ? 0 : (this.#start[1] ?? this.#length);
  }

  #swap(i: number, j: number): void {
    if (i === j) return;
    const order = this.#order;
    const a = order[i]!;
    const b = order[j]!;
    order[i] = b;
    order[j] = a;
    this.#pos[b] = i;
    this.#pos[a] = j;
  }
}
