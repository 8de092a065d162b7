/**
 * A node's periodic upkeep: an ordinary node reattaches and keeps a standby; a supernode keeps
 * its peer links, promotes its most capable child when it has too many children (then sends
 * the new supernode some of them), steps down after being underloaded for a while, and sends
 * its children and peers refresh lists of supernodes.
 */
import { type Address, formatAddress } from '@p2pkit/core';
import type { Link } from './link.js';
import {
  ByeReason,
  decodeStatus,
  EMPTY,
  encodeBye,
  encodeRefresh,
  MessageType,
} from './messages.js';
import { type NodeContext, supernodeList } from './node-context.js';
import type { Roles } from './roles.js';

export class Upkeep {
  readonly #ctx: NodeContext;
  readonly #roles: Roles;
  #underloadedSince: number | undefined;
  #promoting = false;
  /** The child we asked to become a supernode, until it links to us as one. */
  #promoted: string | undefined;

  constructor(ctx: NodeContext, roles: Roles) {
    this.#ctx = ctx;
    this.#roles = roles;
  }

  /** This node has just become a supernode: it is not underloaded yet. */
  becameSupernode(): void {
    this.#underloadedSince = undefined;
  }

  /** Every maintenance interval. */
  maintain(): void {
    const ctx = this.#ctx;
    if (ctx.stopped) return;
    const roles = this.#roles;
    if (roles.role === 'ordinary') {
      if (!roles.parent) void roles.attach();
      else void roles.ensureStandby();
      return;
    }
    void roles.linkPeers();
    if (ctx.o.role !== 'auto') return;
    const now = ctx.runtime.clock.now();
    const { children, peers, o } = ctx;
    if (children.size > o.targetChildren) void this.#promoteOne();
    if (children.size < o.targetChildren / 4 && peers.size > 0) {
      this.#underloadedSince ??= now;
      if (now - this.#underloadedSince >= o.stepDownAfterMs) void roles.stepDown();
    } else {
      this.#underloadedSince = undefined;
    }
  }

  /** A child's uptime: what it claimed in its HELLO, plus how long we have known it. */
  #uptimeOf(link: Link): number {
    const claimed = (link.hello?.uptimeS ?? 0) * 1000;
    return claimed + this.#ctx.runtime.clock.now() - link.since;
  }

  /**
   * The tier needs another supernode: ask our most capable child (reachable, longest up,
   * fastest claimed upload) to become one, then send it half of our surplus children.
   */
  async #promoteOne(): Promise<void> {
    if (this.#promoting) return;
    const ctx = this.#ctx;
    const { o } = ctx;
    this.#promoting = true;
    try {
      const candidates = [...ctx.children.values()]
        .filter((l) => !l.firewalled && this.#uptimeOf(l) >= o.minUptimeMs)
        .sort((a, b) => (b.hello?.uploadKBps ?? 0) - (a.hello?.uploadKBps ?? 0));
      for (const child of candidates.slice(0, 3)) {
        if (!(child.hello && child.hello.uploadKBps >= o.minUploadKBps)) continue;
        // Set before asking: the child may link back before its answer arrives, or drop our
        // session (and the answer with it) as it changes role.
        this.#promoted = formatAddress(child.remote);
        const status = await child
          .request(MessageType.PROMOTE, EMPTY)
          .then((r) => decodeStatus(r.body))
          .catch(() => 0);
        if (status !== 0) {
          this.#promoted = undefined;
          continue;
        }
        // Children move once it has linked to us as a supernode (see peerLinked).
        ctx.cache.learn(child.remote, 0, 0, ctx.runtime.clock.now());
        return;
      }
    } catch (error) {
      ctx.emit('warning', error as Error);
    } finally {
      this.#promoting = false;
    }
  }

  /** A supernode link is up: if it is the child we promoted, send it some children. */
  peerLinked(address: Address): void {
    if (this.#promoted !== formatAddress(address)) return;
    this.#promoted = undefined;
    this.#rebalanceTo(address);
  }

  /** Sends half of our surplus children to a new supernode. */
  #rebalanceTo(address: Address): void {
    const { children, o } = this.#ctx;
    const surplus = Math.max(1, Math.floor((children.size - o.targetChildren / 2) / 2));
    const bye = encodeBye({
      reason: ByeReason.rebalance,
      alternatives: [{ address, load: 0, ageS: 0 }],
    });
    const movers = [...children.values()].slice(0, surplus);
    for (const l of movers) l.notify(MessageType.BYE, bye);
  }

  /** Every refresh interval, a supernode sends its children and peers a supernode list. */
  refresh(): void {
    const ctx = this.#ctx;
    if (ctx.stopped || ctx.role !== 'supernode') return;
    const body = encodeRefresh(supernodeList(ctx));
    for (const l of ctx.children.values()) l.notify(MessageType.REFRESH, body);
    for (const l of ctx.peers.values()) l.notify(MessageType.REFRESH, body);
  }
}
