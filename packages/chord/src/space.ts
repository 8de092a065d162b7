/**
 * Chord's ids are core's (`IdSpace`, binary-string ids): one space per id width, shared by every
 * node of that width, so 10^5 simulated nodes of one ring share one space and its scratch.
 */
import { type Address, type Id, type IdSpace, idSpace, ipv4ToUint32 } from '@p2pkit/core';

const spaces = new Map<number, IdSpace>();

export function spaceFor(m: number): IdSpace {
  let space = spaces.get(m);
  if (space === undefined) spaces.set(m, (space = idSpace(m)));
  return space;
}

/** Addresses whose node id the process remembers, per id width, before it starts over. */
const NODE_IDS = 1 << 18;
const nodeIds = new Map<IdSpace, Map<number | string, Id>>();

/**
 * nodeId(address) in `space`, remembered by the address. The id is a pure function of the
 * address (SHA-1, no secret, no runtime), so one memo per width serves every node of a process:
 * a node checking a peer's claimed id (ToN §IV-A) hashes each address once, not once per node
 * that meets it (10^5 simulated nodes each met the same owners and hashed them again), and no
 * node carries a cache of its own. An IPv4 address is remembered under the number
 * ipv4 · 2^16 + port: building and hashing a `host:port` string per check cost ~3x more.
 */
export function nodeIdOf(space: IdSpace, address: Address): Id {
  let memo = nodeIds.get(space);
  if (memo === undefined) nodeIds.set(space, (memo = new Map()));
  const { host, port } = address;
  const v4 = ipv4ToUint32(host);
  const key = v4 >= 0 ? v4 * 65536 + port : `${host}:${port}`;
  let id = memo.get(key);
  if (id === undefined) {
    id = space.nodeId(host, port);
    if (memo.size >= NODE_IDS) memo.clear();
    memo.set(key, id);
  }
  return id;
}
