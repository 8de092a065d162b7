/**
 * What goes into a gossip message and what a received one does to soft state (§2.1 of the
 * paper): rationed member and filetuple entries, half fresh and half old, within a byte budget,
 * and the seed of state a JOIN reply carries. Pure functions over SoftState.
 */
import { type Address, addressLength, type Random, utf8Length } from '@p2pkit/core';
import {
  GOSSIP_HEADER,
  type Gossip,
  MAX_LIST_ENTRIES,
  type MemberEntry,
  memberLength,
  type TupleEntry,
  tupleLength,
} from './messages.js';
import type { SoftState } from './state.js';
import type { Heard, Member, Tuple } from './state-entries.js';

/** Most entries a fresh-entry scan looks at before giving up (bounds work per message). */
const FRESH_SCAN = 256;

export interface Rations {
  groupRation: number;
  contactRation: number;
  fileRation: number;
  freshRounds: number;
  /** Budget for the whole datagram. */
  maxGossipBytes: number;
}

export function memberEntry(m: Member, now: number): MemberEntry {
  return { address: m.address, heartbeat: m.heartbeat, ageMs: Math.max(0, now - m.heardAt) };
}

export function tupleEntry(t: Tuple, now: number): TupleEntry {
  return {
    name: t.name,
    home: t.home,
    heartbeat: t.heartbeat,
    ageMs: Math.max(0, now - t.heardAt),
  };
}

/**
 * One round's message. For targets in the sender's own group (`inGroup`) it carries view
 * members, contacts and filetuples; contacts in other groups get members only, since
 * filetuples of this group are no use to them. `overhead` is the envelope's size, so that the
 * whole datagram stays within `maxGossipBytes`.
 */
export function buildGossip(
  state: SoftState,
  rations: Rations,
  heartbeat: number,
  now: number,
  random: Random,
  inGroup: boolean,
  overhead: number,
): Gossip {
  let budget = rations.maxGossipBytes - overhead - GOSSIP_HEADER;
  const stamp = state.nextStamp();
  const members: MemberEntry[] = [];
  const tuples: TupleEntry[] = [];
  const take = (list: readonly Member[], ration: number) => {
    for (const m of pickRation(list, ration, rations.freshRounds, random, stamp)) {
      const size = memberLength(addressLength(m.address));
      if (size > budget) continue;
      budget -= size;
      members.push(memberEntry(m, now));
    }
  };
  take(state.viewList.items, rations.groupRation);
  take(state.contactList.items, rations.contactRation);
  if (inGroup) {
    const picked = pickRation(
      state.tupleList.items,
      rations.fileRation,
      rations.freshRounds,
      random,
      stamp,
    );
    for (const t of picked) {
      const size = tupleLength(utf8Length(t.name), addressLength(t.home));
      if (size > budget) continue;
      budget -= size;
      tuples.push(tupleEntry(t, now));
    }
  }
  return { groups: state.limits.groups, heartbeat, members, tuples };
}

/** What a received gossip (or join reply) did, entry by entry. */
export interface Applied {
  added: number;
  news: number;
  ignored: number;
}

/**
 * Applies the entries of a gossip message or join reply. The sender's own entry is applied by
 * the caller, which knows whether the sender's claimed address is where the bytes came from.
 */
export function applyEntries(
  state: SoftState,
  members: readonly MemberEntry[],
  tuples: readonly TupleEntry[],
  now: number,
): Applied {
  const out: Applied = { added: 0, news: 0, ignored: 0 };
  const count = (h: Heard) => {
    if (h === 'new') out.added++;
    else if (h === 'news') out.news++;
    else if (h === 'ignored') out.ignored++;
  };
  for (const m of members) count(state.heard(m, now));
  for (const t of tuples) count(state.heardTuple(t, now));
  return out;
}

/**
 * A JOIN reply's seed of state for a newcomer at `joiner` (p2psim sends "a super-big ration on
 * join"): first what the newcomer most needs, members of its own group (this node's view if
 * they share a group, else its contacts there), then the rest of the view and every contact;
 * filetuples only when they share a group. At most `maxBytes` of entries.
 */
