/**
 * The leaf set L (paper §2.1): the |L|/2 nodes with the numerically closest larger ids and the
 * |L|/2 with the closest smaller ids, on the circular id space. It decides delivery: a key
 * within its range goes to the member (or this node) numerically closest to it.
 *
 * In a ring of at most |L| nodes every node is on both sides at once; the set then covers the
 * whole ring.
 */
import { byCloseness, closer, cw, type Id, type IdSpace } from './id.js';
import type { Peer } from './peer.js';

export class LeafSet {
  readonly self: Peer;
  readonly space: IdSpace;
  /** Members per side: |L|/2. */
  readonly half: number;
  /** Larger ids, nearest first (clockwise from this node). */
  readonly cw: Peer[] = [];
  /** Smaller ids, nearest first (counter-clockwise from this node). */
  readonly ccw: Peer[] = [];
  /** Whether the two sides share a member: then the set spans the whole ring. */
  #wraps = false;

  constructor(self: Peer, space: IdSpace, size: number) {
    this.self = self;
    this.space = space;
    this.half = size >>> 1;
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

  /** Distinct members, from the farthest counter-clockwise to the farthest clockwise. */
  members(): Peer[] {
    const out: Peer[] = [];
    for (let i = this.ccw.length - 1; i >= 0; i--) out.push(this.ccw[i]!);
    for (const p of this.cw) if (indexOf(this.ccw, p.key) < 0) out.push(p);
    return out;
  }

  /**
   * Offers a peer: it enters each side on which it is among the |L|/2 nearest. Returns whether
   * the set changed.
   */
  add(peer: Peer): boolean {
    if (peer.id === this.self.id) return false;
    const s = this.space;
    const self = this.self.id;
    const a = insert(this.cw, peer, this.half, (p) => cw(s, self, p.id));
    const b = insert(this.ccw, peer, this.half, (p) => cw(s, p.id, self));
    if (a || b) this.#update();
    return a || b;
  }

  /** Whether `peer` would enter the set (without adding it). */
  admits(peer: Peer): boolean {
    if (peer.id === this.self.id || this.has(peer.key)) return false;
    const s = this.space;
    const self = this.self.id;
    return (
      admits(this.cw, this.half, cw(s, self, peer.id), (p) => cw(s, self, p.id)) ||
      admits(this.ccw, this.half, cw(s, peer.id, self), (p) => cw(s, p.id, self))
    );
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
    const lo = this.ccw[this.ccw.length - 1];
    const hi = this.cw[this.cw.length - 1];
    if (lo === undefined || hi === undefined) return true;
    if (this.#wraps || this.cw.length < this.half || this.ccw.length < this.half) return true;
    const s = this.space;
    return cw(s, lo.id, key) <= cw(s, lo.id, hi.id);
  }

  /** The member or this node numerically closest to `key`. */
  closest(key: Id): Peer {
    const s = this.space;
    let best = this.self;
    for (const p of this.cw) if (closer(s, key, p.id, best.id)) best = p;
    for (const p of this.ccw) if (closer(s, key, p.id, best.id)) best = p;
    return best;
  }

  /** The `k` nodes of the set (this node included) numerically closest to `key`, closest first. */
  closestK(key: Id, k: number): Peer[] {
    return [this.self, ...this.members()].sort(byCloseness(this.space, key)).slice(0, k);
  }

  #update(): void {
    this.#wraps = false;
    for (const p of this.cw) {
      if (indexOf(this.ccw, p.key) >= 0) {
        this.#wraps = true;
        return;
      }
    }
  }
}

function indexOf(list: readonly Peer[], key: string): number {
  for (let i = 0; i < list.length; i++) if (list[i]!.key === key) return i;
  return -1;
}

function admits(list: readonly Peer[], max: number, d: bigint, dist: (p: Peer) => bigint): boolean {
  return list.length < max || dist(list[list.length - 1]!) > d;
}

/** Inserts `peer` into `list` (sorted by `dist`, at most `max` long) if it belongs there. */
function insert(list: Peer[], peer: Peer, max: number, dist: (p: Peer) => bigint): boolean {
  if (indexOf(list, peer.key) >= 0) return false;
  const d = dist(peer);
  let i = list.length;
  while (i > 0 && dist(list[i - 1]!) > d) i--;
  if (i >= max) return false;
  list.splice(i, 0, peer);
  if (list.length > max) list.length = max;
  return true;
}
