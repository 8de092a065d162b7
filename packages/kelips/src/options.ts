/**
 * Options of a Kelips node, their defaults, and where each default comes from: the paper
 * (Gupta et al., IPTPS 2003) where it says, MIT p2psim's Kelips where it is silent
 * (../shared/specs/kelips.md §2.5), and this package's own choice otherwise (said so below).
 */
import { P2PError, type Runtime } from '@p2pkit/core';
import { groupsFor } from './groups.js';
import { MAX_GROUPS, MAX_VALUE_SIZE } from './messages.js';

export interface KelipsOptions {
  /** Clock, randomness, sockets and logging (realRuntime() or a simulated host). */
  runtime: Runtime;
  /** Address to bind and advertise (default: the runtime's host). */
  host?: string;
  /** UDP port (default 0: any free port). */
  port?: number;
  /**
   * Affinity groups k, the same on every node. Default: the system's, learned from the
   * introducer on join; a node that starts a new system uses ⌈√expectedSize⌉ (the paper's
   * k ≈ √n).
   */
  groups?: number;
  /** Expected system size, used only for the default k and timeouts (default 1000). */
  expectedSize?: number;
  /** Contacts kept per foreign group, c (default 2: the paper's prototype and p2psim). */
  contacts?: number;
  /** Gossip round period in ms (default 2000: the paper's prototype and p2psim). */
  roundMs?: number;
  /** In-group gossip targets per round (default 3, p2psim; the paper: 6 targets, 3 contacts). */
  groupTargets?: number;
  /** Contacts gossiped to per round (default 3, p2psim). */
  contactTargets?: number;
  /** Affinity-group members per gossip message (default 4, p2psim's group ration). */
  groupRation?: number;
  /** Contacts (other groups' members) per gossip message (default 2, p2psim's contact ration). */
  contactRation?: number;
  /** Filetuples per gossip message (default 4; unspecified in the paper and p2psim). */
  fileRation?: number;
  /** Rounds an entry counts as fresh after news about it (default 1, p2psim's item_rounds). */
  freshRounds?: number;
  /** Largest gossip datagram, envelope included (default 272 B: the paper's prototype). */
  maxGossipBytes?: number;
  /** Gossip targets are drawn ∝ 1/rtt^r (default r = 2, the paper's spatial gossip). */
  rttExponent?: number;
  /**
   * View entries expire after this long without news. Default 12.5 rounds (25,000 ms with 2 s
   * rounds, p2psim's), scaled up by √n·log²n beyond expectedSize 1000, as the paper requires
   * since rations are fixed.
   */
  groupTimeoutMs?: number;
  /** Contacts expire after this long (default 25 rounds: 50,000 ms, p2psim's; scaled by √n·log³n). */
  contactTimeoutMs?: number;
  /**
   * Filetuples expire after this long without a refresh from their home (default 10 ×
   * groupTimeoutMs). A filetuple also goes as soon as its home leaves the view, so this only
   * bounds what a home no longer refreshes (a bogus tuple, a file gone). It is long because a
   * group's filetuples share 4 places per message: refreshes of F/k tuples travel slowly.
   */
  fileTimeoutMs?: number;
  /** RTT probes per round to unmeasured contacts or candidates (default 1, as p2psim). */
  pingsPerRound?: number;
  /** A peer not answering within this many ms is taken as unreachable (default 500). */
  rpcTimeoutMs?: number;
  /** Retransmissions of a request before it times out (default 0). */
  rpcRetries?: number;
  /**
   * Nodes a lookup asks in turn before it fails: the file's group's contacts, then members of
   * our own group as proxies (default 8; p2psim asks the contacts, then up to 12 others).
   */
  tries?: number;
  /** Contacts an insert tries in turn before it fails (default 4: the paper's K4). */
  insertTries?: number;
  /**
   * Forwardings a lookup may take inside the file's group when a contact does not know the
   * file yet (the paper's multi-hop retry; default 1, so a lookup costs at most 2 hops).
   */
  lookupTtl?: number;
  /** Homes a contact tries in turn when the one it picked does not answer (default 3). */
  storeAttempts?: number;
  /** Deadline of a whole lookup, insert or fetch (default 10,000 ms). */
  operationTimeoutMs?: number;
  /** Run the gossip rounds at all (default true; false freezes soft state for experiments). */
  maintenance?: boolean;
  /** Largest value in bytes (default 16,384). */
  maxValueSize?: number;
  /** Most bytes of values this node stores (default 64 MiB). */
  maxStoredBytes?: number;
  /** Most view members kept (default 4096; at n = 10^6 a group has 1000). */
  maxView?: number;
  /** Most filetuples kept (default 262,144; the paper's K1 setup has 31,546 per node). */
  maxTuples?: number;
  /** Most candidate contacts waiting for an RTT probe (default 64). */
  maxCandidates?: number;
}

