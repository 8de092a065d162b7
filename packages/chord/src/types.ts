/** The shapes a Chord node shows its users (exported from the package's entry). */
import type { Address } from '@p2pkit/core';
import type { IterativeOptions } from './lookup.js';
import type { Peer } from './peer.js';
import { spaceFor } from './space.js';

/** A node as the public API shows it. */
export interface ChordContact {
  id: bigint;
  address: Address;
}

export interface LookupOptions {
  signal?: AbortSignal;
  /** @internal Sees every contact of an iterative lookup. */
  trace?: IterativeOptions['trace'];
  /** Overrides the node's lookup mode for this call. */
  mode?: 'iterative' | 'recursive';
  /** Deadline for this call (default: the node's lookupTimeoutMs). */
  timeoutMs?: number;
}

export interface LookupAnswer {
  /** The live node responsible for the key (its successor on the ring). */
  owner: ChordContact;
  /**
   * Finger forwardings from this node to the node that named the owner (spec §5.1: neither
   * this node nor the final step to the owner counts).
   */
  hops: number;
  /** Contacts that timed out on the way (dead nodes). */
  timeouts: number;
}

export interface ChordEvents {
  /** The first successor changed. */
  successor: [successor: ChordContact];
  /** The predecessor changed (undefined: it failed or left). */
  predecessor: [predecessor: ChordContact | undefined];
  /** A recoverable problem: a bad message, a failed maintenance round. Never fatal. */
  warning: [error: Error];
}

/** One node of a ring walk. */
export interface RingEntry {
  node: ChordContact;
  predecessor: ChordContact | undefined;
  successors: ChordContact[];
  /** False when the node did not answer (crashed or unreachable): the walk went around it. */
  reachable: boolean;
}

/** Counters a node keeps about itself (cheap; read them any time). */
export interface ChordStats {
  lookups: number;
  lookupFailures: number;
  timeouts: number;
  badMessages: number;
  rejectedPeers: number;
}

/** `toBigint` reads only the id's characters: any space converts ids of every width. */
const ANY = spaceFor(160);

export function toContact(p: Peer): ChordContact {
  return { id: ANY.toBigint(p.id), address: p.address };
}
