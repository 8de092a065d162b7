/**
 * The answers to a session's incoming requests: HELLO (a child, standby, client or supernode
 * peer, whose claim is checked by probing its upload), QUERY and FORWARD (answered from the
 * router), BYE (our parent left: attach elsewhere), PROMOTE, REFRESH and PING, with PUSH going
 * to the transfers and the reputation messages to the reputation service.
 */
import { type Address, formatAddress, P2PError, type RpcRequest } from '@p2pkit/core';
import { count, type Link, type LinkCounters } from './link.js';
import {
  decodeBye,
  decodeHello,
  decodeQuery,
  decodeRefresh,
  EMPTY,
  encodeHelloReply,
  encodeResults,
  encodeStatus,
  type Hello,
  type HelloReply,
  HelloStatus,
  MessageType,
  Role,
} from './messages.js';
import { type NodeContext, supernodeList } from './node-context.js';
import type { SearchAnswer } from './options.js';
import { measureUpload } from './probe.js';
import type { Roles } from './roles.js';
import type { Transfers } from './transfers.js';
import type { Upkeep } from './upkeep.js';
import { hashToHex } from './uuhash.js';

/** The parts of the node that some requests are handed to. */
export interface HandlerParts {
  readonly roles: Roles;
  readonly transfers: Transfers;
  readonly upkeep: Upkeep;
  /** Messages and bytes by type, for the node's stats. */
  readonly counters: LinkCounters;
}

export class RequestHandlers {
  readonly #ctx: NodeContext;
  readonly #parts: HandlerParts;

  constructor(ctx: NodeContext, parts: HandlerParts) {
    this.#ctx = ctx;
    this.#parts = parts;
  }

