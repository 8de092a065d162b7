/**
 * A node's routing state: successor list, predecessor, finger table. Pure data structure, no I/O:
 * the node (node.ts) decides when to change it, this file decides how.
 *
 * Fingers are stored deduplicated. finger[i] = successor(n + 2^(i-1)) has m slots in the paper,
 * but only O(log N) distinct values (ToN §IV): we keep the distinct peers, sorted by clockwise
 * distance from this node. A slot's value is implied: finger[i] is the first stored peer at or
 * after n + 2^(i-1). Fixing finger i to s therefore inserts s and evicts any stored peer in
 * [n + 2^(i-1), s): the lookup just proved no live node sits there.
 */
import type { Id, IdSpace } from '@p2pkit/core';
import type { Peer } from './peer.js';
import { spaceFor } from './space.js';

/** Outcomes of fastStep. */
export const STEP_AMBIGUOUS = 0;
export const STEP_OWNER = 1;
export const STEP_FORWARD = 2;

export class RoutingTable {
  readonly self: Peer;
  readonly selfId: bigint;
  readonly m: number;
  /** The ring's id space (interval tests, finger starts). */
  readonly space: IdSpace;
  /** Successor list length r. */
  readonly r: number;
  predecessor: Peer | undefined;
  /** Index (0-based: start = n + 2^i) of the next finger fix_fingers refreshes. */
  nextFinger = 0;
  /** The peer fastStep chose. */
  hop: Peer | undefined;
  #successors: Peer[] = [];
  #fingers: Peer[] = [];
  // The routing view of the hot path, rebuilt when the lists change: self's hi (IdSpace.hi), then for each
  // successor and finger (entry j = 1, 2, ...) its hi at [2j - 1] and the Peer at [2j].
  // Prefixes are small integers (unboxed) beside the references, so a recursive hop reads this
  // one array and then the one Peer it picks: at 10^5 simulated nodes each further dependent
  // object costs a cache miss of several hundred ns.
  #route: (number | Peer)[] = [0];
  #nSucc = 0;

  constructor(self: Peer, m: number, r: number) {
    this.self = self;
    this.space = spaceFor(m);
    this.selfId = this.space.toBigint(self.id);
    this.m = m;
    this.r = r;
    this.#route = [self.hi];
  }

  /** Nearest first; never contains self; at most r entries. Replace, do not mutate. */
  get successors(): Peer[] {
    return this.#successors;
  }

  set successors(list: Peer[]) {
    this.#successors = list;
    this.#reindex();
  }

  /** Distinct finger peers, by clockwise distance from self; never self. Replace, do not mutate. */
  get fingers(): Peer[] {
    return this.#fingers;
  }

  set fingers(list: Peer[]) {
    this.#fingers = list;
    this.#reindex();
  }

