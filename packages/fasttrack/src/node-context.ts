/**
 * What the parts of a FastTrack node share (its transfers, the handlers of incoming requests,
 * its roles and its upkeep): settings, runtime, id, its current role and links, its caches and
 * counters, and how it dials and says HELLO. Built once by FastTrackNode; the getters read the
 * node's current state.
 */
import type { Address, Runtime } from '@p2pkit/core';
import type { SupernodeCache } from './cache.js';
import type { Resolved } from './defaults.js';
import type { Link } from './link.js';
import type { Role } from './messages.js';
import type { FastTrackEvents, LocalFile, NodeRole, NodeStats } from './options.js';
import type { Reputation } from './reputation-service.js';
import type { QueryRouter } from './router.js';
import type { SupernodeEntry } from './wire.js';

/** How long a refused or dead supernode is left alone. */
export const AVOID_MS = 60_000;

export interface NodeContext {
  readonly runtime: Runtime;
  /** The node's options with their defaults filled in. */
  readonly o: Resolved;
  /** 16 random bytes: how others know this node. */
  readonly id: Uint8Array;
  readonly role: NodeRole;
  readonly stopped: boolean;
  /** Where this node listens (and what it advertises). */
  readonly advertise: Address;
  /** An ordinary node's supernode. */
  readonly parent: Link | undefined;
  readonly cache: SupernodeCache;
  readonly reputation: Reputation;
  readonly router: QueryRouter;
  readonly stats: NodeStats;
  /** Our own shared files, by UUHash hex. */
  readonly files: ReadonlyMap<string, LocalFile>;
  /** A supernode's children, by node id hex. */
  readonly children: Map<string, Link>;
  /** A supernode's supernode peers, by address. */
  readonly peers: Map<string, Link>;
  /** Opens an overlay session to `address` (the node adopts it). */
  dial(address: Address): Promise<Link>;
  /** Our HELLO body in `role`. */
  hello(role: Role): Uint8Array;
  emit<K extends keyof FastTrackEvents>(event: K, ...args: FastTrackEvents[K]): void;
}

/** A supernode's load: its children as a percentage of its target. */
export function load(ctx: NodeContext): number {
  return Math.round((100 * ctx.children.size) / ctx.o.targetChildren);
}

/** The supernodes we tell others about (a supernode first lists itself). */
export function supernodeList(ctx: NodeContext): SupernodeEntry[] {
  const now = ctx.runtime.clock.now();
  const list = ctx.cache.list(now, 199);
  if (ctx.role === 'supernode') list.unshift({ address: ctx.advertise, load: load(ctx), ageS: 0 });
  return list;
}

/** Where our children can go when we leave: recently seen supernodes with room. */
export function alternatives(ctx: NodeContext): SupernodeEntry[] {
  const since = ctx.runtime.clock.now() - 4 * ctx.o.refreshIntervalMs;
  return ctx.cache.lighterThan(100, since).slice(0, 20);
}