  /** Answers the requests that arrive on `link`, counting them and the answers. */
  serve(link: Link): void {
    const ctx = this.#ctx;
    const { counters, transfers } = this.#parts;
    const { rpc } = link;
    const on = (type: number, handler: (r: RpcRequest) => Uint8Array | Promise<Uint8Array>) =>
      rpc.handle(type, async (request) => {
        count(counters.received, type);
        const answer = await handler(request);
        if (!request.oneway) {
          const c = counters;
          const name =
            type === MessageType.QUERY || type === MessageType.FORWARD ? 'results' : 'reply';
          c.sent[name] = (c.sent[name] ?? 0) + 1;
          c.sentBytes += answer.length;
        }
        return answer;
      });
    on(MessageType.HELLO, (r) => this.#onHello(link, r));
    on(MessageType.SHARE, (r) => ctx.router.onShare(link, r.body, ctx.stats));
    on(MessageType.UNSHARE, (r) => ctx.router.onUnshare(link, r.body));
    on(MessageType.QUERY, (r) => this.#onQuery(link, r));
    on(MessageType.FORWARD, (r) => this.#onForward(link, r));
    on(MessageType.REFRESH, (r) => {
      ctx.cache.merge(decodeRefresh(r.body), ctx.runtime.clock.now(), ctx.advertise);
      return EMPTY;
    });
    on(MessageType.BYE, (r) => this.#onBye(link, r));
    on(MessageType.PROMOTE, () => this.#onPromote(link));
    on(MessageType.PING, () => EMPTY);
    on(MessageType.PUSH, (r) => transfers.onPush(link, r));
    on(MessageType.REPORT, (r) => ctx.reputation.onReport(link, r.body));
    on(MessageType.CREDIT, (r) => ctx.reputation.onCredit(link, r.body));
    on(MessageType.LEVEL, (r) => ctx.reputation.onLevel(r.body));
  }

  #reply(status: HelloStatus, remote: Address): Uint8Array {
    const ctx = this.#ctx;
    const reply: HelloReply = {
      status,
      supernode: ctx.role === 'supernode',
      needSupernodes: ctx.children.size > ctx.o.targetChildren,
      observed: remote,
      children: ctx.children.size,
      targetChildren: ctx.o.targetChildren,
      supernodes: supernodeList(ctx),
    };
    return encodeHelloReply(reply);
  }

  async #onHello(link: Link, request: RpcRequest): Promise<Uint8Array> {
    const ctx = this.#ctx;
    const { children, peers, o } = ctx;
    const hello = decodeHello(request.body);
    link.remoteId = request.sender.id.slice();
    link.remote = request.sender.address;
    link.hello = hello;
    const remote = link.remote;
    if (hello.role === Role.client) {
      link.kind = 'client';
      return this.#reply(HelloStatus.ok, remote);
    }
    if (ctx.role !== 'supernode') return this.#reply(HelloStatus.notSupernode, remote);
    if (hello.role === Role.peer) {
      if (peers.size >= o.maxPeers) return this.#reply(HelloStatus.full, remote);
      if (!(hello.supernode && (await this.#capable(hello, remote)))) {
        ctx.stats.claimsRefused++;
        ctx.emit(
          'warning',
          new P2PError(`${formatAddress(remote)}: supernode claim refused`, 'ERR_NOT_CAPABLE'),
        );
        return this.#reply(HelloStatus.notCapable, remote);
      }
      link.kind = 'peer';
      peers.set(formatAddress(remote), link);
      ctx.cache.learn(remote, 0, 0, ctx.runtime.clock.now());
      this.#parts.upkeep.peerLinked(remote);
      return this.#reply(HelloStatus.ok, remote);
    }
    // A child, or a standby (a child that uploads only when it fails over to us).
    const key = hashToHex(link.remoteId);
    if (!children.has(key) && children.size >= o.maxChildren) {
      return this.#reply(HelloStatus.full, remote);
    }
    link.firewalled = hello.firewalled;
    if (hello.role === Role.standby) {
      link.kind = 'standby';
      return this.#reply(HelloStatus.ok, remote);
    }
    const old = children.get(key);
    if (old && old !== link) {
      ctx.router.index.removeOwner(old);
      void old.close();
    }
    link.kind = 'child';
    children.set(key, link);
    ctx.emit('child', remote);
    return this.#reply(HelloStatus.ok, remote);
  }

  /**
   * Whether a node claiming to be a supernode is one: it must say it is reachable and has been
   * up long enough, and its port must serve our upload probe at the minimum rate (which also
   * proves it reachable: a firewalled claimant fails here whatever it says).
   */
  async #capable(hello: Hello, remote: Address): Promise<boolean> {
    const { o, runtime } = this.#ctx;
    if (hello.firewalled || hello.uptimeS * 1000 < o.minUptimeMs) return false;
    const kbps = await measureUpload(runtime, remote, o.requestTimeoutMs);
    return kbps >= o.minUploadKBps;
  }

  async #onQuery(link: Link, request: RpcRequest): Promise<Uint8Array> {
    const ctx = this.#ctx;
    if (ctx.role !== 'supernode') throw new P2PError('not a supernode', 'ERR_NOT_SUPERNODE');
    if (link.kind !== 'child' && link.kind !== 'client' && link.kind !== 'standby') {
      throw new P2PError('QUERY before HELLO', 'ERR_PROTOCOL');
    }
    ctx.stats.queriesAnswered++;
    const spec = decodeQuery(request.body);
    const answer = await ctx.router.resolve(spec, undefined, ctx.o.queryTimeoutMs);
    return encodeAnswer(answer);
  }

  async #onForward(link: Link, request: RpcRequest): Promise<Uint8Array> {
    const ctx = this.#ctx;
    if (ctx.role !== 'supernode' || link.kind !== 'peer') {
      throw new P2PError('FORWARD to a node that is not our supernode peer', 'ERR_PROTOCOL');
    }
    const answer = await ctx.router.onForward(link, request.body);
    return encodeAnswer(answer);
  }

  #onBye(link: Link, request: RpcRequest): Uint8Array {
    const ctx = this.#ctx;
    const bye = decodeBye(request.body);
    const now = ctx.runtime.clock.now();
    ctx.cache.merge(bye.alternatives, now, ctx.advertise);
    if (link === ctx.parent) {
      this.#parts.roles.parentLeft(
        link,
        now,
        bye.alternatives.map((e) => e.address),
      );
    } else {
      void link.close();
    }
    return EMPTY;
  }

  async #onPromote(link: Link): Promise<Uint8Array> {
    const ctx = this.#ctx;
    const { roles } = this.#parts;
    const ok =
      link === ctx.parent &&
      ctx.o.role === 'auto' &&
      ctx.role === 'ordinary' &&
      roles.selfCapable();
    if (!ok) return encodeStatus(1);
    // Answer first, then change role (the answer travels on the session we are about to drop).
    ctx.runtime.clock.setTimeout(() => void roles.becomeSupernode(), 0);
    return encodeStatus(0);
  }
}

function encodeAnswer(a: SearchAnswer): Uint8Array {
  return encodeResults({ results: a.results, supernodes: a.supernodes, truncated: a.truncated });
}