  #reindex(): void {
    const route: (number | Peer)[] = [this.self.hi];
    for (const p of this.#successors) route.push(p.hi, p);
    for (const p of this.#fingers) route.push(p.hi, p);
    this.#route = route;
    this.#nSucc = this.#successors.length;
  }

  /**
   * One recursive routing step decided on the key's leading 30 bits only (`keyHi`, see IdSpace.hi):
   * STEP_OWNER with `hop` = the successor when key ∈ (self, successor], STEP_FORWARD with
   * `hop` = the closest preceding node (or the successor), or STEP_AMBIGUOUS when two prefixes
   * tie and only full ids can decide (then use isOwnedBySuccessor and closestPreceding). Same
   * answers as those, without touching any id string.
   */
  fastStep(keyHi: number): number {
    const r = this.#route;
    const s = r[0] as number;
    const n = this.#nSucc;
    if (n === 0) {
      this.hop = this.self;
      return STEP_OWNER;
    }
    const s1 = r[1] as number;
    if (keyHi === s || keyHi === s1 || s === s1) return STEP_AMBIGUOUS;
    if (s < s1 ? s < keyHi && keyHi <= s1 : keyHi > s || keyHi <= s1) {
      this.hop = r[2] as Peer;
      return STEP_OWNER;
    }
    const wraps = s >= keyHi;
    // closest preceding: the farthest finger and the farthest successor strictly in (s, key);
    // entry j's prefix is at 2j - 1, its peer at 2j.
    let f = -1;
    for (let j = (r.length - 1) >> 1; j > n; j--) {
      const x = r[2 * j - 1] as number;
      if (x === s || x === keyHi) return STEP_AMBIGUOUS;
      if (wraps ? x > s || x < keyHi : s < x && x < keyHi) {
        f = j;
        break;
      }
    }
    let k = -1;
    for (let j = n; j >= 1; j--) {
      const x = r[2 * j - 1] as number;
      if (x === s || x === keyHi) return STEP_AMBIGUOUS;
      if (wraps ? x > s || x < keyHi : s < x && x < keyHi) {
        k = j;
        break;
      }
    }
    if (f < 0 && k < 0) {
      this.hop = r[2] as Peer;
      return STEP_FORWARD;
    }
    if (f < 0 || k < 0) {
      this.hop = r[2 * (f < 0 ? k : f)] as Peer;
      return STEP_FORWARD;
    }
    const a = r[2 * f - 1] as number;
    const b = r[2 * k - 1] as number;
    if (a === b) {
      const fp = r[2 * f] as Peer;
      if (fp.id !== (r[2 * k] as Peer).id) return STEP_AMBIGUOUS;
      this.hop = fp;
      return STEP_FORWARD;
    }
    // The successor-list entry wins if the finger lies in (s, it): it is closer to the key.
    const succCloser = s < b ? s < a && a < b : a > s || a < b;
    this.hop = r[2 * (succCloser ? k : f)] as Peer;
    return STEP_FORWARD;
  }

  /** The successor, or self when the node is alone. */
  successor(): Peer {
    return this.successors[0] ?? this.self;
  }

  /** True when `key` belongs to this node: key ∈ (predecessor, self]. Unknown predecessor: yes. */
  owns(key: Id): boolean {
    const p = this.predecessor;
    return p === undefined || this.space.inHalfOpen(key, p.id, this.self.id);
  }

  /** Whether key ∈ (self, successor]: this node is the key's predecessor and names the owner. */
  isOwnedBySuccessor(key: Id): boolean {
    const succ = this.successors[0];
    return succ === undefined || this.space.inHalfOpen(key, this.self.id, succ.id);
  }

  /**
   * The successor-list entries that may own `key`, first the owner if alive: the entries from
   * the first one at or after key. Undefined when the list does not reach key (route onward).
   * A node alone owns everything and answers [self].
   */
  ownerCandidates(key: Id): Peer[] | undefined {
    const list = this.successors;
    if (list.length === 0) return [this.self];
    let prev = this.self.id;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (this.space.inHalfOpen(key, prev, s.id)) return i === 0 ? list : list.slice(i);
      prev = s.id;
    }
    return undefined;
  }

  /**
   * closest_preceding_node (ToN Fig. 5) over the fingers and the successor list: the known peer
   * strictly inside (self, key) that is closest to key; undefined when there is none.
   */
  closestPreceding(key: Id): Peer | undefined {
    const self = this.self.id;
    let best: Peer | undefined;
    const f = this.fingers;
    for (let i = f.length - 1; i >= 0; i--) {
      const p = f[i]!;
      if (this.space.inOpen(p.id, self, key)) {
        best = p;
        break;
      }
    }
    const s = this.successors;
    for (let i = s.length - 1; i >= 0; i--) {
      const p = s[i]!;
      if (this.space.inOpen(p.id, self, key)) {
        if (best === undefined || this.space.inOpen(best.id, self, p.id)) best = p;
        break;
      }
    }
    return best;
  }

  /**
   * Up to `k` peers strictly inside (self, key), closest to key first, from the fingers and the
   * successor list, skipping keys in `exclude`: the next hop and its alternates for a lookup
   * that meets a dead node (ToN §IV-E.3).
   */
  closestPrecedingList(key: Id, k: number, exclude?: ReadonlySet<string>): Peer[] {
    const self = this.self.id;
    const out: Peer[] = [];
    const f = this.fingers;
    const s = this.successors;
    let i = f.length - 1;
    let j = s.length - 1;
    // Skip entries at or beyond key: both lists are sorted by distance from self.
    while (i >= 0 && !this.space.inOpen(f[i]!.id, self, key)) i--;
    while (j >= 0 && !this.space.inOpen(s[j]!.id, self, key)) j--;
    // Merge the two descending runs.
    while (out.length < k && (i >= 0 || j >= 0)) {
      let p: Peer;
      if (j < 0 || (i >= 0 && this.space.inOpen(s[j]!.id, self, f[i]!.id))) p = f[i--]!;
      else p = s[j--]!;
      if (exclude?.has(p.key)) continue;
      const last = out[out.length - 1];
      if (last !== undefined && last.key === p.key) continue;
      out.push(p);
    }
    return out;
  }

