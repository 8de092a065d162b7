/**
 * Pastry's wire format: the bodies carried in core's RPC envelope. PROTOCOL.md documents every
 * byte; test/messages.golden.test.ts pins them.
 *
 * Decoders take the id space and the size limits, read with core's bounds-checked Reader, refuse
 * trailing bytes, and throw only DecodeError. Encoders share one module-level Writer and return
 * a fresh copy of exactly the encoded bytes.
 */
import { DecodeError, type Id, type IdSpace, P2PError, Reader, Writer } from '@p2pkit/core';
import { ADDRESS_IPV4, encodeAddress, type Peer, readAddress, readId, readPeer } from './peer.js';

/** Envelope `type` of each Pastry message ('P' = 0x50 in the high byte). */
export const MessageType = {
  PING: 0x5001,
  ROUTE: 0x5002,
  ROUTE_RESULT: 0x5003,
  JOIN_STATE: 0x5004,
  STATE: 0x5005,
  ANNOUNCE: 0x5006,
  LEAVE: 0x5007,
  REPLICATE: 0x5008,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** What a routed message is for (ROUTE's purpose byte). */
export const Purpose = {
  LOOKUP: 0,
  JOIN: 1,
  PUT: 2,
  GET: 3,
} as const;
export type Purpose = (typeof Purpose)[keyof typeof Purpose];

/** Outcome of a routed message (ROUTE_RESULT's status byte). */
export const Status = {
  OK: 0,
  NOT_FOUND: 1,
  REFUSED: 2,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/** Most peers in a list a peer may send us (leaf sets, neighbourhood sets). */
export const MAX_PEER_LIST = 64;
/** Most items in one REPLICATE message. */
export const MAX_ITEMS = 255;
/** Hard ceilings on key and value sizes, whatever a node is configured with. */
export const MAX_KEY_SIZE = 1024;
export const MAX_VALUE_SIZE = 60_000;
/** A routed message forwarded this many times is dropped (a loop, or a broken overlay). */
export const MAX_HOPS = 64;

/** What a decoder needs to know: the id space and the node's own size limits. */
export interface WireLimits {
  readonly space: IdSpace;
  /** Largest key accepted, bytes (≤ MAX_KEY_SIZE). */
  readonly maxKeySize: number;
  /** Largest value accepted, bytes (≤ MAX_VALUE_SIZE). */
  readonly maxValueSize: number;
}

const writer = new Writer(2048);

function start(): Writer {
  return writer.reset();
}

function done(): Uint8Array {
  return writer.finish().slice();
}

function writePeers(list: readonly Peer[], space: IdSpace): void {
  writer.u8(list.length);
  for (const p of list) writer.bytes(p.wire(space));
}

function readPeers(r: Reader, b: Uint8Array, space: IdSpace): Peer[] {
  const n = r.u8();
  if (n > MAX_PEER_LIST) throw new DecodeError(`peer list of ${n} above limit ${MAX_PEER_LIST}`);
  const out: Peer[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readPeer(r, b, space);
  return out;
}

export const EMPTY = new Uint8Array(0);

/** Checks an empty body (PING, REPLICATE response). */
export function decodeEmpty(body: Uint8Array): void {
  if (body.length !== 0) throw new DecodeError(`expected an empty body, got ${body.length} bytes`);
}

// ---- ROUTE: a message on its way to the node numerically closest to its key --------------

/** Offsets of ROUTE's fixed fields (each hop edits the hop count in place). */
export const ROUTE_HOPS_OFFSET = 0;
export const ROUTE_PURPOSE_OFFSET = 1;
export const ROUTE_ID_OFFSET = 2;
export const ROUTE_KEY_OFFSET = 6;

export interface Route {
  /** Forwardings so far (the transfer that brought it here included). */
  hops: number;
  purpose: Purpose;
  /** The origin's correlation number for the answer. */
  routeId: number;
  key: Id;
  /** Where the answer goes (for a join: the joining node). */
  origin: { host: string; port: number };
  /** PUT and GET: the application key (bytes). */
  appKey?: Uint8Array;
  /** PUT: the value. */
  value?: Uint8Array;
}

export function encodeRoute(route: Route, space: IdSpace): Uint8Array {
  if (route.key.length !== space.bytes) {
    throw new P2PError('ROUTE key of another id space', 'ERR_INVALID_ARGUMENT');
  }
  return encodeRouteFields(
    route.hops,
    route.purpose,
    route.routeId,
    route.key,
    encodeAddress(route.origin),
    route.appKey,
    route.value,
  );
}

/**
 * encodeRoute from its fields, the origin already in its wire form (encodeAddress): a node
 * starting many routes encodes its own address once. Trusts `key` to be of the space.
 */
export function encodeRouteFields(
  hops: number,
  purpose: Purpose,
  routeId: number,
  key: Id,
  origin: Uint8Array,
  appKey?: Uint8Array,
  value?: Uint8Array,
): Uint8Array {
  start().u8(hops).u8(purpose).u32(routeId).latin1(key).bytes(origin);
  if (purpose === Purpose.PUT || purpose === Purpose.GET) writer.varbytes(appKey ?? EMPTY);
  if (purpose === Purpose.PUT) writer.varbytes(value ?? EMPTY);
  return done();
}

export function decodeRoute(body: Uint8Array, limits: WireLimits): Route {
  const r = new Reader(body);
  const hops = r.u8();
  if (hops > MAX_HOPS) throw new DecodeError(`ROUTE hop count ${hops} above ${MAX_HOPS}`);
  const purpose = r.u8();
  if (purpose > Purpose.GET) throw new DecodeError(`unknown ROUTE purpose ${purpose}`);
  const routeId = r.u32();
  const key = readId(r, body, limits.space);
  const origin = readAddress(r);
  const route: Route = { hops, purpose: purpose as Purpose, routeId, key, origin };
  if (purpose === Purpose.PUT || purpose === Purpose.GET) {
    route.appKey = readAppKey(r, limits);
  }
  if (purpose === Purpose.PUT) route.value = r.varbytes(limits.maxValueSize);
  r.expectEnd();
  return route;
}

/**
 * Checks a ROUTE body as decodeRoute does and returns its key, building nothing else: what a
 * forwarding node needs (the hot path). DecodeError for anything decodeRoute refuses.
 */
export function checkRoute(body: Uint8Array, limits: WireLimits): Id {
  const n = body.length;
  const space = limits.space;
  const afterKey = ROUTE_KEY_OFFSET + space.bytes;
  if (n < afterKey + 3) throw new DecodeError(`truncated ROUTE (${n} bytes)`);
  if (body[ROUTE_HOPS_OFFSET]! > MAX_HOPS) throw new DecodeError('ROUTE hop count above limit');
  const purpose = body[ROUTE_PURPOSE_OFFSET]!;
  if (purpose > Purpose.GET) throw new DecodeError(`unknown ROUTE purpose ${purpose}`);
  const key = space.fromBytes(body, ROUTE_KEY_OFFSET);
  if (purpose === Purpose.LOOKUP || purpose === Purpose.JOIN) {
    // The common case: an IPv4 origin ends the message.
    if (body[afterKey] === ADDRESS_IPV4 && n === afterKey + 7) return key;
  }
  decodeRoute(body, limits);
  return key;
}
function readAppKey(r: Reader, limits: WireLimits): Uint8Array {
  const key = r.varbytes(limits.maxKeySize);
  if (key.length === 0) throw new DecodeError('empty key');
  return key;
}

// ---- ROUTE_RESULT: the answer, from the node that delivered (or served) the message -------

export interface RouteResult {
  routeId: number;
  /** Forwardings the message took to reach the responder. */
  hops: number;
  purpose: Purpose;
  status: Status;
  /** The node answering: the numerically closest node, or a replica on the way (GET). */
  responder: Peer;
  /** PUT and GET: the stored version. */
  version?: number;
  /** PUT: copies now held (the responder included). */
  replicas?: number;
  /** GET: the value. */
  value?: Uint8Array;
}

export function encodeRouteResult(result: RouteResult, space: IdSpace): Uint8Array {
  start()
    .u32(result.routeId)
    .u8(result.hops)
    .u8(result.purpose)
    .u8(result.status)
    .bytes(result.responder.wire(space));
  if (result.status === Status.OK) {
    if (result.purpose === Purpose.PUT) writer.u32(result.version ?? 0).u8(result.replicas ?? 1);
    if (result.purpose === Purpose.GET) {
      writer.u32(result.version ?? 0).varbytes(result.value ?? EMPTY);
    }
  }
  return done();
}

export function decodeRouteResult(body: Uint8Array, limits: WireLimits): RouteResult {
  const r = new Reader(body);
  const routeId = r.u32();
  const hops = r.u8();
  if (hops > MAX_HOPS) throw new DecodeError(`ROUTE_RESULT hop count ${hops} above ${MAX_HOPS}`);
  const purpose = r.u8();
  if (purpose > Purpose.GET) throw new DecodeError(`unknown ROUTE_RESULT purpose ${purpose}`);
  const status = r.u8();
  if (status > Status.REFUSED) throw new DecodeError(`unknown ROUTE_RESULT status ${status}`);
  const responder = readPeer(r, body, limits.space);
  const result: RouteResult = {
    routeId,
    hops,
    purpose: purpose as Purpose,
    status: status as Status,
    responder,
  };
  if (status === Status.OK) {
    if (purpose === Purpose.PUT) {
      result.version = r.u32();
      result.replicas = r.u8();
    }
    if (purpose === Purpose.GET) {
      result.version = r.u32();
      result.value = r.varbytes(limits.maxValueSize);
    }
  }
  r.expectEnd();
  return result;
}

// ---- State: rows of a routing table, a leaf set, a neighbourhood set ----------------------

/** One routing-table row: `entries[c]` is the entry of column c (undefined: empty). */
export interface Row {
  index: number;
  entries: (Peer | undefined)[];
}

/** Parts of a node's state, as JOIN_STATE and STATE carry them. */
export interface State {
  rows: Row[];
  leaves: Peer[];
  neighbors: Peer[];
}

function bitmapBytes(space: IdSpace): number {
  return ((1 << space.digitBits) + 7) >>> 3;
}

function writeState(state: State, space: IdSpace): void {
  const columns = 1 << space.digitBits;
  const mapBytes = bitmapBytes(space);
  writer.u8(state.rows.length);
  for (const row of state.rows) {
    writer.u8(row.index);
    const map = new Uint8Array(mapBytes);
    for (let c = 0; c < columns; c++) {
      if (row.entries[c] !== undefined) map[c >>> 3]! |= 0x80 >>> (c & 7);
    }
    writer.bytes(map);
    for (let c = 0; c < columns; c++) {
      const p = row.entries[c];
      if (p !== undefined) writer.bytes(p.wire(space));
    }
  }
  writePeers(state.leaves, space);
  writePeers(state.neighbors, space);
}

function readState(r: Reader, b: Uint8Array, space: IdSpace): State {
  const columns = 1 << space.digitBits;
  const mapBytes = bitmapBytes(space);
  const rowCount = r.u8();
  if (rowCount > space.digits) {
    throw new DecodeError(`${rowCount} rows above the ${space.digits} digits of an id`);
  }
  const rows: Row[] = [];
  let last = -1;
  for (let i = 0; i < rowCount; i++) {
    const index = r.u8();
    if (index >= space.digits || index <= last) {
      throw new DecodeError(`row index ${index} out of order or above ${space.digits - 1}`);
    }
    last = index;
    const map = r.bytes(mapBytes);
    for (let c = columns; c < mapBytes * 8; c++) {
      if ((map[c >>> 3]! & (0x80 >>> (c & 7))) !== 0) {
        throw new DecodeError(`row bitmap names column ${c} of ${columns}`);
      }
    }
    const entries: (Peer | undefined)[] = new Array(columns).fill(undefined);
    for (let c = 0; c < columns; c++) {
      if ((map[c >>> 3]! & (0x80 >>> (c & 7))) !== 0) entries[c] = readPeer(r, b, space);
    }
    rows.push({ index, entries });
  }
  const leaves = readPeers(r, b, space);
  const neighbors = readPeers(r, b, space);
  return { rows, leaves, neighbors };
}

// ---- JOIN_STATE: what each node on a join's route sends the joining node -----------------

/** JOIN_STATE flags. */
export const JOIN_FINAL = 1;
export const JOIN_FIRST = 2;

export interface JoinState {
  /** JOIN_FINAL: the sender is Z, numerically closest to the joiner; JOIN_FIRST: it is A. */
  flags: number;
  /** The sender's place on the route: the hop count the join arrived with (A: 0). */
  position: number;
  routeId: number;
  state: State;
}

export function encodeJoinState(j: JoinState, space: IdSpace): Uint8Array {
  start().u8(j.flags).u8(j.position).u32(j.routeId);
  writeState(j.state, space);
  return done();
}

export function decodeJoinState(body: Uint8Array, limits: WireLimits): JoinState {
  const r = new Reader(body);
  const flags = r.u8();
  if (flags > (JOIN_FINAL | JOIN_FIRST)) throw new DecodeError(`unknown JOIN_STATE flags ${flags}`);
  const position = r.u8();
  if (position > MAX_HOPS) throw new DecodeError(`JOIN_STATE position ${position} above limit`);
  const routeId = r.u32();
  const state = readState(r, body, limits.space);
  r.expectEnd();
  return { flags, position, routeId, state };
}

// ---- STATE: a request for parts of a node's state (repair, the join's second stage) ------

export const PART_LEAVES = 1;
export const PART_NEIGHBORS = 2;
export const PART_ROWS = 4;

export interface StateRequest {
  /** PART_* bits. */
  parts: number;
  /** Rows firstRow..lastRow (inclusive) when PART_ROWS is set. */
  firstRow: number;
  lastRow: number;
}

export function encodeStateRequest(q: StateRequest): Uint8Array {
  return Uint8Array.of(q.parts, q.firstRow, q.lastRow);
}

export function decodeStateRequest(body: Uint8Array, limits: WireLimits): StateRequest {
  const r = new Reader(body);
  const parts = r.u8();
  if (parts === 0 || parts > 7) throw new DecodeError(`unknown STATE parts ${parts}`);
  const firstRow = r.u8();
  const lastRow = r.u8();
  if (firstRow > lastRow || lastRow >= limits.space.digits) {
    throw new DecodeError(`bad STATE row range ${firstRow}..${lastRow}`);
  }
  r.expectEnd();
  return { parts, firstRow, lastRow };
}

export function encodeState(state: State, space: IdSpace): Uint8Array {
  start();
  writeState(state, space);
  return done();
}

export function decodeState(body: Uint8Array, limits: WireLimits): State {
  const r = new Reader(body);
  const state = readState(r, body, limits.space);
  r.expectEnd();
  return state;
}

// ---- ANNOUNCE (request and response) and LEAVE: a leaf set ----------------------------------

export function encodePeers(list: readonly Peer[], space: IdSpace): Uint8Array {
  start();
  writePeers(list, space);
  return done();
}

export function decodePeers(body: Uint8Array, limits: WireLimits): Peer[] {
  const r = new Reader(body);
  const list = readPeers(r, body, limits.space);
  r.expectEnd();
  return list;
}

// ---- REPLICATE: stored items pushed to a replica ------------------------------------------

export interface Item {
  key: Uint8Array;
  version: number;
  value: Uint8Array;
}

export function encodeItems(items: readonly Item[]): Uint8Array {
  start().u8(items.length);
  for (const item of items) writer.varbytes(item.key).u32(item.version).varbytes(item.value);
  return done();
}

export function decodeItems(body: Uint8Array, limits: WireLimits): Item[] {
  const r = new Reader(body);
  const n = r.u8();
  const out: Item[] = [];
  for (let i = 0; i < n; i++) {
    const key = readAppKey(r, limits);
    const version = r.u32();
    const value = r.varbytes(limits.maxValueSize);
    out.push({ key, version, value });
  }
  r.expectEnd();
  return out;
}
