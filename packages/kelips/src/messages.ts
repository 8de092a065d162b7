/**
 * Kelips's wire format: the bodies carried in core's RPC envelope. PROTOCOL.md documents every
 * byte; test/messages.golden.test.ts pins them.
 *
 * Decoders read with core's bounds-checked Reader, refuse trailing bytes and anything above the
 * limits below, and throw only DecodeError. Encoders share one module-level Writer and return a
 * fresh copy of exactly the encoded bytes.
 */
import {
  type Address,
  DecodeError,
  P2PError,
  Reader,
  readAddress,
  Writer,
  writeAddress,
} from '@p2pkit/core';
import { readName, writeName } from './wire.js';

/** Envelope `type` of each Kelips message ('K' = 0x4b in the high byte). */
export const MessageType = {
  PING: 0x4b01,
  GOSSIP: 0x4b02,
  JOIN: 0x4b03,
  LOOKUP: 0x4b04,
  INSERT: 0x4b05,
  STORE: 0x4b06,
  FETCH: 0x4b07,
  LEAVE: 0x4b08,
  INFO: 0x4b09,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Most member entries, and most filetuples, one GOSSIP message may carry. More is refused. */
export const MAX_GOSSIP_ENTRIES = 64;
/** Largest GOSSIP body accepted: a peer that sends more is ignored (the paper's cap is 272 B). */
export const MAX_GOSSIP_BODY = 4096;
/** Most member entries, and most filetuples, in a JOIN reply or an INFO page. */
export const MAX_LIST_ENTRIES = 4096;
/** Hard ceiling on a stored value, whatever a node is configured with (one UDP datagram). */
export const MAX_VALUE_SIZE = 60_000;
/** Largest k: group numbers travel as u16. */
export const MAX_GROUPS = 0xffff;
/** Ages travel in tenths of a second, saturating here (6,553.5 s: older than any timeout). */
export const MAX_AGE_MS = 0xffff * 100;
/** RTT field value meaning "not measured" (INFO pages). */
export const RTT_UNKNOWN = 0xffff;

/**
 * What a node knows about another node: where it is, the last heartbeat counter it published,
 * and how long ago (ms) that heartbeat was produced.
 */
export interface MemberEntry {
  address: Address;
  heartbeat: number;
  ageMs: number;
}

/** A member entry with the sender's RTT estimate (INFO pages only). */
export interface MemberInfo extends MemberEntry {
  /** Round-trip time in ms as the answering node measured it; undefined: not measured. */
  rttMs: number | undefined;
}

/** A filetuple: file `name` is stored at `home`, refreshed by it at `heartbeat`, `ageMs` ago. */
export interface TupleEntry {
  name: string;
  home: Address;
  heartbeat: number;
  ageMs: number;
}

const writer = new Writer(1024);

function start(): Writer {
  return writer.reset();
}

function done(): Uint8Array {
  return writer.finish().slice();
}

function checkGroups(k: number): void {
  if (!(Number.isInteger(k) && k >= 0 && k <= MAX_GROUPS)) {
    throw new P2PError(`groups ${k} not in 0..${MAX_GROUPS}`, 'ERR_INVALID_ARGUMENT');
  }
}

function readGroups(r: Reader, allowZero: boolean): number {
  const k = r.u16();
  if (k === 0 && !allowZero) throw new DecodeError('groups must be at least 1');
  return k;
}

/** Age in tenths of a second, rounded down, saturating at 0xffff. */
function ageField(ageMs: number): number {
  if (!(ageMs >= 0)) return 0;
  return Math.min(0xffff, Math.floor(ageMs / 100));
}

function writeMember(w: Writer, e: MemberEntry): void {
  writeAddress(w, e.address);
  w.u32(e.heartbeat >>> 0).u16(ageField(e.ageMs));
}

function readMember(r: Reader): MemberEntry {
  const address = readAddress(r);
  const heartbeat = r.u32();
  const ageMs = r.u16() * 100;
  return { address, heartbeat, ageMs };
}

function writeTuple(w: Writer, t: TupleEntry): void {
  writeName(w, t.name);
  writeAddress(w, t.home);
  w.u32(t.heartbeat >>> 0).u16(ageField(t.ageMs));
}

function readTuple(r: Reader): TupleEntry {
  const name = readName(r);
  const home = readAddress(r);
  const heartbeat = r.u32();
  const ageMs = r.u16() * 100;
  return { name, home, heartbeat, ageMs };
}

function readCount(r: Reader, wide: boolean, max: number, what: string): number {
  const n = wide ? r.u16() : r.u8();
  if (n > max) throw new DecodeError(`${n} ${what} above limit ${max}`);
  return n;
}

function checkCount(n: number, max: number, what: string): void {
  if (n > max) throw new P2PError(`${n} ${what} above limit ${max}`, 'ERR_INVALID_ARGUMENT');
}

/** Checks an empty body. */
export function decodeEmpty(body: Uint8Array): void {
  if (body.length !== 0) throw new DecodeError(`expected an empty body, got ${body.length} bytes`);
}

export const EMPTY = new Uint8Array(0);

// ---- PING: empty request; the answer says who we are in the system -----------------------

export interface Pong {
  groups: number;
  heartbeat: number;
}

export function encodePong(p: Pong): Uint8Array {
  checkGroups(p.groups);
  start()
    .u16(p.groups)
    .u32(p.heartbeat >>> 0);
  return done();
}

export function decodePong(body: Uint8Array): Pong {
  const r = new Reader(body);
  const groups = readGroups(r, false);
  const heartbeat = r.u32();
  r.expectEnd();
  return { groups, heartbeat };
}

// ---- GOSSIP: one round's news, pushed oneway ---------------------------------------------

export interface Gossip {
  /** k of the sender's system: a receiver with another k ignores the message. */
  groups: number;
  /** The sender's own heartbeat counter (its entry, age 0; its address is the envelope's). */
  heartbeat: number;
  members: readonly MemberEntry[];
  tuples: readonly TupleEntry[];
}

export function encodeGossip(g: Gossip): Uint8Array {
  checkGroups(g.groups);
  checkCount(g.members.length, MAX_GOSSIP_ENTRIES, 'members');
  checkCount(g.tuples.length, MAX_GOSSIP_ENTRIES, 'filetuples');
  start()
    .u16(g.groups)
    .u32(g.heartbeat >>> 0)
    .u8(g.members.length);
  for (const m of g.members) writeMember(writer, m);
  writer.u8(g.tuples.length);
  for (const t of g.tuples) writeTuple(writer, t);
  return done();
}

export function decodeGossip(body: Uint8Array): Gossip {
  if (body.length > MAX_GOSSIP_BODY) {
    throw new DecodeError(`GOSSIP of ${body.length} bytes above limit ${MAX_GOSSIP_BODY}`);
  }
  const r = new Reader(body);
  const groups = readGroups(r, false);
  const heartbeat = r.u32();
  const nm = readCount(r, false, MAX_GOSSIP_ENTRIES, 'members');
  const members: MemberEntry[] = new Array(nm);
  for (let i = 0; i < nm; i++) members[i] = readMember(r);
  const nt = readCount(r, false, MAX_GOSSIP_ENTRIES, 'filetuples');
  const tuples: TupleEntry[] = new Array(nt);
  for (let i = 0; i < nt; i++) tuples[i] = readTuple(r);
  r.expectEnd();
  return { groups, heartbeat, members, tuples };
}

/** Bytes one member entry takes in a GOSSIP body (rations are enforced in bytes too). */
export function memberLength(addressBytes: number): number {
  return addressBytes + 6;
}

/** Bytes one filetuple takes in a GOSSIP body. */
export function tupleLength(nameBytes: number, addressBytes: number): number {
  return 1 + nameBytes + addressBytes + 6;
}

/** Bytes of a GOSSIP body with no entries. */
export const GOSSIP_HEADER = 8;

// ---- JOIN: a newcomer asks any member for a seed of soft state ----------------------------

export function encodeJoin(groups: number): Uint8Array {
  checkGroups(groups);
  start().u16(groups);
  return done();
}

/** The joiner's k, 0 when it does not know it yet and takes the system's. */
export function decodeJoin(body: Uint8Array): number {
  const r = new Reader(body);
  const k = readGroups(r, true);
  r.expectEnd();
  return k;
}

export interface JoinReply {
  groups: number;
  /** The answering node's heartbeat (its own entry, age 0). */
  heartbeat: number;
  members: readonly MemberEntry[];
  tuples: readonly TupleEntry[];
}

export function encodeJoinReply(j: JoinReply): Uint8Array {
  checkGroups(j.groups);
  checkCount(j.members.length, MAX_LIST_ENTRIES, 'members');
  checkCount(j.tuples.length, MAX_LIST_ENTRIES, 'filetuples');
  start()
    .u16(j.groups)
    .u32(j.heartbeat >>> 0)
    .u16(j.members.length);
  for (const m of j.members) writeMember(writer, m);
  writer.u16(j.tuples.length);
  for (const t of j.tuples) writeTuple(writer, t);
  return done();
}

export function decodeJoinReply(body: Uint8Array): JoinReply {
  const r = new Reader(body);
  const groups = readGroups(r, false);
  const heartbeat = r.u32();
  const nm = readCount(r, true, MAX_LIST_ENTRIES, 'members');
  const members: MemberEntry[] = new Array(nm);
  for (let i = 0; i < nm; i++) members[i] = readMember(r);
  const nt = readCount(r, true, MAX_LIST_ENTRIES, 'filetuples');
  const tuples: TupleEntry[] = new Array(nt);
  for (let i = 0; i < nt; i++) tuples[i] = readTuple(r);
  r.expectEnd();
  return { groups, heartbeat, members, tuples };
}

// ---- LOOKUP: which node is the home of a file? --------------------------------------------

export interface LookupRequest {
  /** Forwardings still allowed (in-group random walk, or a proxy towards the file's group). */
  ttl: number;
  name: string;
}

export function encodeLookup(q: LookupRequest): Uint8Array {
  start().u8(q.ttl);
  writeName(writer, q.name);
  return done();
}

export function decodeLookup(body: Uint8Array): LookupRequest {
  const r = new Reader(body);
  const ttl = r.u8();
  const name = readName(r);
  r.expectEnd();
  return { ttl, name };
}

export interface LookupReply {
  /** The homenode, or undefined: nobody on the way knew the file. */
  home: Address | undefined;
  /** Forwardings the answering node made before it had the answer (0: it knew). */
  hops: number;
}

export function encodeLookupReply(a: LookupReply): Uint8Array {
  start()
    .u8(a.home ? 1 : 0)
    .u8(a.hops);
  if (a.home) writeAddress(writer, a.home);
  return done();
}

export function decodeLookupReply(body: Uint8Array): LookupReply {
  const r = new Reader(body);
  const found = r.u8();
  if (found > 1) throw new DecodeError(`unknown LOOKUP status ${found}`);
  const hops = r.u8();
  const home = found === 1 ? readAddress(r) : undefined;
  r.expectEnd();
  return { home, hops };
}

// ---- INSERT: through a contact of the file's group, which picks a random home ------------

export interface InsertRequest {
  /** Forwardings still allowed (a proxy outside the file's group uses one). */
  ttl: number;
  name: string;
  value: Uint8Array;
}

function checkValue(value: Uint8Array): void {
  if (value.length > MAX_VALUE_SIZE) {
    throw new P2PError(
      `value of ${value.length} bytes above ${MAX_VALUE_SIZE}`,
      'ERR_INVALID_ARGUMENT',
    );
  }
}

function readValue(r: Reader, maxValueSize: number): Uint8Array {
  const n = r.u16();
  if (n > maxValueSize) throw new DecodeError(`value of ${n} bytes above limit ${maxValueSize}`);
  return r.bytes(n);
}

export function encodeInsert(q: InsertRequest): Uint8Array {
  checkValue(q.value);
  start().u8(q.ttl);
  writeName(writer, q.name);
  writer.u16(q.value.length).bytes(q.value);
  return done();
}

/** `value` is a view into `body`. */
export function decodeInsert(body: Uint8Array, maxValueSize = MAX_VALUE_SIZE): InsertRequest {
  const r = new Reader(body);
  const ttl = r.u8();
  const name = readName(r);
  const value = readValue(r, maxValueSize);
  r.expectEnd();
  return { ttl, name, value };
}

export interface InsertReply {
  home: Address;
  /** Forwardings the answering node made (0: it chose the home itself). */
  hops: number;
}

export function encodeInsertReply(a: InsertReply): Uint8Array {
  start().u8(a.hops);
  writeAddress(writer, a.home);
  return done();
}

export function decodeInsertReply(body: Uint8Array): InsertReply {
  const r = new Reader(body);
  const hops = r.u8();
  const home = readAddress(r);
  r.expectEnd();
  return { home, hops };
}

// ---- STORE: the contact hands the file to its homenode (empty answer) ---------------------

export interface StoreRequest {
  name: string;
  value: Uint8Array;
}

export function encodeStore(s: StoreRequest): Uint8Array {
  checkValue(s.value);
  start();
  writeName(writer, s.name);
  writer.u16(s.value.length).bytes(s.value);
  return done();
}

/** `value` is a view into `body`. */
export function decodeStore(body: Uint8Array, maxValueSize = MAX_VALUE_SIZE): StoreRequest {
  const r = new Reader(body);
  const name = readName(r);
  const value = readValue(r, maxValueSize);
  r.expectEnd();
  return { name, value };
}

// ---- FETCH: read a file from its homenode --------------------------------------------------

export function encodeFetch(name: string): Uint8Array {
  start();
  writeName(writer, name);
  return done();
}

export function decodeFetch(body: Uint8Array): string {
  const r = new Reader(body);
  const name = readName(r);
  r.expectEnd();
  return name;
}

/** The stored value, or undefined: not stored here. */
export function encodeFetchReply(value: Uint8Array | undefined): Uint8Array {
  if (value === undefined) {
    start().u8(0);
  } else {
    checkValue(value);
    start().u8(1).u16(value.length).bytes(value);
  }
  return done();
}

export function decodeFetchReply(
  body: Uint8Array,
  maxValueSize = MAX_VALUE_SIZE,
): Uint8Array | undefined {
  const r = new Reader(body);
  const found = r.u8();
  if (found > 1) throw new DecodeError(`unknown FETCH status ${found}`);
  const value = found === 1 ? readValue(r, maxValueSize) : undefined;
  r.expectEnd();
  return value;
}

// ---- LEAVE: a graceful departure, oneway ----------------------------------------------------

/** The leaver's last heartbeat: entries about it at or below this one are stale. */
export function encodeLeave(heartbeat: number): Uint8Array {
  start().u32(heartbeat >>> 0);
  return done();
}

export function decodeLeave(body: Uint8Array): number {
  const r = new Reader(body);
  const heartbeat = r.u32();
  r.expectEnd();
  return heartbeat;
}

// ---- INFO: a page of a node's soft state, for `p2pkit kelips view` ----------------------------

export const InfoSection = { MEMBERS: 0, TUPLES: 1 } as const;
export type InfoSection = (typeof InfoSection)[keyof typeof InfoSection];

export interface InfoRequest {
  section: InfoSection;
  offset: number;
}

export function encodeInfo(q: InfoRequest): Uint8Array {
  start().u8(q.section).u32(q.offset);
  return done();
}

export function decodeInfo(body: Uint8Array): InfoRequest {
  const r = new Reader(body);
  const section = r.u8();
  if (section > 1) throw new DecodeError(`unknown INFO section ${section}`);
  const offset = r.u32();
  r.expectEnd();
  return { section: section as InfoSection, offset };
}

export interface InfoPage {
  groups: number;
  /** The answering node's own heartbeat counter. */
  heartbeat: number;
  /** Entries in the whole section (members: view then contacts; tuples: all known). */
  total: number;
  offset: number;
  members: readonly MemberInfo[];
  tuples: readonly TupleEntry[];
}

export function encodeInfoPage(p: InfoPage, section: InfoSection): Uint8Array {
  checkGroups(p.groups);
  const list = section === InfoSection.MEMBERS ? p.members : p.tuples;
  checkCount(list.length, MAX_LIST_ENTRIES, 'entries');
  start()
    .u16(p.groups)
    .u32(p.heartbeat >>> 0)
    .u8(section)
    .u32(p.total)
    .u32(p.offset)
    .u16(list.length);
  if (section === InfoSection.MEMBERS) {
    for (const m of p.members) {
      writeMember(writer, m);
      const rtt =
        m.rttMs === undefined ? RTT_UNKNOWN : Math.min(RTT_UNKNOWN - 1, Math.round(m.rttMs));
      writer.u16(rtt);
    }
  } else {
    for (const t of p.tuples) writeTuple(writer, t);
  }
  return done();
}

export function decodeInfoPage(body: Uint8Array): InfoPage & { section: InfoSection } {
  const r = new Reader(body);
  const groups = readGroups(r, false);
  const heartbeat = r.u32();
  const section = r.u8();
  if (section > 1) throw new DecodeError(`unknown INFO section ${section}`);
  const total = r.u32();
  const offset = r.u32();
  const n = readCount(r, true, MAX_LIST_ENTRIES, 'entries');
  const members: MemberInfo[] = [];
  const tuples: TupleEntry[] = [];
  for (let i = 0; i < n; i++) {
    if (section === InfoSection.MEMBERS) {
      const m = readMember(r);
      const rtt = r.u16();
      members.push({ ...m, rttMs: rtt === RTT_UNKNOWN ? undefined : rtt });
    } else {
      tuples.push(readTuple(r));
    }
  }
  r.expectEnd();
  return { groups, heartbeat, section: section as InfoSection, total, offset, members, tuples };
}