  /**
   * Replaces the successor list: drops self and duplicates, stops where the list comes back
   * around to self (small rings), keeps at most r entries.
   */
  setSuccessors(list: readonly Peer[]): void {
    const out: Peer[] = [];
    const seen = new Set<string>();
    for (const p of list) {
      if (out.length >= this.r) break;
      if (p.key === this.self.key || p.id === this.self.id) break;
      if (seen.has(p.key)) continue;
      seen.add(p.key);
      out.push(p);
    }
    this.successors = out;
  }

  /**
   * Records that successor(start) = s (a finger fix): inserts s and evicts fingers in
   * [start, s), which the lookup showed are not live nodes.
   */
  fixFinger(start: Id, s: Peer): void {
    const evict = start !== s.id;
    this.fingers = this.fingers.filter(
      (p) =>
        p.key !== s.key && !(evict && (p.id === start || this.space.inOpen(p.id, start, s.id))),
    );
    if (s.id !== this.self.id) this.addFinger(s);
  }

  /** Inserts a peer into the fingers if absent (oracle-built rings, tests). */
  addFinger(p: Peer): void {
    if (p.id === this.self.id || this.fingers.some((f) => f.key === p.key)) return;
    const self = this.self.id;
    const list = this.fingers.slice();
    const i = list.findIndex((f) => this.space.inOpen(p.id, self, f.id));
    if (i === -1) list.push(p);
    else list.splice(i, 0, p);
    if (list.length > this.m) list.length = this.m;
    this.fingers = list;
  }

  /** Forgets a peer everywhere (it failed or left). Returns whether it was known. */
  remove(key: string): boolean {
    let known = false;
    if (this.predecessor?.key === key) {
      this.predecessor = undefined;
      known = true;
    }
    const s = this.successors.findIndex((p) => p.key === key);
    if (s !== -1) {
      this.successors = this.successors.filter((p) => p.key !== key);
      known = true;
    }
    const f = this.fingers.findIndex((p) => p.key === key);
    if (f !== -1) {
      this.fingers = this.fingers.filter((p) => p.key !== key);
      known = true;
    }
    return known;
  }

  /** Whether `key` names a peer in the successor list, fingers or predecessor. */
  knows(key: string): boolean {
    return (
      this.predecessor?.key === key ||
      this.successors.some((p) => p.key === key) ||
      this.fingers.some((p) => p.key === key)
    );
  }

  /**
   * The first finger index (0-based) whose start lies beyond the successor: lower slots all
   * equal the successor and need no lookup. Returns m when every slot is the successor.
   */
  firstNontrivialFinger(): number {
    const succ = this.successors[0];
    if (succ === undefined) return 0;
    return bitLength(this.distanceTo(succ.id));
  }

  /**
   * The finger index fix_fingers should refresh next (ToN's cycling `next`), skipping the slots
   * known to equal the successor, and the id it must look up. Undefined when all slots are the
   * successor (tiny rings).
   */
  nextFingerToFix(): { index: number; start: Id } | undefined {
    const low = this.firstNontrivialFinger();
    if (low >= this.m) return undefined;
    if (this.nextFinger < low || this.nextFinger >= this.m) this.nextFinger = low;
    const index = this.nextFinger;
    return { index, start: this.space.addPow2(this.self.id, index) };
  }

  /**
   * After finger `index` resolved to s: every later slot whose start lies in (self, s] is s too,
   * so the cycle continues at the first slot beyond s (wrapping to the first non-trivial slot).
   */
  advanceFinger(index: number, s: Peer): void {
    let next = index + 1;
    if (s.id !== this.self.id) next = Math.max(next, bitLength(this.distanceTo(s.id)));
    this.nextFinger = next >= this.m ? 0 : next;
  }

  /** Clockwise distance from self to `id` (bigint; fix_fingers only). */
  distanceTo(id: Id): bigint {
    const d = this.space.toBigint(id) - this.selfId;
    return d >= 0n ? d : d + (1n << BigInt(this.m));
  }

  /** Every distinct peer this node knows, in no particular order (tests, introspection). */
  allPeers(): Peer[] {
    const map = new Map<string, Peer>();
    for (const p of this.successors) map.set(p.key, p);
    for (const p of this.fingers) map.set(p.key, p);
    if (this.predecessor) map.set(this.predecessor.key, this.predecessor);
    return [...map.values()];
  }
}

/** Number of bits of a non-negative bigint (0n → 0). */
export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}
