/**
 * Options of a Pastry node, their defaults, and where each default comes from.
 */
import { P2PError, type Runtime } from '@p2pkit/core';
import { MAX_KEY_SIZE, MAX_PEER_LIST, MAX_VALUE_SIZE } from './messages.js';

/** How a joining node builds its routing table (the paper's Fig. 7 variants). */
export type JoinVariant = 'sl' | 'wt' | 'wtf';

export interface PastryOptions {
  /** Clock, randomness, sockets and logging (realRuntime() or a simulated host). */
  runtime: Runtime;
  /** Address to bind and advertise (default: the runtime's host). */
  host?: string;
  /** UDP port (default 0: any free port). */
  port?: number;
  /** Id width in bits, 8..160 (default 128, the paper's; SHA-1 truncated). */
  m?: number;
  /** Bits per digit b, 1..6 (default 4: hexadecimal digits, the paper's main setting). */
  b?: number;
  /** Leaf set size |L|, even, 2..64 (default 16 = 2^b, the paper's main experiments). */
  leafSet?: number;
  /** Neighbourhood set size |M|, 0..64 (default 32 = 2·2^b, the paper's main experiments). */
  neighborhood?: number;
  /** Copies of each stored value: the k numerically closest nodes (default 5, the paper's k). */
  replicas?: number;
  /**
   * Proximity neighbour selection: fill each routing-table slot with the closest qualifying
   * node by measured round-trip time (default true). False keeps the first node found: the
   * paper's negative control for route locality.
   */
  proximity?: boolean;
  /** How a joining node builds its routing table (default 'wtf', the paper's best). */
  join?: JoinVariant;
  /** Repair a dead routing-table entry from the other entries of its row (default true). */
  repair?: boolean;
  /** Periodic leaf-set and neighbourhood probes (default true; false freezes the overlay). */
  maintenance?: boolean;
  /**
   * Mean period of the leaf-set keep-alive (ms). The paper gives no period; 30,000 is this
   * package's choice (each period is drawn from [0.5, 1.5] × the mean).
   */
  probeMs?: number;
  /** Mean period of the neighbourhood-set probe (default 4 × probeMs; our choice too). */
  neighborhoodProbeMs?: number;
  /**
   * Mean period of the routing-table maintenance (ms): each row's copy is asked from a random
   * entry of that row, and closer nodes it names replace ours (see PastryNode.exchangeRows).
   * Default 20 × probeMs (10 min), our choice.
   */
  tableProbeMs?: number;
  /** A peer that does not answer within this many ms is taken for dead (default 500). */
  rpcTimeoutMs?: number;
  /**
   * Each forwarding waits for the next hop's acknowledgement and reroutes around a hop that
   * does not answer (default true). False forwards without acknowledgements: fewer messages,
   * for failure-free simulations; a lost hop then costs the whole lookup its timeout.
   */
  hopAcks?: boolean;
  /** Default deadline of a whole lookup, put or get (default 10,000 ms). */
  lookupTimeoutMs?: number;
  /** Check a peer's claimed id against nodeId(its address) (default true). */
  verifyIds?: boolean;
  /** Largest key in bytes (default 1024). */
  maxKeySize?: number;
  /** Largest value in bytes (default 16,384: one value per UDP datagram). */
  maxValueSize?: number;
  /** Most bytes of keys and values one node stores (default 64 MiB). */
  maxStoredBytes?: number;
  /** Most routed messages this node waits for at once (default 1024). */
  maxPendingLookups?: number;
}

export type ResolvedOptions = Required<Omit<PastryOptions, 'host'>> & { host: string };

export function resolveOptions(o: PastryOptions): ResolvedOptions {
  const b = o.b ?? 4;
  const probeMs = o.probeMs ?? 30_000;
  const resolved: ResolvedOptions = {
    runtime: o.runtime,
    host: o.host ?? o.runtime.host,
    port: o.port ?? 0,
    m: o.m ?? 128,
    b,
    leafSet: o.leafSet ?? 16,
    neighborhood: o.neighborhood ?? 32,
    replicas: o.replicas ?? 5,
    proximity: o.proximity ?? true,
    join: o.join ?? 'wtf',
    repair: o.repair ?? true,
    maintenance: o.maintenance ?? true,
    probeMs,
    neighborhoodProbeMs: o.neighborhoodProbeMs ?? 4 * probeMs,
    tableProbeMs: o.tableProbeMs ?? 20 * probeMs,
    rpcTimeoutMs: o.rpcTimeoutMs ?? 500,
    hopAcks: o.hopAcks ?? true,
    lookupTimeoutMs: o.lookupTimeoutMs ?? 10_000,
    verifyIds: o.verifyIds ?? true,
    maxKeySize: o.maxKeySize ?? 1024,
    maxValueSize: o.maxValueSize ?? 16_384,
    maxStoredBytes: o.maxStoredBytes ?? 64 * 1024 * 1024,
    maxPendingLookups: o.maxPendingLookups ?? 1024,
  };
  const r = resolved;
  check(Number.isInteger(r.m) && r.m >= 8 && r.m <= 160, 'm must be an integer in 8..160');
  check(Number.isInteger(b) && b >= 1 && b <= 6, 'b must be an integer in 1..6');
  check(
    Number.isInteger(r.leafSet) &&
      r.leafSet >= 2 &&
      r.leafSet <= MAX_PEER_LIST &&
      r.leafSet % 2 === 0,
    `leafSet must be an even integer in 2..${MAX_PEER_LIST}`,
  );
  check(
    Number.isInteger(r.neighborhood) && r.neighborhood >= 0 && r.neighborhood <= MAX_PEER_LIST,
    `neighborhood must be an integer in 0..${MAX_PEER_LIST}`,
  );
  check(
    Number.isInteger(r.replicas) && r.replicas >= 1 && r.replicas <= r.leafSet / 2 + 1,
    'replicas must be an integer in 1..leafSet/2 + 1',
  );
  check(['sl', 'wt', 'wtf'].includes(r.join), "join must be 'sl', 'wt' or 'wtf'");
  for (const k of [
    'probeMs',
    'neighborhoodProbeMs',
    'tableProbeMs',
    'rpcTimeoutMs',
    'lookupTimeoutMs',
  ] as const) {
    check(r[k] > 0 && Number.isFinite(r[k]), `${k} must be a positive number`);
  }
  check(
    r.maxKeySize >= 1 && r.maxKeySize <= MAX_KEY_SIZE,
    `maxKeySize must be in 1..${MAX_KEY_SIZE}`,
  );
  check(
    r.maxValueSize >= 0 && r.maxValueSize <= MAX_VALUE_SIZE,
    `maxValueSize must be in 0..${MAX_VALUE_SIZE}`,
  );
  check(r.maxPendingLookups >= 1, 'maxPendingLookups must be at least 1');
  return resolved;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new P2PError(message, 'ERR_INVALID_ARGUMENT');
}
