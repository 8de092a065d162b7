/**
 * What a node shows of its soft state: a local snapshot, its size as the paper counts it, the
 * INFO pages it serves, and the client side that reads another node's pages (`p2pkit kelips
 * view`) or pings it.
 */
import { type Address, type Clock, type DatagramRpc, P2PError, sameAddress } from '@p2pkit/core';
import { memberEntry, tupleEntry } from './gossip.js';
import { FILETUPLE_BYTES, groupOfAddress, MEMBER_ENTRY_BYTES } from './groups.js';
import * as msg from './messages.js';
import type { SoftState } from './state.js';
import type { Member } from './state-entries.js';

/** Entries per INFO page. */
const INFO_PAGE = 256;

export interface PingAnswer {
  /** k of the node's system. */
  groups: number;
  heartbeat: number;
  rttMs: number;
}

/** One known node, as view() shows it. */
export interface KnownNode {
  address: Address;
  group: number;
  heartbeat: number;
  /** Time since its origin produced that heartbeat. */
  ageMs: number;
  /** Smoothed RTT, undefined until measured. */
  rttMs: number | undefined;
}

/** A snapshot of a node's soft state. */
export interface KelipsView {
  address: Address;
  groups: number;
  group: number;
  heartbeat: number;
  view: KnownNode[];
  contacts: KnownNode[];
  tuples: { name: string; home: Address; ageMs: number }[];
  stored: number;
}

/** Soft state size as the paper counts it (40 B per member entry, 60 B per filetuple). */
export interface MemoryUse {
  view: number;
  contacts: number;
  tuples: number;
  entries: number;
  bytes: number;
}

/** A snapshot of `state`. */
export function localView(
  state: SoftState,
  heartbeat: number,
  stored: number,
  now: number,
): KelipsView {
  const known = (m: Member): KnownNode => ({
    address: m.address,
    group: m.group,
    heartbeat: m.heartbeat,
    ageMs: now - m.heardAt,
    rttMs: Number.isNaN(m.rttMs) ? undefined : m.rttMs,
  });
  return {
    address: state.self,
    groups: state.limits.groups,
    group: state.group,
    heartbeat,
    view: state.viewList.items.map(known),
    contacts: state.contactList.items.map(known),
    tuples: state.tupleList.items.map((t) => ({
      name: t.name,
      home: t.home,
      ageMs: now - t.heardAt,
    })),
    stored,
  };
}

/** Soft state size, counted as the paper does (40 B per member entry, 60 B per filetuple). */
export function memoryOf(s: SoftState): MemoryUse {
  const members = s.view.size + s.contactIndex.size;
  return {
    view: s.view.size,
    contacts: s.contactIndex.size,
    tuples: s.tuples.size,
    entries: members + s.tuples.size,
    bytes: members * MEMBER_ENTRY_BYTES + s.tuples.size * FILETUPLE_BYTES,
  };
}

/** The INFO page answering `q` (members: the view, then the contacts). */
export function infoPage(
  state: SoftState,
  q: msg.InfoRequest,
  groups: number,
  heartbeat: number,
  now: number,
): Uint8Array {
  const base = { groups, heartbeat, offset: q.offset };
  if (q.section === msg.InfoSection.MEMBERS) {
    const all = [...state.viewList.items, ...state.contactList.items];
    const members = all.slice(q.offset, q.offset + INFO_PAGE).map((m) => ({
      ...memberEntry(m, now),
      rttMs: Number.isNaN(m.rttMs) ? undefined : m.rttMs,
    }));
    return msg.encodeInfoPage({ ...base, total: all.length, members, tuples: [] }, q.section);
  }
  const list = state.tupleList.items;
  const tuples = list.slice(q.offset, q.offset + INFO_PAGE).map((t) => tupleEntry(t, now));
  return msg.encodeInfoPage({ ...base, total: list.length, members: [], tuples }, q.section);
}

/** PINGs `address`: its k, its heartbeat and the round trip. */
export async function pingNode(
  rpc: DatagramRpc,
  clock: Clock,
  address: Address,
  options: { signal?: AbortSignal; timeoutMs?: number },
): Promise<PingAnswer> {
  const started = clock.now();
  const response = await rpc.request(address, msg.MessageType.PING, msg.EMPTY, {
    signal: options.signal,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const pong = msg.decodePong(response.body);
  return { groups: pong.groups, heartbeat: pong.heartbeat, rttMs: clock.now() - started };
}

/** Reads the soft state of the node at `address`, INFO page by INFO page. */
export async function inspectNode(
  rpc: DatagramRpc,
  address: Address,
  signal: AbortSignal | undefined,
  checkDeadline: () => void,
): Promise<KelipsView> {
  const fetch = async (section: msg.InfoSection, offset: number) => {
    checkDeadline();
    const response = await rpc.request(
      address,
      msg.MessageType.INFO,
      msg.encodeInfo({ section, offset }),
      { signal },
    );
    const page = msg.decodeInfoPage(response.body);
    if (page.section !== section || page.offset !== offset) {
      throw new P2PError('INFO page does not answer the request', 'ERR_PROTOCOL');
    }
    return page;
  };
  const first = await fetch(msg.InfoSection.MEMBERS, 0);
  const members: msg.MemberInfo[] = [...first.members];
  while (members.length < first.total) {
    const page = await fetch(msg.InfoSection.MEMBERS, members.length);
    if (page.members.length === 0) break;
    members.push(...page.members);
  }
  const tuples: msg.TupleEntry[] = [];
  for (;;) {
    const page = await fetch(msg.InfoSection.TUPLES, tuples.length);
    tuples.push(...page.tuples);
    if (page.tuples.length === 0 || tuples.length >= page.total) break;
  }
  const k = first.groups;
  const group = groupOfAddress(address, k);
  const all = members.map(
    (m): KnownNode => ({
      address: m.address,
      group: groupOfAddress(m.address, k),
      heartbeat: m.heartbeat,
      ageMs: m.ageMs,
      rttMs: m.rttMs,
    }),
  );
  return {
    address,
    groups: k,
    group,
    heartbeat: first.heartbeat,
    view: all.filter((m) => m.group === group),
    contacts: all.filter((m) => m.group !== group),
    tuples: tuples.map((t) => ({ name: t.name, home: t.home, ageMs: t.ageMs })),
    stored: tuples.filter((t) => sameAddress(t.home, address)).length,
  };
}
