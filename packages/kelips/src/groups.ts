/**
 * Affinity groups (Gupta et al. 2003, §2): k groups numbered 0..k−1; a node belongs to
 * SHA-1("host:port") mod k, a file to SHA-1(name) mod k. Both sides compute a node's group from
 * its address, so a peer cannot claim to be in a group it is not in.
 */
import { type Address, idSpace, P2PError } from '@p2pkit/core';

/** SHA-1 ids, 160 bits: core's one id type. */
const space = idSpace(160);

/** The affinity group of the node at `address`, in a system of `k` groups. */
export function groupOfAddress(address: Address, k: number): number {
  return space.modK(space.nodeId(address.host, address.port), k);
}

/** The affinity group a file name belongs to (its homenode lives there). */
export function groupOfName(name: string, k: number): number {
  return space.modK(space.keyId(name), k);
}

/** k ≈ √n, the paper's choice for n nodes (⌈√n⌉: n = 100,000 gives 317). */
export function groupsFor(n: number): number {
  if (!(Number.isFinite(n) && n >= 1)) {
    throw new P2PError(`n must be at least 1, got ${n}`, 'ERR_INVALID_ARGUMENT');
  }
  return Math.max(1, Math.ceil(Math.sqrt(n)));
}

export interface MemoryModelOptions {
  /** Nodes. */
  n: number;
  /** Affinity groups. */
  k: number;
  /** Contacts per foreign group (default 2). */
  contacts?: number;
  /** Files in the whole system (default 0). */
  files?: number;
  /** Bytes per membership entry (default 40, the paper's prototype). */
  memberBytes?: number;
  /** Bytes per filetuple (default 60, the paper's prototype). */
  tupleBytes?: number;
}

/** Bytes of a membership entry (view or contact) in the paper's prototype (§2.1). */
export const MEMBER_ENTRY_BYTES = 40;
/** Bytes of a filetuple in the paper's prototype (§2.1). */
export const FILETUPLE_BYTES = 60;

export interface MemoryModel {
  /** Affinity group view: n/k. */
  view: number;
  /** Contacts: c·(k−1). */
  contacts: number;
  /** Filetuples: F/k. */
  tuples: number;
  /** S(k, n) = n/k + c·(k−1) + F/k. */
  entries: number;
  bytes: number;
}

/**
 * The paper's soft-state size per node, S(k, n) = n/k + c·(k−1) + F/k entries (§2.1), and its
 * bytes at the prototype's entry sizes. n = 100,000, k = 317, c = 2, F = 10^7: 1.93 MB.
 */
export function memoryModel(o: MemoryModelOptions): MemoryModel {
  const c = o.contacts ?? 2;
  const files = o.files ?? 0;
  const view = o.n / o.k;
  const contacts = c * (o.k - 1);
  const tuples = files / o.k;
  return {
    view,
    contacts,
    tuples,
    entries: view + contacts + tuples,
    bytes:
      (view + contacts) * (o.memberBytes ?? MEMBER_ENTRY_BYTES) +
      tuples * (o.tupleBytes ?? FILETUPLE_BYTES),
  };
}

/** The k that minimizes S(k, n): √((n + F) / c) (the paper uses √n instead). */
export function memoryOptimalGroups(n: number, files: number, contacts = 2): number {
  return Math.sqrt((n + files) / contacts);
}