export type ResolvedOptions = Required<
  Omit<KelipsOptions, 'host' | 'groups' | 'expectedSize' | 'runtime'>
> & {
  runtime: Runtime;
  host: string;
  /** Undefined until known (a joiner that was not told takes its introducer's). */
  groups: number | undefined;
  defaultGroups: number;
};

/** How much larger timeouts get for a system of n nodes than for p2psim's 1000 (≥ 1). */
function scale(n: number, logPower: number): number {
  const f = (x: number) => Math.sqrt(x) * Math.log2(x) ** logPower;
  return Math.max(1, f(n) / f(1000));
}

export function resolveOptions(o: KelipsOptions): ResolvedOptions {
  const expected = o.expectedSize ?? 1000;
  check(Number.isFinite(expected) && expected >= 1, 'expectedSize must be at least 1');
  const roundMs = o.roundMs ?? 2000;
  // p2psim's timeouts, in rounds (the paper's "normalized seconds": a round is 2 s).
  const groupTimeoutMs = o.groupTimeoutMs ?? Math.round(12.5 * roundMs * scale(expected, 2));
  const resolved: ResolvedOptions = {
    runtime: o.runtime,
    host: o.host ?? o.runtime.host,
    port: o.port ?? 0,
    groups: o.groups,
    defaultGroups: groupsFor(expected),
    contacts: o.contacts ?? 2,
    roundMs,
    groupTargets: o.groupTargets ?? 3,
    contactTargets: o.contactTargets ?? 3,
    groupRation: o.groupRation ?? 4,
    contactRation: o.contactRation ?? 2,
    fileRation: o.fileRation ?? 4,
    freshRounds: o.freshRounds ?? 1,
    maxGossipBytes: o.maxGossipBytes ?? 272,
    rttExponent: o.rttExponent ?? 2,
    groupTimeoutMs,
    contactTimeoutMs: o.contactTimeoutMs ?? Math.round(25 * roundMs * scale(expected, 3)),
    fileTimeoutMs: o.fileTimeoutMs ?? 10 * groupTimeoutMs,
    pingsPerRound: o.pingsPerRound ?? 1,
    rpcTimeoutMs: o.rpcTimeoutMs ?? 500,
    rpcRetries: o.rpcRetries ?? 0,
    tries: o.tries ?? 8,
    insertTries: o.insertTries ?? 4,
    lookupTtl: o.lookupTtl ?? 1,
    storeAttempts: o.storeAttempts ?? 3,
    operationTimeoutMs: o.operationTimeoutMs ?? 10_000,
    maintenance: o.maintenance ?? true,
    maxValueSize: o.maxValueSize ?? 16_384,
    maxStoredBytes: o.maxStoredBytes ?? 64 * 1024 * 1024,
    maxView: o.maxView ?? 4096,
    maxTuples: o.maxTuples ?? 262_144,
    maxCandidates: o.maxCandidates ?? 64,
  };
  if (o.groups !== undefined) {
    check(
      Number.isInteger(o.groups) && o.groups >= 1 && o.groups <= MAX_GROUPS,
      `groups must be an integer in 1..${MAX_GROUPS}`,
    );
  }
  for (const k of [
    'contacts',
    'groupTargets',
    'contactTargets',
    'groupRation',
    'contactRation',
    'fileRation',
    'freshRounds',
    'pingsPerRound',
    'rpcRetries',
    'lookupTtl',
  ] as const) {
    check(
      Number.isInteger(resolved[k]) && resolved[k] >= 0 && resolved[k] <= 255,
      `${k} must be an integer in 0..255`,
    );
  }
  check(resolved.contacts >= 1, 'contacts must be at least 1');
  for (const k of ['tries', 'insertTries', 'storeAttempts'] as const) {
    check(Number.isInteger(resolved[k]) && resolved[k] >= 1, `${k} must be at least 1`);
  }
  for (const k of [
    'roundMs',
    'groupTimeoutMs',
    'contactTimeoutMs',
    'fileTimeoutMs',
    'rpcTimeoutMs',
    'operationTimeoutMs',
  ] as const) {
    check(resolved[k] > 0 && Number.isFinite(resolved[k]), `${k} must be a positive number`);
  }
  check(resolved.rttExponent >= 0, 'rttExponent must be at least 0');
  check(
    resolved.maxGossipBytes >= 64 && resolved.maxGossipBytes <= 65_507,
    'maxGossipBytes must be in 64..65507',
  );
  check(
    resolved.maxValueSize >= 0 && resolved.maxValueSize <= MAX_VALUE_SIZE,
    `maxValueSize must be in 0..${MAX_VALUE_SIZE}`,
  );
  for (const k of ['maxView', 'maxTuples', 'maxCandidates'] as const) {
    check(Number.isInteger(resolved[k]) && resolved[k] >= 1, `${k} must be at least 1`);
  }
  return resolved;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new P2PError(message, 'ERR_INVALID_ARGUMENT');
}
