/**
 * Global knowledge of a ring, for what no node can know alone: the true owner of a key (the
 * oracle tests and experiments judge lookups against) and routing state built directly from the
 * sorted ring (the throughput benchmark's "fingers built by oracle", as PeerSim's Chord does).
 */
import type { Id, IdSpace } from '@p2pkit/core';
import type { Peer } from './peer.js';
import type { RoutingTable } from './routing.js';

/** A sorted view of live peers answering "who owns key" in O(log N). */
export class RingOracle {
  readonly peers: Peer[];

  constructor(peers: Iterable<Peer>) {
    this.peers = [...peers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get size(): number {
    return this.peers.length;
  }

  /** Index of successor(key): the first peer at or after key, wrapping. */
  successorIndex(key: Id): number {
    const p = this.peers;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p[mid]!.id < key) lo = mid + 1;
      else hi = mid;
    }
    return lo === p.length ? 0 : lo;
  }

  /** Adds a peer (a node that joined) in its place: O(N) moves instead of a new sort. */
  add(peer: Peer): void {
    const p = this.peers;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p[mid]!.id <= peer.id) lo = mid + 1;
      else hi = mid;
    }
    p.splice(lo, 0, peer);
  }

  /** Keeps only the peers `keep` accepts (after failures), in order. */
  retain(keep: (peer: Peer) => boolean): void {
    const p = this.peers;
    let n = 0;
    for (let i = 0; i < p.length; i++) if (keep(p[i]!)) p[n++] = p[i]!;
    p.length = n;
  }

  /** The live node responsible for key. */
  owner(key: Id): Peer {
    const p = this.peers[this.successorIndex(key)];
    if (p === undefined) throw new RangeError('empty ring');
    return p;
  }

  /**
   * Sets every table's successor list, predecessor and fingers to their ideal values. `tables`
   * are matched to peers by address key.
   */
  build(tables: Iterable<RoutingTable>, options: { fingers?: boolean } = {}): void {
    const fingers = options.fingers ?? true;
    const p = this.peers;
    const n = p.length;
    const index = new Map<string, number>();
    for (let i = 0; i < n; i++) index.set(p[i]!.key, i);
    // The ring's id prefixes (Peer.hi) in one contiguous array: each finger start is found by a
    // binary search over these numbers, the ids read only on a tie, instead of over the Peers
    // and their id strings (two cache misses per probe at 10^5 nodes: most of the setup).
    const his = new Int32Array(n);
    for (let i = 0; i < n; i++) his[i] = p[i]!.hi;
    for (const t of tables) {
      const i = index.get(t.self.key);
      if (i === undefined) throw new RangeError(`${t.self.key} is not in the oracle's ring`);
      const succ: Peer[] = [];
      for (let k = 1; k <= Math.min(t.r, n - 1); k++) succ.push(p[(i + k) % n]!);
      t.setSuccessors(succ);
      t.predecessor = n > 1 ? p[(i - 1 + n) % n] : undefined;
      t.fingers = [];
      if (!fingers || n < 2) continue;
      // Slots below the first non-trivial one equal the successor; above, look each start up.
      const list: Peer[] = [];
      let last = -1;
      for (let slot = t.firstNontrivialFinger(); slot < t.m; slot++) {
        const j = successorByPrefix(p, his, t.space, t.space.addPow2(t.self.id, slot));
        if (j === i || j === last) continue;
        last = j;
        list.push(p[j]!);
      }
      // Starts grow with the slot, so the list is already in clockwise order from self.
      t.fingers = list;
    }
  }
}

/** successorIndex(key) over `peers` (sorted) with `his[i]` = peers[i].hi. */
function successorByPrefix(
  peers: readonly Peer[],
  his: Int32Array,
  space: IdSpace,
  key: Id,
): number {
  const h = space.hi(key);
  const n = his.length;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (his[mid]! < h) lo = mid + 1;
    else hi = mid;
  }
  while (lo < n && his[lo] === h && peers[lo]!.id < key) lo++;
  return lo === n ? 0 : lo;
}
