/**
 * A node's role and the moves between roles: an ordinary node finds a parent supernode
 * (alternatives first, then its standby, then the cache), uploads its shares to it and keeps a
 * standby; it becomes a supernode when asked (PROMOTE) or when there is nobody to attach to,
 * and a supernode links to supernode peers, or steps down and attaches as a child again.
 */
import { type Address, formatAddress, P2PError } from '@p2pkit/core';
import type { Link } from './link.js';
import {
  ByeReason,
  decodeHelloReply,
  decodeShareReply,
  encodeBye,
  encodeHello,
  encodeShare,
  HelloStatus,
  MAX_SHARE_BATCH,
  MessageType,
  Role,
} from './messages.js';
import { AVOID_MS, alternatives, type NodeContext } from './node-context.js';
import type { LocalFile, NodeRole } from './options.js';

/** Supernodes tried in one attachment round. */
const ATTACH_TRIES = 8;

/** What the roles tell the node's upkeep. */
export interface RoleHooks {
  /** This node has just become a supernode. */
  becameSupernode(): void;
  /** A supernode peer link is up. */
  peerLinked(address: Address): void;
}

export class Roles {
  readonly #ctx: NodeContext;
  readonly #hooks: RoleHooks;
  #role: NodeRole = 'ordinary';
  #startedAt = 0;
  #parent: Link | undefined;
  #standby: Link | undefined;
  #attaching: Promise<void> | undefined;
  #lostAt: number | undefined;
  #lostCause: 'lost' | 'bye' = 'lost';

  constructor(ctx: NodeContext, hooks: RoleHooks) {
    this.#ctx = ctx;
    this.#hooks = hooks;
  }

  get role(): NodeRole {
    return this.#role;
  }

  /** An ordinary node's supernode. */
  get parent(): Link | undefined {
    return this.#parent;
  }

  /** An ordinary node's second supernode, connected and ready to fail over to. */
  get standby(): Link | undefined {
    return this.#standby;
  }

  /** The node started at `now` (its uptime counts from there). */
  started(now: number): void {
    this.#startedAt = now;
  }

