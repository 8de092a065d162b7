/**
 * The node's internals as its modules (router, join, maintenance, storage) see them: one
 * object per node, so that 10^5 simulated nodes do not each carry a dozen closures.
 */
import type { Address, Clock, IdSpace, Random, RpcRequest } from '@p2pkit/core';
import type { WireLimits } from './messages.js';
import type { ResolvedOptions } from './options.js';
import type { Peer } from './peer.js';
import type { NodeState } from './state.js';

/** Counters a node keeps about itself (cheap; read them any time). */
export interface PastryStats {
  /** Routed messages this node started (lookups, puts, gets). */
  lookups: number;
  lookupFailures: number;
  /** Routed messages this node sent on (its own first hops included). */
  forwarded: number;
  /** Routed messages delivered here (this node was numerically closest). */
  delivered: number;
  /** Forwardings that got no acknowledgement and were rerouted. */
  reroutes: number;
  /** Peers that did not answer in time. */
  timeouts: number;
  /** RPCs sent to repair the leaf set and routing table (lookups of replacements, liveness checks). */
  repairRpcs: number;
  /** Routing-table entries put back by lazy repair. */
  repaired: number;
  badMessages: number;
  /** Peers refused: an id not matching their address, or a claim about someone else. */
  rejectedPeers: number;
}

export interface Context {
  readonly clock: Clock;
  readonly random: Random;
  readonly options: ResolvedOptions;
  readonly space: IdSpace;
  readonly limits: WireLimits;
  readonly state: NodeState;
  readonly stats: PastryStats;
  readonly running: boolean;
  /** A request to a peer; resolves to the response body. */
  request(to: Address, type: number, body: Uint8Array, timeoutMs?: number): Promise<Uint8Array>;
  /** A oneway message (a failed send is a warning). */
  notify(to: Address, type: number, body: Uint8Array): void;
  /** Round-trip time to `peer` in ms (a PING); rejects if it does not answer. */
  ping(peer: Peer): Promise<number>;
  /** Offers a peer to the routing state (`rtt` NaN if not measured); runs the leaf-set hooks. */
  consider(peer: Peer, rtt: number): void;
  /** A peer did not answer: forget it everywhere and start the repairs. */
  peerFailed(peer: Peer): void;
  /** Whether a peer's claimed id checks out (and it is not a peer we saw die just now). */
  accept(peer: Peer): boolean;
  /** Whether the peer failed recently (its stale entries elsewhere are not taken back). */
  dead(peer: Peer): boolean;
  /** A random peer among those declared dead (the keep-alive retries it), if any. */
  somePeerDeclaredDead(): Peer | undefined;
  /** The envelope's sender as a Peer, if its id checks out and it sent the datagram itself. */
  sender(req: RpcRequest): Peer | undefined;
  /** A peer answered: if it was declared dead, it is alive again and taken back. */
  alive(peer: Peer): void;
  warn(error: unknown): void;
  badMessage(error: unknown): void;
}
