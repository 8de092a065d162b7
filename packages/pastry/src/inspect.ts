/**
 * A node's state as people and tools see it (`view`, `fetchView`, `contactOf`; the CLI's
 * `pastry table` and client commands): contacts with bigint ids, and clear errors when the node
 * asked is not a Pastry node of the same id width.
 */
import {
  type Address,
  type DatagramRpc,
  type IdSpace,
  P2PError,
  type RpcResponse,
} from '@p2pkit/core';
import * as msg from './messages.js';
import type { Peer } from './peer.js';
import type { NodeState } from './state.js';
import type { NodeView, PastryContact } from './types.js';

export function contactOf(space: IdSpace, p: Peer): PastryContact {
  return { id: space.toBigint(p.id), address: p.address };
}

/** A state's view, from the node itself or from a STATE answer. */
function viewOf(space: IdSpace, node: PastryContact, state: msg.State): NodeView {
  return {
    node,
    leafSet: state.leaves.map((p) => contactOf(space, p)),
    rows: state.rows.map((r) => ({
      index: r.index,
      entries: r.entries.map((p) => (p ? contactOf(space, p) : null)),
    })),
    neighborhood: state.neighbors.map((p) => contactOf(space, p)),
  };
}

const EVERYTHING = msg.PART_LEAVES | msg.PART_NEIGHBORS | msg.PART_ROWS;

/** This node's leaf set, routing table and neighbourhood set. */
export function localView(space: IdSpace, state: NodeState): NodeView {
  const all = state.parts({ parts: EVERYTHING, firstRow: 0, lastRow: space.digits - 1 });
  return viewOf(space, contactOf(space, state.self), all);
}

/** Who listens at `address` (a PING): its contact; ERR_PROTOCOL for another id width. */
export async function remoteContact(
  space: IdSpace,
  rpc: DatagramRpc,
  address: Address,
  signal?: AbortSignal,
): Promise<PastryContact> {
  const response = await rpc.request(address, msg.MessageType.PING, msg.EMPTY, {
    signal,
    retries: 2,
  });
  return { id: remoteId(space, address, response), address: response.sender.address };
}

/** The state of the node at `address` (a STATE request for every part). */
export async function remoteView(
  limits: msg.WireLimits,
  rpc: DatagramRpc,
  address: Address,
  signal?: AbortSignal,
): Promise<NodeView> {
  const space = limits.space;
  const request = msg.encodeStateRequest({
    parts: EVERYTHING,
    firstRow: 0,
    lastRow: space.digits - 1,
  });
  const response = await rpc.request(address, msg.MessageType.STATE, request, {
    signal,
    retries: 2,
  });
  const node = { id: remoteId(space, address, response), address: response.sender.address };
  return viewOf(space, node, msg.decodeState(response.body, limits));
}

/** A remote node's id from its envelope, or ERR_PROTOCOL when its width is not ours. */
function remoteId(space: IdSpace, address: Address, response: RpcResponse): bigint {
  const bytes = response.sender.id;
  if (bytes.length !== space.bytes) {
    throw new P2PError(
      `${address.host}:${address.port} uses ${bytes.length * 8}-bit ids, not ${space.bits} (option m)`,
      'ERR_PROTOCOL',
    );
  }
  return space.toBigint(space.fromBytes(bytes, 0));
}
