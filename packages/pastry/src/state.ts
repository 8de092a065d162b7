/**
 * A node's routing state (leaf set, routing table, neighbourhood set) and the routing rule of
 * the paper's Table 1 over it. Pure data and decisions: no messages, no clock.
 */
import type { Id, IdSpace } from '@p2pkit/core';
import { LeafSet } from './leaf-set.js';
import {
  PART_LEAVES,
  PART_NEIGHBORS,
  PART_ROWS,
  type State,
  type StateRequest,
} from './messages.js';
import { Neighborhood } from './neighborhood.js';
import type { Peer } from './peer.js';
import { RoutingTable, type Slot } from './routing-table.js';

/** What forgetting a peer took away (what the repair has to put back). */
export interface Forgotten {
  /** It was in the leaf set. */
  leaf: boolean;
  /** The routing-table slot it held, if any. */
  slot: Slot | undefined;
  /** It was in the neighbourhood set. */
  neighbor: boolean;
}

export class NodeState {
  readonly self: Peer;
  /** self.id, one load closer (the routing hot path reads it at every hop). */
  readonly selfId: Id;
  readonly space: IdSpace;
  readonly leaf: LeafSet;
  readonly table: RoutingTable;
  readonly neighborhood: Neighborhood;
  /** Proximity neighbour selection (see PastryOptions.proximity). */
  readonly proximity: boolean;

  constructor(
    self: Peer,
    space: IdSpace,
    sizes: { leafSet: number; neighborhood: number; proximity: boolean },
  ) {
    this.self = self;
    this.selfId = self.id;
    this.space = space;
    this.leaf = new LeafSet(self, space, sizes.leafSet);
    this.table = new RoutingTable(self, space);
    this.neighborhood = new Neighborhood(sizes.neighborhood);
    this.proximity = sizes.proximity;
  }

  /**
   * Routing (paper Table 1): the peer to forward a message with `key` to, or this node's own
   * peer when the message is delivered here.
   * 1. A key within the leaf set's range goes to the member numerically closest to it.
   * 2. Otherwise to the routing-table entry sharing one more digit with the key.
   * 3. Otherwise (the rare case) to a known node sharing at least as long a prefix with the key
   *    as this node and numerically closer to it: every hop makes progress.
   */
  nextHop(key: Id): Peer {
    const s = this.space;
    const self = this.self;
    const delivered = this.leaf.deliverTo(key);
    if (delivered !== undefined) return delivered;
    const l = s.sharedPrefixLength(key, this.selfId);
    if (l >= s.digits) return self;
    const entry = this.table.get(l, s.digit(key, l));
    if (entry !== undefined) return entry;
    return this.rareCase(key, l);
  }

  /**
   * The rare case of Table 1: among every known node with a prefix match of at least `l`
   * digits with the key, the one numerically closest to it, if closer than this node.
   */
  rareCase(key: Id, l: number): Peer {
    const s = this.space;
    let best = this.self;
    const offer = (p: Peer) => {
      if (s.compareDistance(key, p.id, best.id) < 0 && s.sharedPrefixLength(p.id, key) >= l) {
        best = p;
      }
    };
    for (const p of this.leaf.cw) offer(p);
    for (const p of this.leaf.ccw) offer(p);
    for (const p of this.table.entries()) offer(p);
    for (const p of this.neighborhood.peers) offer(p);
    return best;
  }

  /**
   * Offers a peer to all three structures (`rtt`: measured round-trip time, NaN if unknown).
   * Returns whether the leaf set changed (the caller re-replicates stored values).
   */
  consider(peer: Peer, rtt: number): boolean {
    if (peer.key === this.self.key || peer.id === this.self.id) return false;
    this.table.consider(peer, rtt, this.proximity);
    this.neighborhood.consider(peer, rtt);
    return this.leaf.add(peer);
  }

  /** Whether the peer is in any of the three structures. */
  knows(peer: Peer): boolean {
    return this.leaf.has(peer.key) || this.table.has(peer) || this.neighborhood.has(peer.key);
  }

  /** Removes a peer everywhere. */
  forget(peer: Peer): Forgotten {
    return {
      leaf: this.leaf.remove(peer.key),
      slot: this.table.remove(peer),
      neighbor: this.neighborhood.remove(peer.key),
    };
  }

  /** The parts of this state a STATE request asks for (only rows that hold something). */
  parts(q: StateRequest): State {
    return {
      rows: (q.parts & PART_ROWS) !== 0 ? this.table.filledRows(q.firstRow, q.lastRow) : [],
      leaves: (q.parts & PART_LEAVES) !== 0 ? [...this.leaf.members()] : [],
      neighbors: (q.parts & PART_NEIGHBORS) !== 0 ? [...this.neighborhood.peers] : [],
    };
  }

  /** Every distinct peer this node knows (leaf set, table, neighbourhood). */
  known(): Peer[] {
    const seen = new Map<string, Peer>();
    for (const p of this.leaf.members()) seen.set(p.key, p);
    for (const p of this.table.entries()) seen.set(p.key, p);
    for (const p of this.neighborhood.peers) seen.set(p.key, p);
    return [...seen.values()];
  }
}
