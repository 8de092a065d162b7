import type { Random } from '@p2pkit/core';
import { bytesToBinary } from '../bencode/binary.js';
import type { AnnounceEvent, ScrapeEntry } from './types.js';

/** Limits of a tracker's memory; every one is something a remote client can grow. */
export interface SwarmLimits {
  /** Torrents tracked at once; announces for new ones are refused beyond (default 100,000). */
  maxTorrents: number;
  /** Peers per torrent; new peers beyond are answered but not recorded (default 10,000). */
  maxPeersPerTorrent: number;
  /** Peers returned when the client does not say (BEP 3 convention: 50). */
  defaultNumwant: number;
  /** Most peers returned whatever the client asks (default 200). */
  maxNumwant: number;
  /** A peer that has not announced for this long is forgotten. */
  peerTimeoutMs: number;
}

export interface PeerRecord {
  readonly key: string;
  readonly host: string;
  port: number;
  readonly peerId: Uint8Array;
  left: number;
  lastSeen: number;
}

export interface SwarmAnnounce {
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  readonly host: string;
  readonly port: number;
  /** Bytes left; undefined when the client did not say (counted as a leecher). */
  readonly left: number | undefined;
  readonly event: AnnounceEvent | undefined;
  /** Requested peers; clamped to [0, maxNumwant], default defaultNumwant. */
  readonly numwant: number | undefined;
}

export type SwarmReply =
  | { readonly failure: string }
  | {
      readonly failure?: undefined;
      readonly complete: number;
      readonly incomplete: number;
      readonly peers: readonly PeerRecord[];
    };

/**
 * What the tracker's state costs in V8's heap (64-bit Node, no pointer compression), for
 * stateBytes(). A flat one-byte string is a 16-byte header plus its characters, rounded up to
 * 8. The fixed parts were measured as heap deltas (node --expose-gc, gc before and after 10^5
 * announces to a bare Swarms, addresses as flat strings as sockets give them; Node 20 x64,
 * 2026-12-03): a peer's fixed part, 415 bytes, is its 20-byte peer-id copy (a Uint8Array: 233
 * bytes), its PeerRecord (6 fields, 72), its boxed lastSeen double, the cons-string header
 * left in front of its flattened key, and its index Map entry and peers-array slot with the
 * tables' spare capacity; a swarm's, 415 bytes, is its Swarm object, its Map and array at
 * their first capacity, and its entry in the info-hash Map. Estimate / heap delta: 1.00 for
 * one swarm of 10^5 IPv4 peers, 1.01 for IPv6 ones, 1.00 for 10^5 one-peer swarms, 1.00 for
 * 100 swarms of 100; 0.84 for 10^3 peers, where the heap's own noise is of the same size.
 */
const PEER_FIXED_BYTES = 415;
const SWARM_FIXED_BYTES = 415;
const stringBytes = (text: string) => 16 + Math.ceil(text.length / 8) * 8;

class Swarm {
  readonly peers: PeerRecord[] = [];
  readonly index = new Map<string, number>();
  seeds = 0;
  downloaded = 0;

  add(peer: PeerRecord): void {
    this.index.set(peer.key, this.peers.length);
    this.peers.push(peer);
    if (peer.left === 0) this.seeds++;
  }

  remove(key: string): void {
    const at = this.index.get(key);
    if (at === undefined) return;
    const peer = this.peers[at]!;
    if (peer.left === 0) this.seeds--;
    const last = this.peers.pop()!;
    this.index.delete(key);
    if (last !== peer) {
      this.peers[at] = last;
      this.index.set(last.key, at);
    }
  }
}

/**
 * The tracker's state, shared by its HTTP and UDP front ends: swarms keyed by info-hash, peers
 * keyed by (address, peer id) so that one client cannot remove or move another's entry.
 */
export class Swarms {
  readonly #swarms = new Map<string, Swarm>();
  readonly #random: Random;
  readonly #limits: SwarmLimits;
  #peerCount = 0;

  constructor(random: Random, limits: SwarmLimits) {
    this.#random = random;
    this.#limits = limits;
  }

  get torrents(): number {
    return this.#swarms.size;
  }

  get peers(): number {
    return this.#peerCount;
  }

