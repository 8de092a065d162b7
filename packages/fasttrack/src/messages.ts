/**
 * The message bodies carried in core's RPC envelope over an overlay session. PROTOCOL.md
 * documents every byte; test/messages.golden.test.ts pins them.
 *
 * Decoders read with core's bounds-checked Reader, refuse trailing bytes and anything above
 * the limits below, and throw only DecodeError. Encoders return exactly the encoded bytes.
 */
import { type Address, DecodeError, Reader, Writer } from '@p2pkit/core';
import {
  type FileEntry,
  readAddress,
  readCount,
  readFileEntry,
  readHash,
  readNodeId,
  readResult,
  readSupernodeEntry,
  readText,
  type SearchResult,
  type SupernodeEntry,
  writeAddress,
  writeFileEntry,
  writeHash,
  writeNodeId,
  writeResult,
  writeSupernodeEntry,
  writeText,
} from './wire.js';

/** The four bytes each side sends first on an overlay session: "FTK" and version 1. */
export const SESSION_MAGIC = new Uint8Array([0x46, 0x54, 0x4b, 0x01]);

/** Envelope `type` of each message ('F' = 0x46 in the high byte). */
export const MessageType = {
  HELLO: 0x4601,
  SHARE: 0x4602,
  UNSHARE: 0x4603,
  QUERY: 0x4604,
  FORWARD: 0x4605,
  REFRESH: 0x4606,
  PUSH: 0x4607,
  REPORT: 0x4608,
  CREDIT: 0x4609,
  LEVEL: 0x460a,
  BYE: 0x460b,
  PROMOTE: 0x460c,
  PING: 0x460d,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Most entries in a refresh list (FastTrack's lists held up to 200 supernodes). */
export const MAX_SUPERNODE_LIST = 200;
/** Most files in one SHARE or UNSHARE. */
export const MAX_SHARE_BATCH = 1000;
/** Most results in one answer. */
export const MAX_RESULTS = 1000;
/** Largest message body accepted on a session (a full SHARE batch of long names fits). */
export const MAX_BODY = 1024 * 1024;

/** What a session is for, as the dialing side asks for it. */
export const Role = {
  /** An ordinary node attaching to its parent supernode (it will upload its shares). */
  child: 0,
  /** A supernode linking to another supernode. */
  peer: 1,
  /** A short session: search, push, report or level queries, no shares. */
  client: 2,
  /** An ordinary node's standby supernode: kept open, shares uploaded only on failover. */
  standby: 3,
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export interface Hello {
  role: Role;
  /** The sender says it cannot accept connections. */
  firewalled: boolean;
  /** The sender says it is a supernode (required with role peer, and checked). */
  supernode: boolean;
  /**
   * Participation level the sender claims (0..1000), as Kazaa clients sent it. Receivers do
   * not believe it unless configured to (reputation 'claimed').
   */
  claimedLevel: number;
  /** Seconds the sender has been running (claimed). */
  uptimeS: number;
  /** Upload capacity the sender measured for itself, KB/s (claimed). */
  uploadKBps: number;
  /** Files it is about to share. */
  shares: number;
}

export function encodeHello(h: Hello): Uint8Array {
  const w = new Writer(24);
  w.u8(h.role);
  w.u8((h.firewalled ? 1 : 0) | (h.supernode ? 2 : 0));
  w.u16(Math.min(1000, h.claimedLevel));
  w.u32(Math.min(0xffff_ffff, Math.floor(h.uptimeS)));
  w.u32(Math.min(0xffff_ffff, Math.floor(h.uploadKBps)));
  w.varint(h.shares);
  return w.finish();
}

export function decodeHello(body: Uint8Array): Hello {
  const r = new Reader(body);
  const role = r.u8();
  if (role > 3) throw new DecodeError(`unknown role ${role}`);
  const flags = r.u8();
  const claimedLevel = r.u16();
  if (claimedLevel > 1000) throw new DecodeError(`level ${claimedLevel} above 1000`);
  const hello: Hello = {
    role: role as Role,
    firewalled: (flags & 1) !== 0,
    supernode: (flags & 2) !== 0,
    claimedLevel,
    uptimeS: r.u32(),
    uploadKBps: r.u32(),
    shares: r.varint(),
  };
  r.expectEnd();
  return hello;
}

/** HELLO answers. */
export const HelloStatus = {
  ok: 0,
  /** The supernode has all the children (or peers) it takes. */
  full: 1,
  /** The receiver is an ordinary node: it takes no children. */
  notSupernode: 2,
  /** The sender claimed to be a supernode and failed the capacity checks. */
  notCapable: 3,
} as const;
export type HelloStatus = (typeof HelloStatus)[keyof typeof HelloStatus];

export interface HelloReply {
  status: HelloStatus;
  /** The responder is a supernode. */
  supernode: boolean;
  /** The responder thinks the tier needs more supernodes. */
  needSupernodes: boolean;
  /** The requester's address as the responder sees it (host) with its advertised port. */
  observed: Address;
  children: number;
  targetChildren: number;
  /** Supernodes the responder knows: the requester's bootstrap cache, or where to try next. */
  supernodes: SupernodeEntry[];
}

const HELLO_STATUS_MAX = 3;

export function encodeHelloReply(h: HelloReply): Uint8Array {
  const w = new Writer(32 + 9 * h.supernodes.length);
  w.u8(h.status);
  w.u8((h.supernode ? 1 : 0) | (h.needSupernodes ? 2 : 0));
  writeAddress(w, h.observed);
  w.u16(Math.min(0xffff, h.children));
  w.u16(Math.min(0xffff, h.targetChildren));
  writeSupernodeList(w, h.supernodes);
  return w.finish();
}

export function decodeHelloReply(body: Uint8Array): HelloReply {
  const r = new Reader(body);
  const status = r.u8();
  if (status > HELLO_STATUS_MAX) throw new DecodeError(`unknown HELLO status ${status}`);
  const flags = r.u8();
  const reply: HelloReply = {
    status: status as HelloStatus,
    supernode: (flags & 1) !== 0,
    needSupernodes: (flags & 2) !== 0,
    observed: readAddress(r),
    children: r.u16(),
    targetChildren: r.u16(),
    supernodes: readSupernodeList(r),
  };
  r.expectEnd();
  return reply;
}

function writeSupernodeList(w: Writer, list: readonly SupernodeEntry[]): void {
  const n = Math.min(list.length, MAX_SUPERNODE_LIST);
  w.varint(n);
  for (let i = 0; i < n; i++) writeSupernodeEntry(w, list[i]!);
}

function readSupernodeList(r: Reader): SupernodeEntry[] {
  const n = readCount(r, MAX_SUPERNODE_LIST, 'supernodes');
  const out: SupernodeEntry[] = [];
  for (let i = 0; i < n; i++) out.push(readSupernodeEntry(r));
  return out;
}

/** REFRESH: a supernode's list of supernodes (also BYE's alternatives). */
export function encodeRefresh(list: readonly SupernodeEntry[]): Uint8Array {
  const w = new Writer(2 + 9 * list.length);
  writeSupernodeList(w, list);
  return w.finish();
}

export function decodeRefresh(body: Uint8Array): SupernodeEntry[] {
  const r = new Reader(body);
  const list = readSupernodeList(r);
  r.expectEnd();
  return list;
}

export function encodeShare(files: readonly FileEntry[]): Uint8Array {
  if (files.length > MAX_SHARE_BATCH) throw new RangeError(`${files.length} files in one SHARE`);
  const w = new Writer(16 + 64 * files.length);
  w.varint(files.length);
  for (const f of files) writeFileEntry(w, f);
  return w.finish();
}

export function decodeShare(body: Uint8Array): FileEntry[] {
  const r = new Reader(body);
  const n = readCount(r, MAX_SHARE_BATCH, 'files');
  const out: FileEntry[] = [];
  for (let i = 0; i < n; i++) out.push(readFileEntry(r));
  r.expectEnd();
  return out;
}

export interface ShareReply {
  /** Entries of this batch now in the index. */
  accepted: number;
  /** The child's entries in the index after this batch. */
  total: number;
  /** The per-child limit was reached: later entries were dropped. */
  limited: boolean;
}

export function encodeShareReply(s: ShareReply): Uint8Array {
  return new Writer(12)
    .varint(s.accepted)
    .varint(s.total)
    .u8(s.limited ? 1 : 0)
    .finish();
}

export function decodeShareReply(body: Uint8Array): ShareReply {
  const r = new Reader(body);
  const reply = { accepted: r.varint(), total: r.varint(), limited: (r.u8() & 1) !== 0 };
  r.expectEnd();
  return reply;
}

export function encodeUnshare(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length > MAX_SHARE_BATCH) throw new RangeError(`${hashes.length} in one UNSHARE`);
  const w = new Writer(2 + 20 * hashes.length);
  w.varint(hashes.length);
  for (const h of hashes) writeHash(w, h);
  return w.finish();
}

export function decodeUnshare(body: Uint8Array): Uint8Array[] {
  const r = new Reader(body);
  const n = readCount(r, MAX_SHARE_BATCH, 'hashes');
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(readHash(r));
  r.expectEnd();
  return out;
}

/** What is searched for: keywords, and optionally one exact UUHash. */
export interface QuerySpec {
  words: string;
  uuhash?: Uint8Array;
  maxResults: number;
}

function writeQuerySpec(w: Writer, q: QuerySpec): void {
  w.u16(Math.min(MAX_RESULTS, q.maxResults));
  w.u8(q.uuhash ? 1 : 0);
  if (q.uuhash) writeHash(w, q.uuhash);
  writeText(w, q.words);
}

function readQuerySpec(r: Reader): QuerySpec {
  const maxResults = r.u16();
  if (maxResults > MAX_RESULTS) throw new DecodeError(`maxResults ${maxResults}`);
  const flags = r.u8();
  const uuhash = flags & 1 ? readHash(r) : undefined;
  const words = readText(r);
  return uuhash ? { words, uuhash, maxResults } : { words, maxResults };
}

export function encodeQuery(q: QuerySpec): Uint8Array {
  const w = new Writer(32 + q.words.length * 3);
  writeQuerySpec(w, q);
  return w.finish();
}

export function decodeQuery(body: Uint8Array): QuerySpec {
  const r = new Reader(body);
  const q = readQuerySpec(r);
  r.expectEnd();
  return q;
}

/** A query passed from supernode to supernode. */
export interface Forward extends QuerySpec {
  /** 16 random bytes chosen by the first supernode: duplicates are recognised by it. */
  queryId: Uint8Array;
  /** Supernode hops left, counting this one (1 = answer, do not forward). */
  ttl: number;
  /** Milliseconds the receiver may take to answer, forwarding included. */
  budgetMs: number;
}

export function encodeForward(f: Forward): Uint8Array {
  const w = new Writer(56 + f.words.length * 3);
  writeNodeId(w, f.queryId);
  w.u8(f.ttl);
  w.u16(Math.max(0, Math.min(0xffff, Math.round(f.budgetMs))));
  writeQuerySpec(w, f);
  return w.finish();
}

export function decodeForward(body: Uint8Array): Forward {
  const r = new Reader(body);
  const queryId = readNodeId(r);
  const ttl = r.u8();
  const budgetMs = r.u16();
  const q = readQuerySpec(r);
  r.expectEnd();
  return { ...q, queryId, ttl, budgetMs };
}

/** An answer to QUERY or FORWARD: the results of the whole subtree, merged. */
export interface ResultList {
  results: SearchResult[];
  /** Supernodes that looked in their index for this answer (the responder included). */
  supernodes: number;
  /** More results were found than sent. */
  truncated: boolean;
}

export function encodeResults(list: ResultList): Uint8Array {
  const n = Math.min(list.results.length, MAX_RESULTS);
  const w = new Writer(8 + 110 * n);
  w.u8(list.truncated || n < list.results.length ? 1 : 0);
  w.varint(list.supernodes);
  w.varint(n);
  for (let i = 0; i < n; i++) writeResult(w, list.results[i]!);
  return w.finish();
}

export function decodeResults(body: Uint8Array): ResultList {
  const r = new Reader(body);
  const truncated = (r.u8() & 1) !== 0;
  const supernodes = r.varint();
  const n = readCount(r, MAX_RESULTS, 'results');
  const results: SearchResult[] = [];
  for (let i = 0; i < n; i++) results.push(readResult(r));
  r.expectEnd();
  return { results, supernodes, truncated };
}

/** PUSH: ask a firewalled holder (through its supernode) to connect to the requester. */
export interface Push {
  pushId: number;
  holderId: Uint8Array;
  uuhash: Uint8Array;
  /** Where the holder should connect and send `GIVE <pushId>`. */
  requester: Address;
}

export function encodePush(p: Push): Uint8Array {
  const w = new Writer(48);
  w.u32(p.pushId);
  writeNodeId(w, p.holderId);
  writeHash(w, p.uuhash);
  writeAddress(w, p.requester);
  return w.finish();
}

export function decodePush(body: Uint8Array): Push {
  const r = new Reader(body);
  const p = {
    pushId: r.u32(),
    holderId: readNodeId(r),
    uuhash: readHash(r),
    requester: readAddress(r),
  };
  r.expectEnd();
  return p;
}

/** One-byte status answers (PUSH, PROMOTE, LEVEL's known flag). */
export function encodeStatus(status: number): Uint8Array {
  return new Uint8Array([status]);
}

export function decodeStatus(body: Uint8Array): number {
  const r = new Reader(body);
  const status = r.u8();
  r.expectEnd();
  return status;
}

/** Which way bytes went, from the point of view of the node a REPORT or CREDIT is about. */
export const Direction = { uploaded: 0, downloaded: 1 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

/**
 * REPORT (child to its supernode): "I uploaded `bytes` to `peer`" or "I downloaded (and
 * verified) `bytes` from `peer`". The supernode credits the peer, never the reporter.
 */
export interface Report {
  direction: Direction;
  peer: Uint8Array;
  /** The peer's supernode, where its level is kept. */
  peerSupernode: Address;
  bytes: number;
}

export function encodeReport(p: Report): Uint8Array {
  const w = new Writer(32);
  w.u8(p.direction);
  writeNodeId(w, p.peer);
  writeAddress(w, p.peerSupernode);
  w.varint(p.bytes);
  return w.finish();
}

export function decodeReport(body: Uint8Array): Report {
  const r = new Reader(body);
  const direction = r.u8();
  if (direction > 1) throw new DecodeError(`unknown direction ${direction}`);
  const report = {
    direction: direction as Direction,
    peer: readNodeId(r),
    peerSupernode: readAddress(r),
    bytes: r.varint(),
  };
  r.expectEnd();
  return report;
}

/** CREDIT (supernode to supernode): `node` uploaded or downloaded `bytes`, others say. */
export interface Credit {
  node: Uint8Array;
  direction: Direction;
  bytes: number;
}

export function encodeCredit(c: Credit): Uint8Array {
  const w = new Writer(28);
  writeNodeId(w, c.node);
  w.u8(c.direction);
  w.varint(c.bytes);
  return w.finish();
}

export function decodeCredit(body: Uint8Array): Credit {
  const r = new Reader(body);
  const node = readNodeId(r);
  const direction = r.u8();
  if (direction > 1) throw new DecodeError(`unknown direction ${direction}`);
  const credit = { node, direction: direction as Direction, bytes: r.varint() };
  r.expectEnd();
  return credit;
}

/** LEVEL: what is the participation level of `node` (kept by the supernode at `supernode`)? */
export interface LevelQuery {
  node: Uint8Array;
  supernode: Address;
}

export function encodeLevelQuery(q: LevelQuery): Uint8Array {
  const w = new Writer(24);
  writeNodeId(w, q.node);
  writeAddress(w, q.supernode);
  return w.finish();
}

export function decodeLevelQuery(body: Uint8Array): LevelQuery {
  const r = new Reader(body);
  const q = { node: readNodeId(r), supernode: readAddress(r) };
  r.expectEnd();
  return q;
}

export interface LevelReply {
  /** 0..1000. */
  level: number;
  /** The answering supernode has observed this node (otherwise `level` is the default). */
  known: boolean;
}

export function encodeLevelReply(l: LevelReply): Uint8Array {
  return new Writer(3)
    .u16(Math.max(0, Math.min(1000, l.level)))
    .u8(l.known ? 1 : 0)
    .finish();
}

export function decodeLevelReply(body: Uint8Array): LevelReply {
  const r = new Reader(body);
  const level = r.u16();
  if (level > 1000) throw new DecodeError(`level ${level} above 1000`);
  const reply = { level, known: (r.u8() & 1) !== 0 };
  r.expectEnd();
  return reply;
}

/** Why a BYE was sent. */
export const ByeReason = {
  /** The sender is leaving the network. */
  leaving: 0,
  /** The sender stops being a supernode (it stays as an ordinary node). */
  steppingDown: 1,
  /** The sender has too many children: attach to one of the alternatives. */
  rebalance: 2,
} as const;
export type ByeReason = (typeof ByeReason)[keyof typeof ByeReason];

export interface Bye {
  reason: ByeReason;
  /** Where to go instead (least loaded first). */
  alternatives: SupernodeEntry[];
}

export function encodeBye(b: Bye): Uint8Array {
  const w = new Writer(4 + 9 * b.alternatives.length);
  w.u8(b.reason);
  writeSupernodeList(w, b.alternatives);
  return w.finish();
}

export function decodeBye(body: Uint8Array): Bye {
  const r = new Reader(body);
  const reason = r.u8();
  if (reason > 2) throw new DecodeError(`unknown BYE reason ${reason}`);
  const bye = { reason: reason as ByeReason, alternatives: readSupernodeList(r) };
  r.expectEnd();
  return bye;
}

/** PING (keep-alive) and PROMOTE requests carry nothing. */
export const EMPTY = new Uint8Array(0);

export function decodeEmpty(body: Uint8Array): void {
  if (body.length !== 0) throw new DecodeError(`${body.length} unexpected bytes`);
}
