/**
 * The iterative lookup (ToN Fig. 5 run by the initiator, as both papers' simulators ran it),
 * with the ToN retry rule: when a contact times out, continue with the next-best preceding node
 * from the fingers and successor list of the node that proposed it.
 *
 * Routing ends at the key's predecessor: the node whose immediate successor is the owner. Nodes
 * further back whose successor list reaches the key are not trusted to name the owner (their
 * lists can be minutes stale under churn); they forward to the list entry just before the key.
 * Their owner candidates are kept as a fallback for when every closer node is dead.
 *
 * Hop counting (spec §5.1): `hops` counts the remote nodes that answered a step, i.e. the finger
 * forwardings from the initiator to the key's predecessor. The initiator is not counted, nor the
 * final contact with the owner. This is also ToN Tables II/III's "path length" (3.84 at N = 1000,
 * r = 20; an idealized ring gives 3.77). `timeouts` counts contacts to dead nodes, owner
 * candidates included.
 *
 * I/O is injected (`StepIo`), so this file is pure logic, unit-tested against an oracle ring.
 */
import {
  AbortError,
  type Id,
  type IdSpace,
  P2PError,
  TimeoutError,
  throwIfAborted,
} from '@p2pkit/core';
import type { Step } from './messages.js';
import type { Peer } from './peer.js';
import type { RoutingTable } from './routing.js';

/** How many next-hop candidates a step answer carries (the best one and its alternates). */
export const STEP_CANDIDATES = 8;
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
  /** The ring's id space (interval tests). */
  readonly space: IdSpace;
}

export interface IterativeOptions {
  signal?: AbortSignal | undefined;
  /** Contact the owner before answering (default true): a dead owner is then never returned. */
  confirm?: boolean | undefined;
  /** Start from these peers instead of this node's own table (a join through a bootstrap). */
  via?: Peer[] | undefined;
  /** Called for every contact: what was asked, and what came back (debugging, experiments). */
  trace?:
    | ((event: { peer: Peer; kind: 'step' | 'ping'; ok: boolean; answer?: Step }) => void)
    | undefined;
}

export interface RouteResult {
  owner: Peer;
  hops: number;
  timeouts: number;
  /** Clock ms from the route call to the answer at this node (set by route() and recursive lookups). */
  ms?: number;
  /** The owner candidates that followed the owner in the namer's successor list (iterative). */
  alternates?: Peer[];
}

/** The answer this node gives to a FIND_SUCCESSOR step for `key`. */
export function localStep(table: RoutingTable, key: Id): Step {
  const owners = table.ownerCandidates(key);
  const next = table.closestPrecedingList(key, STEP_CANDIDATES);
  if (owners !== undefined) {
    return {
      owners: owners.length > OWNER_CANDIDATES ? owners.slice(0, OWNER_CANDIDATES) : owners,
      next,
    };
  }
  // Nothing precedes the key and the list does not reach it: only with an empty view. Name the
  // successor so the asker can keep going.
  return next.length > 0 ? { owners: [], next } : { owners: [table.successor()], next };
}

interface Level {
  /** Owner candidates (ping them) or next hops (ask them). */
  owners: boolean;
  peers: Peer[];
  next: number;
}

export async function iterativeLookup(
  table: RoutingTable,
  key: Id,
  io: StepIo,
  options: IterativeOptions = {},
): Promise<RouteResult> {
  const { signal, trace } = options;
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
  // A stack of levels: the top is tried first; a level whose peers are all dead is popped and
  // the one below (the previous responder's alternates) continues.
  const stack: Level[] = [];
  if (options.via !== undefined) {
    stack.push({ owners: false, peers: options.via, next: 0 });
  } else {
    // The initiator's own fallback level holds every preceding peer it knows.
    // Next hops first (all of them: the last resort of a lookup whose remote alternates all
    // failed); this node's own owner candidates only when no preceding peer answers.
    const owners = table.ownerCandidates(key);
    if (owners !== undefined) stack.push({ owners: true, peers: owners, next: 0 });
    const next = table.closestPrecedingList(key, Number.POSITIVE_INFINITY);
    if (next.length > 0) stack.push({ owners: false, peers: next, next: 0 });
    else if (owners === undefined)
      stack.push({ owners: false, peers: [table.successor()], next: 0 });
  }

  while (stack.length > 0) {
    const level = stack[stack.length - 1]!;
    if (level.next >= level.peers.length) {
      stack.pop();
      continue;
    }
    const peer = level.peers[level.next++]!;
    if (dead.has(peer.key)) continue;
    if (++steps > MAX_STEPS) break;
    if (level.owners) {
      const alternates = level.peers.slice(level.next);
      if (!confirm || peer.key === self.key) return { owner: peer, hops, timeouts, alternates };
      try {
        await io.ping(peer, signal);
        trace?.({ peer, kind: 'ping', ok: true });
        return { owner: peer, hops, timeouts, alternates };
      } catch (error) {
        if (!(error instanceof TimeoutError) && !isUnreachable(error)) throw error;
        trace?.({ peer, kind: 'ping', ok: false });
        timeouts++;
        dead.add(peer.key);
        io.dead(peer);
        continue;
      }
    }
    if (peer.key === self.key) continue;
    let answer: Step;
    try {
      answer = await io.step(peer, key, signal);
    } catch (error) {
      if (error instanceof AbortError) throw error;
      if (!(error instanceof TimeoutError) && !isUnreachable(error)) throw error;
      trace?.({ peer, kind: 'step', ok: false });
      timeouts++;
      dead.add(peer.key);
      io.dead(peer);
      continue;
    }
    trace?.({ peer, kind: 'step', ok: true, answer });
    hops++;
    // Closer nodes first: the key's predecessor names the owner from its immediate successor,
    // which stabilization keeps fresh. The responder's own owner candidates (from further down
    // its successor list, which may be stale) are the fallback when no closer node answers.
    const owners = sanitizeOwners(answer.owners, peer, key, self, io);
    if (owners.length > 0) stack.push({ owners: true, peers: owners, next: 0 });
    const next = sanitizeNext(answer.next, peer, key, self, io);
    if (next.length > 0) stack.push({ owners: false, peers: next, next: 0 });
  }
  throwIfAborted(signal);
  throw new P2PError(
    `lookup failed after ${steps} contacts (${timeouts} timeouts)`,
    'ERR_LOOKUP_FAILED',
  );
}

/** Next hops must lie strictly inside (from, key), so that every step makes progress. */
function sanitizeNext(list: Peer[], from: Peer, key: Id, self: Peer, io: StepIo): Peer[] {
  const out: Peer[] = [];
  for (const p of list) {
    if (out.length >= STEP_CANDIDATES) break;
    if (p.key === self.key || !io.space.inOpen(p.id, from.id, key) || !io.accept(p)) continue;
    out.push(p);
  }
  return out;
}

/** Owner candidates: the first must be at or after the key (seen from the responder). */
function sanitizeOwners(list: Peer[], from: Peer, key: Id, self: Peer, io: StepIo): Peer[] {
  const out: Peer[] = [];
  for (const p of list) {
    if (out.length >= OWNER_CANDIDATES) break;
    if (out.length === 0 && !io.space.inHalfOpen(key, from.id, p.id)) break;
    if (p.key === self.key) out.push(self);
    else if (io.accept(p)) out.push(p);
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