  #uptimeMs(): number {
    return this.#ctx.runtime.clock.now() - this.#startedAt;
  }

  /** Whether this node meets the supernode bar: reachable, up long enough, fast enough. */
  selfCapable(): boolean {
    const { o } = this.#ctx;
    return !o.firewalled && this.#uptimeMs() >= o.minUptimeMs && o.uploadKBps >= o.minUploadKBps;
  }

  /** Our HELLO body in `role`. */
  hello(role: Role): Uint8Array {
    const { o } = this.#ctx;
    return encodeHello({
      role,
      firewalled: o.firewalled,
      supernode: this.#role === 'supernode',
      claimedLevel: o.claimedLevel ?? 100,
      uptimeS: Math.floor(this.#uptimeMs() / 1000),
      uploadKBps: o.uploadKBps,
      shares: this.#ctx.files.size,
    });
  }

  /** A session closed: if it was our parent, find another one. */
  closed(link: Link): void {
    const ctx = this.#ctx;
    if (this.#standby === link) this.#standby = undefined;
    if (this.#parent === link) {
      this.#parent = undefined;
      if (!ctx.stopped && this.#role === 'ordinary') {
        ctx.cache.avoid(link.remote, ctx.runtime.clock.now() + AVOID_MS);
        this.#lostAt ??= ctx.runtime.clock.now();
        void this.attach();
      }
    }
  }

  /** Our parent said BYE at `now`: attach elsewhere, the alternatives it gave first. */
  parentLeft(link: Link, now: number, alternatives: Address[]): void {
    this.#lostAt = now;
    this.#lostCause = 'bye';
    this.#ctx.cache.avoid(link.remote, now + AVOID_MS);
    this.#parent = undefined;
    void link.close();
    void this.attach(alternatives);
  }

  async becomeSupernode(): Promise<void> {
    const ctx = this.#ctx;
    if (ctx.stopped || this.#role === 'supernode') return;
    this.#role = 'supernode';
    const parent = this.#parent;
    const standby = this.#standby;
    this.#parent = undefined;
    this.#standby = undefined;
    if (parent) ctx.cache.learn(parent.remote, 0, 0, ctx.runtime.clock.now());
    await Promise.all([parent?.close(), standby?.close()]);
    ctx.router.index.add('self', [...ctx.files.values()]);
    this.#hooks.becameSupernode();
    ctx.emit('role', 'supernode');
    await this.linkPeers();
  }

  async stepDown(): Promise<void> {
    const ctx = this.#ctx;
    if (this.#role !== 'supernode' || ctx.peers.size === 0) return;
    const bye = encodeBye({ reason: ByeReason.steppingDown, alternatives: alternatives(ctx) });
    for (const c of ctx.children.values()) c.notify(MessageType.BYE, bye);
    this.#role = 'ordinary';
    ctx.router.index.removeOwner('self');
    const links = [...ctx.children.values(), ...ctx.peers.values()];
    await Promise.all(links.map((l) => l.close().catch(() => {})));
    ctx.emit('role', 'ordinary');
    await this.attach();
  }

  /** Dials supernodes as peers until targetPeers are linked (a few per call). */
  async linkPeers(): Promise<void> {
    const ctx = this.#ctx;
    const { cache, peers, runtime } = ctx;
    const now = runtime.clock.now();
    const exclude = new Set([...peers.keys(), formatAddress(ctx.advertise)]);
    const want = ctx.o.targetPeers - peers.size;
    if (want <= 0) return;
    const candidates = cache.candidates(now, runtime.random, exclude).slice(0, want);
    await Promise.all(
      candidates.map(async (address) => {
        try {
          const link = await ctx.dial(address);
          const reply = decodeHelloReply(
            (await link.request(MessageType.HELLO, this.hello(Role.peer))).body,
          );
          cache.merge(reply.supernodes, runtime.clock.now(), ctx.advertise);
          const key = formatAddress(address);
          if (reply.status !== HelloStatus.ok || this.#role !== 'supernode' || peers.has(key)) {
            cache.avoid(address, runtime.clock.now() + AVOID_MS);
            await link.close();
            return;
          }
          link.kind = 'peer';
          peers.set(key, link);
          this.#hooks.peerLinked(address);
        } catch {
          cache.avoid(address, runtime.clock.now() + AVOID_MS);
        }
      }),
    );
  }

  /** Finds a parent (alternatives first, then the standby, then the cache) and uploads. */
  attach(alternatives: Address[] = []): Promise<void> {
    this.#attaching ??= this.#attachOnce(alternatives).finally(() => {
      this.#attaching = undefined;
    });
    return this.#attaching;
  }

  async #attachOnce(alternatives: Address[]): Promise<void> {
    const ctx = this.#ctx;
    if (ctx.stopped || this.#role !== 'ordinary' || this.#parent) return;
    const { runtime, cache } = ctx;
    let attached = false;
    // The standby is already connected: fail over to it first.
    const standby = this.#standby;
    if (standby?.open) {
      this.#standby = undefined;
      attached = await this.#tryParent(standby);
    }
    const tried = new Set<string>([formatAddress(ctx.advertise)]);
    const queue = [...alternatives];
    for (let tries = 0; !attached && tries < ATTACH_TRIES && !ctx.stopped; tries++) {
      let next = queue.shift();
      while (next && tried.has(formatAddress(next))) next = queue.shift();
      if (!next) {
        next = cache.candidates(runtime.clock.now(), runtime.random, tried)[0];
      }
      if (!next) break;
      tried.add(formatAddress(next));
      try {
        const link = await ctx.dial(next);
        attached = await this.#tryParent(link);
        if (!attached) await link.close();
      } catch {
        cache.avoid(next, runtime.clock.now() + AVOID_MS);
      }
    }
    if (!attached) {
      // Nobody to attach to: the first node of a network, or every supernode gone.
      if (ctx.o.role === 'auto' && (cache.size === 0 || this.selfCapable())) {
        await this.becomeSupernode();
      }
      return;
    }
    await this.ensureStandby();
  }

  /** HELLO as a child on `link`; on ok it becomes the parent and gets our shares. */
  async #tryParent(link: Link): Promise<boolean> {
    const ctx = this.#ctx;
    const { runtime, cache } = ctx;
    try {
      const response = await link.request(MessageType.HELLO, this.hello(Role.child));
      const reply = decodeHelloReply(response.body);
      cache.merge(reply.supernodes, runtime.clock.now(), ctx.advertise);
      if (reply.status !== HelloStatus.ok || !reply.supernode || ctx.stopped) {
        cache.avoid(link.remote, runtime.clock.now() + AVOID_MS);
        return false;
      }
      if (this.#role !== 'ordinary' || this.#parent) return false;
      link.kind = 'parent';
      this.#parent = link;
      cache.learn(
        link.remote,
        Math.round((100 * reply.children) / Math.max(1, reply.targetChildren)),
        0,
        runtime.clock.now(),
      );
      await this.upload(link, [...ctx.files.values()]);
      if (this.#parent !== link) return false;
      ctx.emit('parent', link.remote);
      if (this.#lostAt !== undefined) {
        const ms = runtime.clock.now() - this.#lostAt;
        ctx.stats.reparents++;
        ctx.emit('reparent', { cause: this.#lostCause, ms, parent: link.remote });
        this.#lostAt = undefined;
        this.#lostCause = 'lost';
      }
      return true;
    } catch {
      cache.avoid(link.remote, runtime.clock.now() + AVOID_MS);
      return false;
    }
  }

  async ensureStandby(): Promise<void> {
    const ctx = this.#ctx;
    if (this.#standby?.open || !this.#parent || ctx.stopped) return;
    const { runtime, cache } = ctx;
    const exclude = new Set([formatAddress(this.#parent.remote), formatAddress(ctx.advertise)]);
    const next = cache.candidates(runtime.clock.now(), runtime.random, exclude)[0];
    if (!next) return;
    try {
      const link = await ctx.dial(next);
      const reply = decodeHelloReply(
        (await link.request(MessageType.HELLO, this.hello(Role.standby))).body,
      );
      if (
        reply.status === HelloStatus.ok &&
        reply.supernode &&
        this.#role === 'ordinary' &&
        !this.#standby
      ) {
        link.kind = 'standby';
        this.#standby = link;
      } else {
        await link.close();
      }
    } catch {
      cache.avoid(next, runtime.clock.now() + AVOID_MS);
    }
  }

  /** Uploads the entries of `files` to our parent `link`, in batches. */
  async upload(link: Link, files: readonly LocalFile[]): Promise<void> {
    for (let i = 0; i < files.length; i += MAX_SHARE_BATCH) {
      const batch = files.slice(i, i + MAX_SHARE_BATCH).map(entryOf);
      const reply = decodeShareReply(
        (await link.request(MessageType.SHARE, encodeShare(batch))).body,
      );
      if (reply.limited) {
        this.#ctx.emit(
          'warning',
          new P2PError(`parent took ${reply.total} of our files (its limit)`, 'ERR_LIMIT'),
        );
        return;
      }
    }
  }
}

function entryOf(f: LocalFile) {
  return { uuhash: f.uuhash, root: f.root, size: f.size, name: f.name, tags: f.tags };
}