  /**
   * Bytes the tracker holds for its swarms, summed over what it stores: per swarm its record
   * and info-hash key, per peer its record, peer-id copy, address and key strings, and its
   * place in the swarm's index (sizes above). Counts the state, not the sockets or buffers.
   */
  stateBytes(): number {
    let bytes = 0;
    for (const [hashKey, swarm] of this.#swarms) {
      bytes += SWARM_FIXED_BYTES + stringBytes(hashKey);
      for (const peer of swarm.peers)
        bytes += PEER_FIXED_BYTES + stringBytes(peer.key) + stringBytes(peer.host);
    }
    return bytes;
  }

  announce(a: SwarmAnnounce, now: number): SwarmReply {
    const hashKey = bytesToBinary(a.infoHash);
    let swarm = this.#swarms.get(hashKey);
    if (!swarm) {
      if (a.event === 'stopped') return { complete: 0, incomplete: 0, peers: [] };
      if (this.#swarms.size >= this.#limits.maxTorrents) return { failure: 'tracker is full' };
      swarm = new Swarm();
      this.#swarms.set(hashKey, swarm);
    }
    const key = `${a.host}|${bytesToBinary(a.peerId)}`;
    const at = swarm.index.get(key);
    let self = at === undefined ? undefined : swarm.peers[at];
    const left = a.left ?? Number.MAX_SAFE_INTEGER;
    if (a.event === 'stopped') {
      if (self) {
        swarm.remove(key);
        this.#peerCount--;
      }
      if (swarm.peers.length === 0) this.#swarms.delete(hashKey);
      return { complete: swarm.seeds, incomplete: swarm.peers.length - swarm.seeds, peers: [] };
    }
    if (self) {
      const wasSeed = self.left === 0;
      if (a.event === 'completed' && !wasSeed) swarm.downloaded++;
      if (wasSeed !== (left === 0)) swarm.seeds += left === 0 ? 1 : -1;
      self.left = left;
      self.port = a.port;
      self.lastSeen = now;
    } else if (swarm.peers.length < this.#limits.maxPeersPerTorrent) {
      self = { key, host: a.host, port: a.port, peerId: a.peerId.slice(), left, lastSeen: now };
      swarm.add(self);
      this.#peerCount++;
      if (a.event === 'completed') swarm.downloaded++;
    }
    const numwant = Math.max(
      0,
      Math.min(this.#limits.maxNumwant, a.numwant ?? this.#limits.defaultNumwant),
    );
    const peers = this.#select(swarm, key, numwant, left === 0);
    return { complete: swarm.seeds, incomplete: swarm.peers.length - swarm.seeds, peers };
  }

  scrape(infoHash: Uint8Array): ScrapeEntry {
    const swarm = this.#swarms.get(bytesToBinary(infoHash));
    if (!swarm) return { complete: 0, incomplete: 0, downloaded: 0 };
    return {
      complete: swarm.seeds,
      incomplete: swarm.peers.length - swarm.seeds,
      downloaded: swarm.downloaded,
    };
  }

  /** Forgets peers silent for longer than peerTimeoutMs, and empty swarms. */
  sweep(now: number): void {
    const oldest = now - this.#limits.peerTimeoutMs;
    for (const [hashKey, swarm] of this.#swarms) {
      for (let i = swarm.peers.length - 1; i >= 0; i--) {
        const peer = swarm.peers[i]!;
        if (peer.lastSeen < oldest) {
          swarm.remove(peer.key);
          this.#peerCount--;
        }
      }
      if (swarm.peers.length === 0) this.#swarms.delete(hashKey);
    }
  }

  /**
   * Up to `numwant` random peers other than the requester; a seed gets only leechers (seeds have
   * nothing to give each other). Large swarms are sampled by random probing, not copied.
   */
  #select(swarm: Swarm, selfKey: string, numwant: number, forSeed: boolean): PeerRecord[] {
    const peers = swarm.peers;
    const wanted = (p: PeerRecord) => p.key !== selfKey && !(forSeed && p.left === 0);
    if (numwant === 0) return [];
    if (peers.length <= numwant * 3) {
      return this.#random.shuffle(peers.filter(wanted)).slice(0, numwant);
    }
    const picked = new Set<number>();
    const out: PeerRecord[] = [];
    for (let tries = 0; out.length < numwant && tries < numwant * 8; tries++) {
      const i = this.#random.int(peers.length);
      if (picked.has(i)) continue;
      picked.add(i);
      const peer = peers[i]!;
      if (wanted(peer)) out.push(peer);
    }
    return out;
  }
}
