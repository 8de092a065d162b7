/**
 * The iterative lookup (ToN Fig. 5 run by the initiator, as both papers' simulators ran it),
 * with the ToN retry rule: when a contact times out, continue with the next-best preceding node
 * from the fingers and successor list of the node that proposed it.
 *
 * Hop counting (spec §5.1): `hops` counts the remote nodes that answered a step, i.e. the finger
 * forwardings from the initiator to the node whose successor list names the owner (with r = 1,
 * the key's predecessor). The initiator is not counted, nor the final contact with the owner.
 * ToN Tables II/III count live nodes contacted including the owner: that is hops + 1.
 * `timeouts` counts contacts to dead nodes, owner candidates included.
 *
 * I/O is injected (`StepIo`), so this file is pure logic, unit-tested against an oracle ring.
 */
import { AbortError, P2PError, TimeoutError, throwIfAborted } from '@p2pkit/core';
import { type Id, inHalfOpen, inOpen } from './id.js';
import type { Step } from './messages.js';
import type { Peer } from './peer.js';
import type { RoutingTable } from './routing.js';

/** How many next-hop candidates a step answer carries (the best one and its alternates). */
export const STEP_CANDIDATES = 4;
/** How many owner candidates a `done` answer carries (all of a default successor list). */
export const OWNER_CANDIDATES = 32;
/** A lookup that has asked this many nodes is looping or under attack: it fails. */
export const MAX_STEPS = 128;

export interface StepIo {
  /** One FIND_SUCCESSOR step at `peer`. Rejects with TimeoutError when `peer` does not answer. */
  step(peer: Peer, key: Id, signal: AbortSignal | undefined): Promise<Step>;
  /** Liveness check of an owner candidate. Rejects with TimeoutError when it does not answer. */
  ping(peer: Peer, signal: AbortSignal | undefined): Promise<void>;
  /** A contact timed out (the node may forget it). */
  dead(peer: Peer): void;
  /** Whether to trust a peer a remote node told us about (claimed-id check). */
  accept(peer: Peer): boolean;
}

export interface IterativeOptions {
  signal?: AbortSignal | undefined;
  /** Contact the owner before answering (default true): a dead owner is then never returned. */
  confirm?: boolean | undefined;
  /** Start from these peers instead of this node's own table (a join through a bootstrap). */
  via?: Peer[] | undefined;
}

export interface RouteResult {
  owner: Peer;
  hops: number;
  timeouts: number;
}

/** The answer this node gives to a FIND_SUCCESSOR step for `key`. */
export function localStep(table: RoutingTable, key: Id): Step {
  const owners = table.ownerCandidates(key);
  if (owners !== undefined) {
    return {
      done: true,
      peers: owners.length > OWNER_CANDIDATES ? owners.slice(0, OWNER_CANDIDATES) : owners,
    };
  }
  const next = table.closestPrecedingList(key, STEP_CANDIDATES);
  // Nothing precedes the key but the list did not reach it either: only possible with an empty
  // view; answer the successor so the asker can keep going.
  return next.length > 0
    ? { done: false, peers: next }
    : { done: true, peers: [table.successor()] };
}

interface Level {
  done: boolean;
  /** The node that proposed these peers (the lookup's position). */
  from: Id;
  peers: Peer[];
  next: number;
}

export async function iterativeLookup(
  table: RoutingTable,
  key: Id,
  io: StepIo,
  options: IterativeOptions = {},
): Promise<RouteResult> {
  const { signal } = options;
  const confirm = options.confirm ?? true;
  const self = table.self;
  throwIfAborted(signal);
  if (options.via === undefined && table.predecessor !== undefined && table.owns(key)) {
    return { owner: self, hops: 0, timeouts: 0 };
  }

  let hops = 0;
  let timeouts = 0;
  let steps = 0;
  const dead = new Set<string>();
  // The initiator's own level holds every preceding peer it knows: the last resort of a lookup
  // whose remote alternates all failed.
  const owners = options.via === undefined ? table.ownerCandidates(key) : undefined;
  const first =
    owners !== undefined
      ? { done: true, peers: owners }
      : {
          done: false,
          peers: options.via ?? table.closestPrecedingList(key, Number.POSITIVE_INFINITY),
        };
  if (first.peers.length === 0) first.peers.push(table.successor());
  const stack: Level[] = [{ done: first.done, from: self.id, peers: first.peers, next: 0 }];

  while (stack.length > 0) {
    const level = stack[stack.length - 1]!;
    if (level.next >= level.peers.length) {
      stack.pop();
      continue;
    }
    const peer = level.peers[level.next++]!;
    if (dead.has(peer.key)) continue;
    if (++steps > MAX_STEPS) break;
    if (level.done) {
      if (!confirm || peer.key === self.key) return { owner: peer, hops, timeouts };
      try {
        await io.ping(peer, signal);
        return { owner: peer, hops, timeouts };
      } catch (error) {
        if (!(error instanceof TimeoutError) && !isUnreachable(error)) throw error;
        timeouts++;
        dead.add(peer.key);
        io.dead(peer);
        continue;
      }
    }
    let answer: Step;
    try {
      answer = await io.step(peer, key, signal);
    } catch (error) {
      if (error instanceof AbortError) throw error;
      if (!(error instanceof TimeoutError) && !isUnreachable(error)) throw error;
      timeouts++;
      dead.add(peer.key);
      io.dead(peer);
      continue;
    }
    hops++;
    stack.push({
      done: answer.done,
      from: peer.id,
      peers: sanitize(answer, peer, key, self, io),
      next: 0,
    });
  }
  throwIfAborted(signal);
  throw new P2PError(
    `lookup failed after ${steps} contacts (${timeouts} timeouts)`,
    'ERR_LOOKUP_FAILED',
  );
}

/**
 * Keeps only the peers of an answer that make sense: next hops strictly inside (from, key) so
 * every step makes progress; owner candidates at or after key in ring order; no id we reject.
 */
function sanitize(answer: Step, from: Peer, key: Id, self: Peer, io: StepIo): Peer[] {
  const out: Peer[] = [];
  const limit = answer.done ? OWNER_CANDIDATES : STEP_CANDIDATES;
  for (const p of answer.peers) {
    if (out.length >= limit) break;
    if (p.key === self.key) {
      if (answer.done) out.push(self);
      continue;
    }
    if (answer.done) {
      if (out.length === 0 && !inHalfOpen(key, from.id, p.id)) continue;
    } else if (!inOpen(p.id, from.id, key)) {
      continue;
    }
    if (!io.accept(p)) continue;
    out.push(p);
  }
  return out;
}

function isUnreachable(error: unknown): boolean {
  return (
    error instanceof P2PError &&
    (error.code === 'ERR_HOST_UNREACHABLE' ||
      error.code === 'ERR_CONNECTION_REFUSED' ||
      error.code === 'ERR_SOCKET_CLOSED')
  );
}
