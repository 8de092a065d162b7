/**
 * A node's answers to the messages peers send it (PROTOCOL.md): one handler for every Chord
 * type, except the hot LOOKUP, which goes to the recursive engine with nothing in between.
 */
import { type Id, P2PError, sameAddress } from '@p2pkit/core';
import type { NodeContext } from './context.js';
import { localStep } from './lookup.js';
import * as msg from './messages.js';
import type { Peer } from './peer.js';
import type { ChordRpc, RpcRequest } from './rpc.js';

/** Registers the node's handlers on its endpoint. */
export function registerHandlers(ctx: NodeContext, rpc: ChordRpc): void {
  const handler = (req: RpcRequest): Uint8Array => {
    try {
      return handle(ctx, req);
    } catch (error) {
      ctx.badMessage(error);
      throw error;
    }
  };
  for (const type of Object.values(msg.MessageType)) rpc.handle(type, handler);
  const recursive = ctx.recursive;
  rpc.handle(msg.MessageType.LOOKUP, recursive.handleLookup.bind(recursive));
}

function handle(ctx: NodeContext, req: RpcRequest): Uint8Array {
  const T = msg.MessageType;
  const body = req.body;
  switch (req.type) {
    case T.LOOKUP_RESULT: {
      const r = msg.decodeLookupResult(body, ctx.limits);
      // Only the owner itself may answer: that answer doubles as proof it is alive.
      const o = r.owner;
      if (
        ctx.recursive.has(r.lookupId) &&
        sameAddress(req.sender.address, o.address) &&
        sameId(req.sender.id, o.id) &&
        (!ctx.options.verifyIds || sameAddress(req.from, o.address)) &&
        ctx.accept(o)
      ) {
        ctx.recursive.resolve(r.lookupId, r.hops, o);
      }
      return msg.EMPTY;
    }
    case T.PING:
      msg.decodeEmpty(body);
      return msg.EMPTY;
    case T.NEIGHBORS: {
      msg.decodeEmpty(body);
      const t = ctx.table;
      return msg.encodeNeighbors({ predecessor: t.predecessor, successors: t.successors });
    }
    case T.FIND_SUCCESSOR:
      return msg.encodeStep(localStep(ctx.table, msg.decodeFindSuccessor(body, ctx.limits)));
    case T.NOTIFY: {
      msg.decodeEmpty(body);
      const sender = ctx.sender(req);
      if (sender) onNotify(ctx, sender);
      return msg.EMPTY;
    }
    case T.LEAVE: {
      const n = msg.decodeLeave(body, ctx.limits);
      const sender = ctx.sender(req);
      if (sender) onLeave(ctx, sender, n);
      return msg.EMPTY;
    }
    case T.SUCCESSOR_HINT: {
      const x = msg.decodePeer(body, ctx.limits);
      const sender = ctx.sender(req);
      const t = ctx.table;
      const succ = t.successors[0];
      if (
        sender &&
        succ &&
        sender.key === succ.key &&
        ctx.options.space.inOpen(x.id, t.self.id, succ.id) &&
        ctx.accept(x)
      ) {
        ctx.setSuccessors([x, ...t.successors]);
      }
      return msg.EMPTY;
    }
    case T.PUT:
      return ctx.kv.handlePut(body);
    case T.FETCH:
      return ctx.kv.handleFetch(body);
    case T.REPLICATE:
      return ctx.kv.handleReplicate(body);
    default:
      throw new P2PError(`unknown message type ${req.type}`, 'ERR_UNKNOWN_TYPE');
  }
}

/** notify (ToN Fig. 6): adopt the sender as predecessor if it is closer than ours. */
function onNotify(ctx: NodeContext, n: Peer): void {
  const t = ctx.table;
  const old = t.predecessor;
  if (old !== undefined && old.key === n.key) return;
  if (old === undefined || ctx.options.space.inOpen(n.id, old.id, t.self.id)) {
    ctx.setPredecessor(n);
    if (old !== undefined && ctx.options.predecessorHint) {
      ctx.notify(old, msg.MessageType.SUCCESSOR_HINT, msg.encodePeer(n));
    }
  }
  if (t.successors.length === 0) ctx.setSuccessors([n]);
}

/** A neighbour leaves gracefully (ToN §IV-E.4): splice it out with the neighbours it names. */
function onLeave(ctx: NodeContext, sender: Peer, n: msg.Neighbors): void {
  const t = ctx.table;
  if (t.successors[0]?.key === sender.key) {
    const rest = t.successors.slice(1);
    const merged = [...rest, ...n.successors.filter((p) => p.key !== sender.key && ctx.accept(p))];
    t.remove(sender.key);
    ctx.setSuccessors(merged);
  }
  if (t.predecessor?.key === sender.key) {
    const p = n.predecessor;
    t.predecessor = undefined;
    ctx.lastPredecessor = sender;
    if (p !== undefined && p.key !== t.self.key && ctx.accept(p)) ctx.setPredecessor(p);
    else ctx.predecessorGone();
  }
  t.remove(sender.key);
}

/** Whether id bytes from an envelope equal an internal id. */
function sameId(bytes: Uint8Array, id: Id): boolean {
  if (bytes.length !== id.length) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== id.charCodeAt(i)) return false;
  return true;
}
