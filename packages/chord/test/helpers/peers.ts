import { createRandom, type Random } from '@p2pkit/core';
import { Peer } from '../../src/peer.js';
import { RoutingTable } from '../../src/routing.js';
import { spaceFor } from '../../src/space.js';

/** A peer at 10.x.y.z:port with its real id (nodeId of its address). */
export function peerAt(host: string, port: number, m: number): Peer {
  return new Peer(spaceFor(m).nodeId(host, port), { host, port });
}

/** n distinct peers with real ids, from a seeded random stream. */
export function randomPeers(n: number, m: number, random: Random = createRandom(1)): Peer[] {
  const out: Peer[] = [];
  const seen = new Set<string>();
  while (out.length < n) {
    const host = `10.${random.int(256)}.${random.int(256)}.${1 + random.int(254)}`;
    const p = peerAt(host, 4000, m);
    if (seen.has(p.id)) continue;
    seen.add(p.id);
    out.push(p);
  }
  return out;
}

export function tablesFor(peers: Peer[], m: number, r: number): Map<string, RoutingTable> {
  return new Map(peers.map((p) => [p.key, new RoutingTable(p, m, r)]));
}
