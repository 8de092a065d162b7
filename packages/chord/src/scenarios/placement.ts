/**
 * Load balance by placement only (SIGCOMM §6.2 / ToN §V-B, Figs. 8 and 9): N real nodes, each
 * with v virtual node ids, K keys; count the keys each real node is responsible for. No
 * messages: the ring's owner rule decides, exactly as the running protocol would.
 */
import { createRandom, keyId, nodeId } from '@p2pkit/core';
import { type Summary, summarize } from './stats.js';

export interface PlacementOptions {
  nodes: number;
  keys: number;
  /** Virtual nodes per real node (default 1). */
  virtualNodes?: number;
  /** Id width (default 160). */
  m?: number;
  seed?: number | string;
}

export interface PlacementResult {
  nodes: number;
  keys: number;
  virtualNodes: number;
  /** Keys per real node. */
  keysPerNode: Summary;
  /** Raw counts per real node (for plots). */
  counts: Uint32Array;
}

/**
 * Real node i listens at a random 10.x.y.z address; its virtual node j at port 4000 + j (each
 * virtual node is a full Chord node with its own port, so its id is nodeId(host, port) like any
 * other). Key k is the string `key-<seed>-<k>`.
 */
export function placement(options: PlacementOptions): PlacementResult {
  const m = options.m ?? 160;
  const v = options.virtualNodes ?? 1;
  const random = createRandom(options.seed ?? 1);
  const n = options.nodes;
  const shift = BigInt(Math.max(0, m - 53));
  // Ids reduced to their top 53 bits as doubles: exact enough to sort 10^5 ids (ties at 53 bits
  // have probability ~10^-6 and only move one key boundary).
  const ids = new Float64Array(n * v);
  const owner = new Uint32Array(n * v);
  const hosts = new Set<string>();
  for (let i = 0; i < n; i++) {
    let host: string;
    do host = `10.${random.int(256)}.${random.int(256)}.${1 + random.int(254)}`;
    while (hosts.has(host));
    hosts.add(host);
    for (let j = 0; j < v; j++) {
      ids[i * v + j] = Number(nodeId(host, 4000 + j, m) >> shift);
      owner[i * v + j] = i;
    }
  }
  const order = Array.from(ids.keys()).sort((a, b) => ids[a]! - ids[b]!);
  const sortedIds = Float64Array.from(order, (k) => ids[k]!);
  const sortedOwner = Uint32Array.from(order, (k) => owner[k]!);
  const counts = new Uint32Array(n);
  const tag = String(options.seed ?? 1);
  for (let k = 0; k < options.keys; k++) {
    const key = Number(keyId(`key-${tag}-${k}`, m) >> shift);
    // successor: first id >= key, wrapping
    let lo = 0;
    let hi = sortedIds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sortedIds[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    const slot = lo === sortedIds.length ? 0 : lo;
    counts[sortedOwner[slot]!]!++;
  }
  return { nodes: n, keys: options.keys, virtualNodes: v, keysPerNode: summarize(counts), counts };
}