export function joinSeed(
  state: SoftState,
  joiner: Address,
  joinerGroup: number,
  now: number,
  maxBytes: number,
): { members: MemberEntry[]; tuples: TupleEntry[] } {
  let budget = maxBytes;
  const members: MemberEntry[] = [];
  const seen = new Set<Member>();
  const add = (m: Member) => {
    if (seen.has(m) || members.length >= MAX_LIST_ENTRIES) return;
    if (m.address.host === joiner.host && m.address.port === joiner.port) return;
    const size = memberLength(addressLength(m.address));
    if (size > budget) return;
    budget -= size;
    seen.add(m);
    members.push(memberEntry(m, now));
  };
  if (joinerGroup === state.group) {
    for (const m of state.viewList.items) add(m);
  } else {
    for (const m of state.contactsOf[joinerGroup] ?? []) add(m);
  }
  for (const m of state.contactList.items) add(m);
  for (const m of state.viewList.items) add(m);
  const tuples: TupleEntry[] = [];
  if (joinerGroup === state.group) {
    for (const t of state.tupleList.items) {
      if (tuples.length >= MAX_LIST_ENTRIES) break;
      const size = tupleLength(utf8Length(t.name), addressLength(t.home));
      if (size > budget) break;
      budget -= size;
      tuples.push(tupleEntry(t, now));
    }
  }
  return { members, tuples };
}

/**
 * Up to `ration` entries of `list` for one gossip message (§2.1): half the ration goes to
 * fresh entries (sent fewer than `freshRounds` times since their news), chosen at random; the
 * rest, and any fresh ration left unused, to random older ones. Each chosen entry's `sent`
 * goes up by one. `stamp` keeps an entry from being chosen twice.
 */
export function pickRation<T extends { sent: number; mark: number }>(
  list: readonly T[],
  ration: number,
  freshRounds: number,
  random: Random,
  stamp: number,
): T[] {
  const out: T[] = [];
  const n = list.length;
  if (n === 0 || ration <= 0) return out;
  const freshRation = Math.ceil(ration / 2);
  // Fresh: scan from a random start, at most FRESH_SCAN entries.
  const scan = Math.min(n, FRESH_SCAN);
  let at = random.int(n);
  for (let i = 0; i < scan && out.length < freshRation; i++) {
    const x = list[at]!;
    if (x.sent < freshRounds && x.mark !== stamp) {
      x.mark = stamp;
      out.push(x);
    }
    at = at + 1 === n ? 0 : at + 1;
  }
  // Older (or any) entries at random, for the rest of the ration.
  const want = Math.min(ration, n);
  for (let tries = 0; out.length < want && tries < 4 * ration; tries++) {
    const x = list[random.int(n)]!;
    if (x.mark === stamp) continue;
    x.mark = stamp;
    out.push(x);
  }
  for (const x of out) x.sent++;
  return out;
}

/**
 * `count` distinct members of `list`, drawn with probability ∝ 1/rtt^exponent (spatial
 * gossip, §2.1: r = 2 prefers close nodes). Members without an RTT weigh as the mean of the
 * measured ones, so newcomers are not starved.
 */
export function pickTargets(
  list: readonly Member[],
  count: number,
  exponent: number,
  random: Random,
): Member[] {
  const n = list.length;
  if (count <= 0 || n === 0) return [];
  if (count >= n) return list.slice();
  const weights = new Float64Array(n);
  let known = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const rtt = list[i]!.rttMs;
    if (!Number.isNaN(rtt)) {
      weights[i] = 1 / Math.max(1, rtt) ** exponent;
      sum += weights[i]!;
      known++;
    }
  }
  const fallback = known === 0 ? 1 : sum / known;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(list[i]!.rttMs)) weights[i] = fallback;
    total += weights[i]!;
  }
  const out: Member[] = [];
  for (let c = 0; c < count; c++) {
    let x = random.float() * total;
    let i = 0;
    for (; i < n - 1; i++) {
      x -= weights[i]!;
      if (x < 0) break;
    }
    // Rounding can land on an entry already taken (weight 0): take the nearest untaken one.
    while (weights[i] === 0) i = i === 0 ? n - 1 : i - 1;
    out.push(list[i]!);
    total -= weights[i]!;
    weights[i] = 0;
  }
  return out;
}
