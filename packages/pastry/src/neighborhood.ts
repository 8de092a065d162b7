/**
 * The neighbourhood set M (paper §2.1): the |M| nodes closest to this one by the proximity
 * metric (measured round-trip time). Not used for routing; it seeds a joining node's state and
 * keeps locality when entries are replaced.
 */
import type { Peer } from './peer.js';

export class Neighborhood {
  readonly capacity: number;
  /** Members, nearest first. */
  readonly peers: Peer[] = [];
  /** rtts[i]: the measured round-trip time to peers[i], ms. */
  readonly rtts: number[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.peers.length;
  }

  has(key: string): boolean {
    return this.#indexOf(key) >= 0;
  }

  /** Offers a peer measured at `rtt` ms (NaN: not measured, never taken). Returns whether it entered. */
  consider(peer: Peer, rtt: number): boolean {
    if (!(rtt >= 0) || this.capacity === 0) return false;
    const at = this.#indexOf(peer.key);
    if (at >= 0) {
      this.peers.splice(at, 1);
      this.rtts.splice(at, 1);
    }
    let i = this.peers.length;
    while (i > 0 && this.rtts[i - 1]! > rtt) i--;
    if (i >= this.capacity) return false;
    this.peers.splice(i, 0, peer);
    this.rtts.splice(i, 0, rtt);
    if (this.peers.length > this.capacity) {
      this.peers.length = this.capacity;
      this.rtts.length = this.capacity;
    }
    return at < 0;
  }

  remove(key: string): boolean {
    const i = this.#indexOf(key);
    if (i < 0) return false;
    this.peers.splice(i, 1);
    this.rtts.splice(i, 1);
    return true;
  }

  #indexOf(key: string): number {
    const peers = this.peers;
    for (let i = 0; i < peers.length; i++) if (peers[i]!.key === key) return i;
    return -1;
  }
}
