/**
 * The entries of a Kelips node's soft state (state.ts): members and filetuples with their
 * heartbeats and gossip bookkeeping, the limits and counters of the state, and the list that
 * keeps them pickable at random.
 */
import type { Address } from '@p2pkit/core';

/** Another node, as this node knows it. */
export class Member {
  readonly address: Address;
  /** `host:port`. */
  readonly key: string;
  readonly group: number;
  heartbeat: number;
  /** Local time at which the origin produced `heartbeat`. */
  heardAt: number;
  /** Smoothed round-trip time in ms; NaN until measured. */
  rttMs = Number.NaN;
  /** Times sent in gossip since the last news about it. */
  sent = 0;
  /** Position in its list (swap-remove bookkeeping). */
  index = -1;
  /** Stamp of the gossip message being built that already holds it. */
  mark = 0;
  /** When its entry timed out and it was probed (0: not suspected). */
  suspectedAt = 0;

  constructor(address: Address, key: string, group: number, heartbeat: number, heardAt: number) {
    this.address = address;
    this.key = key;
    this.group = group;
    this.heartbeat = heartbeat;
    this.heardAt = heardAt;
  }
}

/** A filetuple: `name` is stored at `home`. */
export class Tuple {
  readonly name: string;
  home: Address;
  homeKey: string;
  heartbeat: number;
  heardAt: number;
  sent = 0;
  index = -1;
  mark = 0;

  constructor(name: string, home: Address, homeKey: string, heartbeat: number, heardAt: number) {
    this.name = name;
    this.home = home;
    this.homeKey = homeKey;
    this.heartbeat = heartbeat;
    this.heardAt = heardAt;
  }
}

export interface StateLimits {
  /** Affinity groups, k. */
  groups: number;
  /** Contacts kept per foreign group, c. */
  contacts: number;
  groupTimeoutMs: number;
  contactTimeoutMs: number;
  fileTimeoutMs: number;
  /** Most view members (a flood of invented members stops here). */
  maxView: number;
  /** Most filetuples. */
  maxTuples: number;
  /** Most candidate contacts waiting for an RTT probe. */
  maxCandidates: number;
  /** How long a member whose heartbeat timed out is kept while its probe is out. */
  suspicionMs: number;
}

/** What became of an entry handed to the state. */
export type Heard = 'new' | 'news' | 'known' | 'ignored';

/** Counters of entries refused, by reason (cheap, for stats and tests). */
export interface StateCounters {
  stale: number;
  full: number;
  bogus: number;
  replaced: number;
  expired: number;
}

/** An ordered list with O(1) add, swap-remove and random pick. */
export class List<T extends { index: number }> {
  readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  add(x: T): void {
    x.index = this.items.length;
    this.items.push(x);
  }

  remove(x: T): void {
    const items = this.items;
    const i = x.index;
    if (i < 0 || items[i] !== x) return;
    const last = items.pop()!;
    if (last !== x) {
      items[i] = last;
      last.index = i;
    }
    x.index = -1;
  }
}
