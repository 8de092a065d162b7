/**
 * Which peers a node believes. A peer's claimed id must be nodeId(its address) (verifyIds); a
 * message's sender must be who sent the datagram; and peers that stopped answering are
 * remembered as dead, so that stale mentions of them elsewhere are not taken back (the
 * keep-alive retries one now and then: a healed partition).
 */
import {
  type Address,
  type Id,
  type IdSpace,
  idSpace,
  type RpcRequest,
  sameAddress,
} from '@p2pkit/core';
import type { PastryStats } from './context.js';
import { Peer } from './peer.js';

/** Dead peers kept at most (the map is cleared when full). */
const LIMIT = 4096;
/** Verified (id, address) pairs the process remembers per id space before it starts over. */
const VERIFIED = 1 << 18;

/**
 * Claimed ids that checked out, with the address they belong to, per id space. nodeId(address)
 * is a pure function of the address (SHA-1, no secret), so one memo serves every node of a
 * process: 10^4 simulated nodes each verifying the owners that answer their lookups hash each
 * address once, not once per node that meets it, and no node carries a cache of its own.
 */
const verifiedIds = new WeakMap<IdSpace, Map<Id, Address>>();

/**
 * The id space of `m` bits and `b`-bit digits, one per process: every node of a simulated
 * overlay shares it (and the verified-id memo that goes with it).
 */
export function spaceFor(m: number, b: number): IdSpace {
  const key = m * 64 + b;
  let space = spaces.get(key);
  if (space === undefined) spaces.set(key, (space = idSpace(m, b)));
  return space;
}
const spaces = new Map<number, IdSpace>();

export class PeerTrust {
  readonly #space: IdSpace;
  readonly #verify: boolean;
  readonly #stats: PastryStats;
  readonly #verified: Map<Id, Address>;
  /** Peers that failed to answer, by address key. */
  readonly #dead = new Map<string, Peer>();

  constructor(space: IdSpace, verify: boolean, stats: PastryStats) {
    this.#space = space;
    this.#verify = verify;
    this.#stats = stats;
    let verified = verifiedIds.get(space);
    if (verified === undefined) verifiedIds.set(space, (verified = new Map()));
    this.#verified = verified;
  }

  /**
   * The claimed-id check: a peer's id must be nodeId(its address). Verified pairs are
   * remembered by id (per process), so the check of a known peer builds no string.
   */
  accept(peer: Peer): boolean {
    if (!this.#verify) return true;
    const known = this.#verified.get(peer.id);
    if (known !== undefined && sameAddress(known, peer.address)) return true;
    const { host, port } = peer.address;
    if (this.#space.nodeId(host, port) !== peer.id) {
      this.#stats.rejectedPeers++;
      return false;
    }
    if (this.#verified.size >= VERIFIED) this.#verified.clear();
    this.#verified.set(peer.id, peer.address);
    return true;
  }

  /** The envelope's sender as a Peer, if its id checks out and it sent the datagram itself. */
  sender(req: RpcRequest): Peer | undefined {
    const { id, address } = req.sender;
    if (id.length !== this.#space.bytes || !sameAddress(address, req.from)) {
      this.#stats.rejectedPeers++;
      return undefined;
    }
    let peerId: Id;
    try {
      peerId = this.#space.fromBytes(id, 0);
    } catch {
      this.#stats.rejectedPeers++;
      return undefined;
    }
    const peer = new Peer(peerId, { host: address.host, port: address.port });
    return this.accept(peer) ? peer : undefined;
  }

  dead(peer: Peer): boolean {
    return this.#dead.has(peer.key);
  }

  declareDead(peer: Peer): void {
    if (this.#dead.size >= LIMIT) this.#dead.clear();
    this.#dead.set(peer.key, peer);
  }

  /** The peer answered: returns whether it had been declared dead. */
  revive(peer: Peer): boolean {
    return this.#dead.delete(peer.key);
  }

  /** A random peer among those declared dead, if any. */
  someDead(random: { int(n: number): number }): Peer | undefined {
    const dead = this.#dead;
    if (dead.size === 0) return undefined;
    const i = random.int(dead.size);
    let k = 0;
    for (const peer of dead.values()) if (k++ === i) return peer;
    return undefined;
  }
}
