/**
 * The leaf set L (paper §2.1): the |L|/2 nodes with the numerically closest larger ids and the
 * |L|/2 with the closest smaller ids, on the circular id space. It decides delivery: a key
 * within its range goes to the member (or this node) numerically closest to it.
 *
 * In a ring of at most |L| nodes every node is on both sides at once; the set then covers the
 * whole ring.
 */
import type { Id, IdSpace } from '@p2pkit/core';
import type { Peer } from './peer.js';

/** #span of a full set decided on the ids alone. */
const EXACT = -2;

export class LeafSet {
  readonly self: Peer;
  readonly space: IdSpace;
  /** Members per side: |L|/2. */
  readonly half: number;
  /** Larger ids, nearest first (clockwise from this node). */
  readonly cw: Peer[] = [];
  /** Smaller ids, nearest first (counter-clockwise from this node). */
  readonly ccw: Peer[] = [];
  /**
   * The members and this node in ring order, from the farthest counter-clockwise to the
   * farthest clockwise (undefined while the sides share a member: the set spans the ring).
   */
  #ring: Peer[] | undefined;
  /**
   * For the hot path, number-only: `space.hi` of each ring node, as its clockwise distance from
   * ring[0] in hi units (mod 2^hiBits), so that ring order is numeric order. `space.hi` keeps
   * an id's leading bits: a tie, or a difference of one unit, falls back to the ids.
   */
  #rel: number[] = [0];
  #loHi = 0;
  /**
   * rel of the farthest clockwise member when the set is full and its sides do not meet; -1
   * otherwise (then every key is covered); EXACT for a full set whose arc the leading bits
   * cannot order (see #update). One field read on the hot path, not four.
   */
  #span = -1;
  readonly #mask: number;
  /** members(), until the set changes. */
  #members: readonly Peer[] | undefined;

  constructor(self: Peer, space: IdSpace, size: number) {
    this.self = self;
    this.space = space;
    this.half = size >>> 1;
    this.#ring = [self];
    const spare = space.bytes * 8 - space.bits;
    this.#mask = 2 ** (space.bytes <= 3 ? space.bits : 30 - spare) - 1;
  }

  /** Distinct members. */
  get size(): number {
    return this.members().length;
  }

  /** Both sides hold |L|/2 members. */
  get full(): boolean {
    return this.cw.length === this.half && this.ccw.length === this.half;
  }

  has(key: string): boolean {
    return indexOf(this.cw, key) >= 0 || indexOf(this.ccw, key) >= 0;
  }

  /**
   * Distinct members, from the farthest counter-clockwise to the farthest clockwise. The same
   * array until the set changes (every ANNOUNCE reply and STATE carries it): do not modify it.
   */
  members(): readonly Peer[] {
    let out = this.#members;
    if (out === undefined) {
      const list: Peer[] = [];
      for (let i = this.ccw.length - 1; i >= 0; i--) list.push(this.ccw[i]!);
      for (const p of this.cw) if (indexOf(this.ccw, p.key) < 0) list.push(p);
      out = list;
      this.#members = out;
    }
    return out;
  }

  /** Whether `peer` would enter the set (without adding it). */
  admits(peer: Peer): boolean {
    if (peer.id === this.self.id) return false;
    const where = this.#where(peer.id);
    if (where < 0) return false;
    if (this.has(peer.key)) return false;
    if (where > 0) return true;
    const s = this.space;
    const self = this.self.id;
    return (
      admits(this.cw, this.half, s.distance(self, peer.id), (p) => s.distance(self, p.id)) ||
      admits(this.ccw, this.half, s.distance(peer.id, self), (p) => s.distance(p.id, self))
    );
  }

