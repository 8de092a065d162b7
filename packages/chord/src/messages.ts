/**
 * Chord's wire format: the bodies carried in core's RPC envelope. PROTOCOL.md documents every
 * byte; test/messages.golden.test.ts pins them.
 *
 * Decoders take the ring's m and the size limits, read with core's bounds-checked Reader, refuse
 * trailing bytes, and throw only DecodeError. Encoders share one module-level Writer (no DataView
 * or buffer allocation per message) and return a fresh copy of exactly the encoded bytes.
 */
import { type Address, DecodeError, type Id, P2PError, Reader, Writer } from '@p2pkit/core';
import { encodeAddress, MAX_HOST_LENGTH, type Peer, readAddress, readPeer } from './peer.js';
import { spaceFor } from './space.js';

/** Envelope `type` of each Chord message ('C' = 0x43 in the high byte). */
export const MessageType = {
  PING: 0x4301,
  NEIGHBORS: 0x4302,
  NOTIFY: 0x4303,
  FIND_SUCCESSOR: 0x4304,
  LOOKUP: 0x4305,
  LOOKUP_RESULT: 0x4306,
  LEAVE: 0x4307,
  SUCCESSOR_HINT: 0x4308,
  PUT: 0x4310,
  FETCH: 0x4311,
  REPLICATE: 0x4312,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Most peers in a list a peer may send us (successor lists, candidates). Longer is refused. */
export const MAX_PEER_LIST = 64;
/** Most items in one REPLICATE message. */
export const MAX_ITEMS = 255;
/** Hard ceilings on key and value sizes, whatever a node is configured with. */
export const MAX_KEY_SIZE = 1024;
export const MAX_VALUE_SIZE = 60_000;

/** What a decoder needs to know about the ring and its own limits. */
export interface WireLimits {
  /** Id width in bits (1..160). */
  m: number;
  /** Largest key accepted, bytes (≤ MAX_KEY_SIZE). */
  maxKeySize: number;
  /** Largest value accepted, bytes (≤ MAX_VALUE_SIZE). */
  maxValueSize: number;
}

const writer = new Writer(1024);

function start(): Writer {
  return writer.reset();
}

function done(): Uint8Array {
  return writer.finish().slice();
}

function peers(list: readonly Peer[]): void {
  writer.u8(list.length);
  for (const p of list) writer.bytes(p.wire);
}

function readPeers(r: Reader, b: Uint8Array, m: number, max: number): Peer[] {
  const n = r.u8();
  if (n > max) throw new DecodeError(`peer list of ${n} above limit ${max}`);
  const out: Peer[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readPeer(r, b, m);
  return out;
}

function readKeyId(r: Reader, b: Uint8Array, m: number): Id {
  const space = spaceFor(m);
  const at = r.offset;
  r.skip(space.bytes);
  return space.fromBytes(b, at);
}

// ---- PING: empty request, empty response -------------------------------------------------

/** Checks an empty body (PING, NOTIFY, NEIGHBORS request, REPLICATE response). */
export function decodeEmpty(body: Uint8Array): void {
  if (body.length !== 0) throw new DecodeError(`expected an empty body, got ${body.length} bytes`);
}

export const EMPTY = new Uint8Array(0);

// ---- NEIGHBORS: what stabilize asks its successor ----------------------------------------

export interface Neighbors {
  predecessor: Peer | undefined;
  successors: Peer[];
}

export function encodeNeighbors(n: Neighbors): Uint8Array {
  start().u8(n.predecessor ? 1 : 0);
  if (n.predecessor) writer.bytes(n.predecessor.wire);
  peers(n.successors);
  return done();
}

export function decodeNeighbors(body: Uint8Array, limits: WireLimits): Neighbors {
  const r = new Reader(body);
  const flags = r.u8();
  if (flags > 1) throw new DecodeError(`unknown NEIGHBORS flags ${flags}`);
  const predecessor = flags === 1 ? readPeer(r, body, limits.m) : undefined;
  const successors = readPeers(r, body, limits.m, MAX_PEER_LIST);
  r.expectEnd();
  return { predecessor, successors };
}

// ---- FIND_SUCCESSOR: one step of an iterative lookup -------------------------------------

export function encodeFindSuccessor(key: Id): Uint8Array {
  start().latin1(key);
  return done();
}

export function decodeFindSuccessor(body: Uint8Array, limits: WireLimits): Id {
  const r = new Reader(body);
  const key = readKeyId(r, body, limits.m);
  r.expectEnd();
  return key;
}

/**
 * The answer to one step: two peer lists.
 * - `owners`: non-empty when the responder's successor list reaches the key: the list's entries
 *   from the first one at or after the key, in ring order (the first is the owner if alive).
 * - `next`: the responder's best next hops, closest preceding the key first: where to go on
 *   when there are no owners, or when every owner candidate turns out to be dead.
 */
export interface Step {
  owners: Peer[];
  next: Peer[];
}

export function encodeStep(step: Step): Uint8Array {
  start();
  peers(step.owners);
  peers(step.next);
  return done();
}

export function decodeStep(body: Uint8Array, limits: WireLimits): Step {
  const r = new Reader(body);
  const owners = readPeers(r, body, limits.m, MAX_PEER_LIST);
  const next = readPeers(r, body, limits.m, MAX_PEER_LIST);
  if (owners.length + next.length === 0)
    throw new DecodeError('FIND_SUCCESSOR answer without peers');
  r.expectEnd();
  return { owners, next };
}

// ---- LOOKUP / LOOKUP_RESULT: recursive lookups --------------------------------------------

/**
 * A recursive lookup in flight. Layout (fixed offsets, so forwarding edits bytes in place):
 * hops u8 | phase u8 | lookupId u32 | key id | origin address.
 */
export interface Lookup {
  hops: number;
  /** 0 = being routed towards the key's predecessor; 1 = sent to the owner to answer. */
  phase: 0 | 1;
  lookupId: number;
  key: Id;
  origin: Address;
}

export const LOOKUP_HOPS_OFFSET = 0;
export const LOOKUP_PHASE_OFFSET = 1;
export const LOOKUP_KEY_OFFSET = 6;
/** Hop counts stop at 255 (a lookup that long has failed anyway). */
export const MAX_HOPS = 255;

export function encodeLookup(l: Lookup): Uint8Array {
  start().u8(l.hops).u8(l.phase).u32(l.lookupId).latin1(l.key).bytes(encodeAddress(l.origin));
  return done();
}

export function decodeLookup(body: Uint8Array, limits: WireLimits): Lookup {
  const r = new Reader(body);
  const hops = r.u8();
  const phase = r.u8();
  if (phase > 1) throw new DecodeError(`unknown LOOKUP phase ${phase}`);
  const lookupId = r.u32();
  const key = readKeyId(r, body, limits.m);
  const origin = readAddress(r, body);
  r.expectEnd();
  return { hops, phase: phase as 0 | 1, lookupId, key, origin };
}

/**
 * Validates a LOOKUP body and returns its key without decoding the origin address: what a
 * forwarding node needs. Throws DecodeError exactly when decodeLookup would.
 */
export function peekLookupKey(body: Uint8Array, limits: WireLimits): Id {
  const r = new Reader(body);
  r.skip(1);
  if (r.u8() > 1) throw new DecodeError('unknown LOOKUP phase');
  r.skip(4);
  const key = readKeyId(r, body, limits.m);
  skipAddress(r, body);
  r.expectEnd();
  return key;
}

/**
 * Validates a LOOKUP body with plain byte checks (no Reader, no strings): the forwarding hot
 * path. Throws DecodeError exactly when decodeLookup would.
 */
export function checkLookup(body: Uint8Array, m: number): void {
  const n = (m + 7) >>> 3;
  const len = body.length;
  const at = LOOKUP_KEY_OFFSET + n;
  if (len < at + 3) throw new DecodeError(`LOOKUP of ${len} bytes is truncated`);
  if (body[LOOKUP_PHASE_OFFSET]! > 1) throw new DecodeError('unknown LOOKUP phase');
  const spare = m & 7;
  if (spare !== 0 && body[LOOKUP_KEY_OFFSET]! >> spare !== 0) {
    throw new DecodeError(`id at offset ${LOOKUP_KEY_OFFSET} has bits above m = ${m}`);
  }
  const tag = body[at]!;
  if (tag === 4) {
    if (len !== at + 7) throw new DecodeError('LOOKUP origin address has the wrong length');
    return;
  }
  if (tag !== 0) throw new DecodeError(`unknown address tag ${tag}`);
  const hl = body[at + 1]!;
  if (hl === 0 || hl > MAX_HOST_LENGTH) throw new DecodeError(`host length ${hl} not in 1..253`);
  if (len !== at + 4 + hl) throw new DecodeError('LOOKUP origin address has the wrong length');
  for (let i = at + 2; i < at + 2 + hl; i++) {
    const c = body[i]!;
    if (c < 0x21 || c > 0x7e) throw new DecodeError(`non-printable host byte at offset ${i}`);
  }
}

export interface LookupResult {
  lookupId: number;
  hops: number;
  owner: Peer;
}

export function encodeLookupResult(l: LookupResult): Uint8Array {
  start().u32(l.lookupId).u8(l.hops).bytes(l.owner.wire);
  return done();
}

export function decodeLookupResult(body: Uint8Array, limits: WireLimits): LookupResult {
  const r = new Reader(body);
  const lookupId = r.u32();
  const hops = r.u8();
  const owner = readPeer(r, body, limits.m);
  r.expectEnd();
  return { lookupId, hops, owner };
}

// ---- LEAVE and SUCCESSOR_HINT: departures and the ToN predecessor-change hint -------------

export function encodeLeave(n: Neighbors): Uint8Array {
  return encodeNeighbors(n);
}

export function decodeLeave(body: Uint8Array, limits: WireLimits): Neighbors {
  return decodeNeighbors(body, limits);
}

export function encodePeer(p: Peer): Uint8Array {
  return p.wire.slice();
}

export function decodePeer(body: Uint8Array, limits: WireLimits): Peer {
  const r = new Reader(body);
  const p = readPeer(r, body, limits.m);
  r.expectEnd();
  return p;
}

// ---- PUT / FETCH / REPLICATE: the key-value store -----------------------------------------

/** A stored key: its value, or a tombstone (value undefined) left by delete. */
export interface Item {
  key: Uint8Array;
  value: Uint8Array | undefined;
  /** Per-key version assigned by the key's owner; higher wins. */
  version: number;
}

export interface Put {
  key: Uint8Array;
  /** undefined = delete. */
  value: Uint8Array | undefined;
}

export function encodePut(p: Put): Uint8Array {
  start()
    .u8(p.value === undefined ? 1 : 0)
    .varbytes(p.key);
  if (p.value !== undefined) writer.varbytes(p.value);
  return done();
}

export function decodePut(body: Uint8Array, limits: WireLimits): Put {
  const r = new Reader(body);
  const flags = r.u8();
  if (flags > 1) throw new DecodeError(`unknown PUT flags ${flags}`);
  const key = readKey(r, limits);
  const value = flags === 1 ? undefined : r.varbytes(limits.maxValueSize);
  r.expectEnd();
  return { key, value };
}

export function encodeVersion(version: number): Uint8Array {
  start().varint(version);
  return done();
}

export function decodeVersion(body: Uint8Array): number {
  const r = new Reader(body);
  const v = r.varint();
  r.expectEnd();
  return v;
}

export function encodeFetch(key: Uint8Array): Uint8Array {
  start().varbytes(key);
  return done();
}

export function decodeFetch(body: Uint8Array, limits: WireLimits): Uint8Array {
  const r = new Reader(body);
  const key = readKey(r, limits);
  r.expectEnd();
  return key;
}

/**
 * FETCH answer. `found`: value and version. `deleted`: a tombstone's version. `missing`: the
 * node has nothing; `replicas` are where else to ask (the owner's next successors).
 */
export type Fetched =
  | { status: 'found'; version: number; value: Uint8Array; replicas: Peer[] }
  | { status: 'deleted'; version: number; replicas: Peer[] }
  | { status: 'missing'; replicas: Peer[] };

const FETCH_STATUS = { missing: 0, found: 1, deleted: 2 } as const;

export function encodeFetched(f: Fetched): Uint8Array {
  start().u8(FETCH_STATUS[f.status]);
  if (f.status !== 'missing') writer.varint(f.version);
  if (f.status === 'found') writer.varbytes(f.value);
  peers(f.replicas);
  return done();
}

export function decodeFetched(body: Uint8Array, limits: WireLimits): Fetched {
  const r = new Reader(body);
  const status = r.u8();
  let result: Fetched;
  if (status === 0) {
    result = { status: 'missing', replicas: [] };
  } else if (status === 1) {
    const version = r.varint();
    const value = r.varbytes(limits.maxValueSize);
    result = { status: 'found', version, value, replicas: [] };
  } else if (status === 2) {
    result = { status: 'deleted', version: r.varint(), replicas: [] };
  } else {
    throw new DecodeError(`unknown FETCH status ${status}`);
  }
  result.replicas = readPeers(r, body, limits.m, MAX_PEER_LIST);
  r.expectEnd();
  return result;
}

/** Bytes an item takes in a REPLICATE message (to pack messages under a size budget). */
export function itemSize(item: Item): number {
  return 1 + 8 + 3 + item.key.length + (item.value ? 3 + item.value.length : 0);
}

export function encodeReplicate(items: readonly Item[]): Uint8Array {
  if (items.length > MAX_ITEMS) {
    throw new P2PError(`more than ${MAX_ITEMS} items`, 'ERR_INVALID_ARGUMENT');
  }
  start().u8(items.length);
  for (const item of items) {
    writer
      .u8(item.value === undefined ? 1 : 0)
      .varint(item.version)
      .varbytes(item.key);
    if (item.value !== undefined) writer.varbytes(item.value);
  }
  return done();
}

export function decodeReplicate(body: Uint8Array, limits: WireLimits): Item[] {
  const r = new Reader(body);
  const n = r.u8();
  const items: Item[] = [];
  for (let i = 0; i < n; i++) {
    const flags = r.u8();
    if (flags > 1) throw new DecodeError(`unknown item flags ${flags}`);
    const version = r.varint();
    const key = readKey(r, limits);
    const value = flags === 1 ? undefined : r.varbytes(limits.maxValueSize);
    items.push({ key, value, version });
  }
  r.expectEnd();
  return items;
}

function readKey(r: Reader, limits: WireLimits): Uint8Array {
  const key = r.varbytes(limits.maxKeySize);
  if (key.length === 0) throw new DecodeError('empty key');
  return key;
}

// ---- addresses inside bodies --------------------------------------------------------------

/** Validates an address at the reader's position and moves past it. */
function skipAddress(r: Reader, b: Uint8Array): void {
  const tag = r.u8();
  if (tag === 4) {
    r.skip(6);
    return;
  }
  if (tag !== 0) throw new DecodeError(`unknown address tag ${tag}`);
  const n = r.u8();
  if (n === 0 || n > MAX_HOST_LENGTH) throw new DecodeError(`host length ${n} not in 1..253`);
  const at = r.offset;
  r.skip(n + 2);
  for (let i = at; i < at + n; i++) {
    const c = b[i]!;
    if (c < 0x21 || c > 0x7e) throw new DecodeError(`non-printable host byte at offset ${i}`);
  }
}
