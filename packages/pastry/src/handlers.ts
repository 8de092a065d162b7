/**
 * What a node answers to each message type (PROTOCOL.md): the ROUTE hot path goes straight to
 * the router; every other type is decoded and checked here, then handed to the module it is
 * for (router, joiner, maintenance, storage). A message that does not decode counts as bad and
 * is dropped (its sender gets an error reply if it asked for an answer).
 */
import { type DatagramRpc, P2PError, type RpcRequest, sameAddress } from '@p2pkit/core';
import type { Context } from './context.js';
import { type Joiner, sendJoinState } from './join.js';
import type { Maintenance } from './maintenance.js';
import * as msg from './messages.js';
import { Peer } from './peer.js';
import type { Router } from './router.js';
import type { Storage } from './storage.js';

/** The modules a node's messages go to. */
export interface HandlerTargets {
  router: Router;
  joiner: Joiner;
  maintenance: Maintenance;
  storage: Storage;
}

/** Registers one handler for every type but the hot ROUTE, which goes to the router itself. */
export function registerHandlers(rpc: DatagramRpc, ctx: Context, to: HandlerTargets): void {
  const handler = (req: RpcRequest): Uint8Array => {
    try {
      return handle(ctx, to, req);
    } catch (error) {
      ctx.badMessage(error);
      throw error;
    }
  };
  for (const type of Object.values(msg.MessageType)) rpc.handle(type, handler);
  const router = to.router;
  rpc.handle(msg.MessageType.ROUTE, router.handleRoute.bind(router));
}

function handle(ctx: Context, to: HandlerTargets, req: RpcRequest): Uint8Array {
  const T = msg.MessageType;
  const body = req.body;
  const limits = ctx.limits;
  switch (req.type) {
    case T.PING:
      msg.decodeEmpty(body);
      return msg.EMPTY;
    case T.ROUTE_RESULT: {
      const r = msg.decodeRouteResult(body, limits);
      // Only the responder itself may answer: the datagram comes from its address, and its id
      // is the one that address gives (verifyIds).
      const o = r.responder;
      if (to.router.has(r.routeId) && sameAddress(req.from, o.address) && ctx.accept(o)) {
        to.router.resolve(r);
      } else {
        ctx.stats.rejectedPeers++;
      }
      return msg.EMPTY;
    }
    case T.JOIN_STATE: {
      const j = msg.decodeJoinState(body, limits);
      const sender = ctx.sender(req);
      if (sender) to.joiner.handleState(sender, j);
      return msg.EMPTY;
    }
    case T.STATE:
      return msg.encodeState(ctx.state.parts(msg.decodeStateRequest(body, limits)), ctx.space);
    case T.ANNOUNCE: {
      const leaves = msg.decodePeers(body, limits);
      const reply = msg.encodePeers(ctx.state.leaf.members(), ctx.space);
      const sender = ctx.sender(req);
      if (sender) to.maintenance.announced(sender, leaves);
      return reply;
    }
    case T.LEAVE: {
      const leaves = msg.decodePeers(body, limits);
      const sender = ctx.sender(req);
      if (sender) {
        ctx.peerFailed(sender);
        void to.maintenance.offerLeaves(leaves.filter((p) => p.key !== sender.key));
      }
      return msg.EMPTY;
    }
    case T.REPLICATE:
      return to.storage.handleReplicate(body);
    default:
      throw new P2PError(`unknown message type ${req.type}`, 'ERR_UNKNOWN_TYPE');
  }
}

/** A JOIN passes through this node: send the joiner our state (unless its id is a lie). */
export function joinPassing(ctx: Context, route: msg.Route, final: boolean): void {
  const joiner = new Peer(route.key, route.origin);
  if (!ctx.accept(joiner)) return;
  sendJoinState(ctx, joiner, route, final);
}