  /**
   * Offers a peer: it enters each side on which it is among the |L|/2 nearest. Returns whether
   * the set changed.
   */
  add(peer: Peer): boolean {
    if (peer.id === this.self.id || this.#where(peer.id) < 0) return false;
    const s = this.space;
    const self = this.self.id;
    const a = insert(this.cw, peer, this.half, (p) => s.distance(self, p.id));
    const b = insert(this.ccw, peer, this.half, (p) => s.distance(p.id, self));
    if (a || b) this.#update();
    return a || b;
  }

  /** Removes a member. Returns whether it was one. */
  remove(key: string): boolean {
    const i = indexOf(this.cw, key);
    const j = indexOf(this.ccw, key);
    if (i >= 0) this.cw.splice(i, 1);
    if (j >= 0) this.ccw.splice(j, 1);
    if (i < 0 && j < 0) return false;
    this.#update();
    return true;
  }

  /** The farthest member on a side (where leaf-set repair asks for replacements). */
  edge(side: 'cw' | 'ccw'): Peer | undefined {
    const list = side === 'cw' ? this.cw : this.ccw;
    return list[list.length - 1];
  }

  /**
   * Whether `key` lies within the range of the set: between its farthest members, through this
   * node. A set that is not full on a side, or whose sides meet, covers the whole ring.
   */
  covers(key: Id): boolean {
    const ring = this.#ring;
    if (ring === undefined || this.cw.length < this.half || this.ccw.length < this.half) {
      return true;
    }
    if (this.#span === EXACT) {
      const lo = ring[0]!.id;
      return key === lo || this.space.inHalfOpen(key, lo, ring[ring.length - 1]!.id);
    }
    const rel = this.#rel;
    const k = (this.space.hi(key) - this.#loHi) & this.#mask;
    const last = rel[rel.length - 1]!;
    if (k !== 0 && k < last) return true;
    if (k > last) return false;
    const lo = ring[0]!.id;
    return key === lo || this.space.inHalfOpen(key, lo, ring[ring.length - 1]!.id);
  }

  /** The member or this node numerically closest to `key` (any key). */
  closest(key: Id): Peer {
    return this.deliverTo(key) ?? this.#closestOfAll(key);
  }

  /**
   * Routing step 1 (the hot path): for a key within the range of the set, the member or this
   * node numerically closest to it; undefined for a key outside. A binary search on leading
   * bits finds the two nodes around the key, and their distances to it decide, numbers only
   * unless too close to tell.
   */
  deliverTo(key: Id): Peer | undefined {
    const span = this.#span;
    if (span < 0) {
      if (span === EXACT)
        return this.covers(key) ? this.#closestInRing(key, this.#ring!) : undefined;
      return this.#closestOfAll(key);
    }
    const k = (this.space.hi(key) - this.#loHi) & this.#mask;
    if (k > span) return undefined;
    const ring = this.#ring!;
    const rel = this.#rel;
    const last = rel.length - 1;
    // The first ring node at or after the key: rel ascends along the ring.
    let a = 0;
    let b = last;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (rel[mid]! < k) a = mid + 1;
      else b = mid;
    }
    // A key that is a member's (or this node's) id: the paper's workload ends every route so.
    if (rel[a] === k && ring[a]!.id === key) return ring[a];
    if (rel[a] !== k && a > 0 && rel[a - 1] !== k) {
      const dBefore = k - rel[a - 1]!;
      const dAfter = rel[a]! - k;
      // Decided by the leading bits unless within one unit (or a gap of half the ring).
      if (dBefore + dAfter < this.#mask >>> 1) {
        if (dBefore + 1 < dAfter) return ring[a - 1]!;
        if (dAfter + 1 < dBefore) return ring[a]!;
      }
    }
    return this.covers(key) ? this.#closestInRing(key, ring) : undefined;
  }

  /**
   * Where an id lies, by leading bits only (numbers, no id arithmetic): -1 clearly outside the
   * range of a full set, 1 clearly inside it, 0 too close to an end to tell (or a set that is
   * not full, or whose sides meet). A full set admits an id inside its range that is not a
   * member, and no id outside it.
   */
  #where(id: Id): number {
    const span = this.#span;
    if (span < 0) return 0;
    const k = (this.space.hi(id) - this.#loHi) & this.#mask;
    if (k > span + 1 && k < this.#mask) return -1;
    if (k > 1 && k + 1 < span) return 1;
    return 0;
  }

  /** The member or this node closest to `key`, by scanning (a set spanning the ring). */
  #closestOfAll(key: Id): Peer {
    const s = this.space;
    let best = this.self;
    for (const p of this.cw) if (s.compareDistance(key, p.id, best.id) < 0) best = p;
    for (const p of this.ccw) if (s.compareDistance(key, p.id, best.id) < 0) best = p;
    return best;
  }

  /** closest() on the ids themselves, for a covered key. */
  #closestInRing(key: Id, ring: readonly Peer[]): Peer {
    const s = this.space;
    const lo = ring[0]!.id;
    if (key === lo) return ring[0]!;
    let a = 1;
    let b = ring.length - 1;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (s.inHalfOpen(key, lo, ring[mid]!.id)) b = mid;
      else a = mid + 1;
    }
    const after = ring[a]!;
    const before = ring[a - 1]!;
    return key === after.id || s.compareDistance(key, after.id, before.id) < 0 ? after : before;
  }

  /** The `k` nodes of the set (this node included) numerically closest to `key`, closest first. */
  closestK(key: Id, k: number): Peer[] {
    const s = this.space;
    return [this.self, ...this.members()]
      .sort((x, y) => s.compareDistance(key, x.id, y.id))
      .slice(0, k);
  }

  #update(): void {
    this.#members = undefined;
    for (const p of this.cw) {
      if (indexOf(this.ccw, p.key) >= 0) {
        this.#ring = undefined;
        this.#span = -1;
        return;
      }
    }
    const ring: Peer[] = [];
    for (let i = this.ccw.length - 1; i >= 0; i--) ring.push(this.ccw[i]!);
    ring.push(this.self);
    for (const p of this.cw) ring.push(p);
    this.#ring = ring;
    const lo = this.space.hi(ring[0]!.id);
    this.#loHi = lo;
    const rel = ring.map((p) => (this.space.hi(p.id) - lo) & this.#mask);
    this.#rel = rel;
    const last = rel[rel.length - 1]!;
    // The leading bits order the ring only if its arc stays clear of a full turn: a set whose
    // farthest members are within a unit of each other across the gap (a ring barely larger
    // than the set) wraps around; it is then decided on the ids.
    let ordered = last < this.#mask - 1;
    for (let i = 1; ordered && i < rel.length; i++) ordered = rel[i - 1]! <= rel[i]!;
    this.#span = !this.full ? -1 : ordered ? last : EXACT;
  }
}

function indexOf(list: readonly Peer[], key: string): number {
  for (let i = 0; i < list.length; i++) if (list[i]!.key === key) return i;
  return -1;
}

function admits(list: readonly Peer[], max: number, d: Id, dist: (p: Peer) => Id): boolean {
  return list.length < max || dist(list[list.length - 1]!) > d;
}

/** Inserts `peer` into `list` (sorted by `dist`, at most `max` long) if it belongs there. */
function insert(list: Peer[], peer: Peer, max: number, dist: (p: Peer) => Id): boolean {
  if (indexOf(list, peer.key) >= 0) return false;
  const d = dist(peer);
  let i = list.length;
  while (i > 0 && dist(list[i - 1]!) > d) i--;
  if (i >= max) return false;
  list.splice(i, 0, peer);
  if (list.length > max) list.length = max;
  return true;
}
