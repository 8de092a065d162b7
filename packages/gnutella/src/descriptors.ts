/**
 * The Gnutella 0.6 descriptors, byte for byte: the 23-byte header and every payload (0.6 draft
 * §2.2, the Clip2 0.4 annotations, QRP v1.0, gtk-gnutella's EQHD writer). Integers are
 * little-endian, IPv4 addresses big-endian (network order). Decoders read through core's Reader,
 * so any malformed input throws DecodeError and nothing else.
 */
import { DecodeError, ipv4ToUint32, P2PError, Reader, Writer } from '@p2pkit/core';
import { GGEP_MAGIC, type GgepExtension, readGgep, writeGgep } from './ggep.js';
import { GUID_LENGTH, type Guid } from './guid.js';

/** Payload type byte of each descriptor (header offset 16). */
export const PayloadType = {
  Ping: 0x00,
  Pong: 0x01,
  Bye: 0x02,
  RouteTableUpdate: 0x30,
  VendorExperimental: 0x31,
  Vendor: 0x32,
  Push: 0x40,
  Query: 0x80,
  QueryHit: 0x81,
} as const;

export const HEADER_LENGTH = 23;
/** Hard receive cap on a payload (spec sheet §2.6): larger is treated as desync. */
export const MAX_PAYLOAD_LENGTH = 65_536;

/** Query "MinSpeed" flags, read as a u16le: they all live in the first payload byte. */
export const QueryFlags = {
  /** The field holds flags, not a speed. */
  Modern: 0x0080,
  /** The querier is firewalled: a firewalled servent should not answer. */
  Firewalled: 0x0040,
  Xml: 0x0020,
  LeafGuided: 0x0010,
  GgepH: 0x0008,
  OutOfBand: 0x0004,
  FirewallToFirewall: 0x0002,
} as const;

const FS = 0x1c;

/** The fixed 23-byte descriptor header. */
export interface DescriptorHeader {
  readonly guid: Guid;
  readonly type: number;
  readonly ttl: number;
  readonly hops: number;
  /** Payload length in bytes. */
  readonly length: number;
}

export interface Ping {
  readonly kind: 'ping';
  readonly ggep?: readonly GgepExtension[];
}

export interface Pong {
  readonly kind: 'pong';
  readonly port: number;
  readonly ip: string;
  readonly files: number;
  readonly kilobytes: number;
  readonly ggep?: readonly GgepExtension[];
}

export interface Query {
  readonly kind: 'query';
  /** The raw 16-bit field (see QueryFlags). */
  readonly minSpeed: number;
  readonly criteria: string;
  /** HUGE extensions: `urn:sha1:...`, or a bare `urn:` asking for urns in hits. */
  readonly urns: readonly string[];
  readonly xml?: string;
  readonly ggep?: readonly GgepExtension[];
  /** Extension parts we do not interpret, kept so they can be forwarded unchanged. */
  readonly unknownExtensions?: readonly Uint8Array[];
}

export interface QueryHitResult {
  readonly index: number;
  readonly size: number;
  readonly name: string;
  readonly urns: readonly string[];
  readonly ggep?: readonly GgepExtension[];
  readonly unknownExtensions?: readonly Uint8Array[];
}

/**
 * The extended query hit descriptor (EQHD) between the results and the servent id. A flag is
 * undefined when the sender did not mark it meaningful.
 */
export interface QueryHitTrailer {
  /** Four ASCII characters: LIME, GTKG, BEAR, RAZA, ... (ours: P2PK). */
  readonly vendor: string;
  /** The responder is firewalled: download it through a Push. */
  readonly push?: boolean;
  readonly busy?: boolean;
  readonly uploaded?: boolean;
  readonly measuredSpeed?: boolean;
  readonly ggep?: readonly GgepExtension[];
  readonly xml?: Uint8Array;
}

export interface QueryHit {
  readonly kind: 'queryhit';
  /** Where to download from: the responder's HTTP (= Gnutella) port and address. */
  readonly port: number;
  readonly ip: string;
  /** kbit/s. */
  readonly speed: number;
  readonly results: readonly QueryHitResult[];
  readonly trailer?: QueryHitTrailer;
  /** Trailer bytes we could not parse as an EQHD, kept raw. */
  readonly extra?: Uint8Array;
  /** The responder's servent GUID: always the last 16 bytes. */
  readonly serventId: Guid;
}

export interface Push {
  readonly kind: 'push';
  readonly serventId: Guid;
  readonly index: number;
  /** Where the firewalled servent should connect back to. */
  readonly ip: string;
  readonly port: number;
  readonly ggep?: readonly GgepExtension[];
}

export interface Bye {
  readonly kind: 'bye';
  readonly code: number;
  readonly reason: string;
}

export interface QrpReset {
  readonly kind: 'qrp-reset';
  readonly tableLength: number;
  readonly infinity: number;
}

export interface QrpPatch {
  readonly kind: 'qrp-patch';
  readonly seqNo: number;
  readonly seqSize: number;
  /** 0 none, 1 zlib. */
  readonly compressor: number;
  /** 4 or 8. */
  readonly entryBits: number;
  readonly data: Uint8Array;
}

export interface VendorMessage {
  readonly kind: 'vendor';
  /** Type 0x31 (experimental) rather than 0x32. */
  readonly experimental: boolean;
  readonly vendor: string;
  readonly selector: number;
  readonly version: number;
  readonly data: Uint8Array;
}

/** A payload type we do not know: skipped by the servent, kept for logging. */
export interface UnknownMessage {
  readonly kind: 'unknown';
  readonly type: number;
  readonly payload: Uint8Array;
}

export type Message =
  | Ping
  | Pong
  | Query
  | QueryHit
  | Push
  | Bye
  | QrpReset
  | QrpPatch
  | VendorMessage
  | UnknownMessage;

/** A whole descriptor: header fields and the decoded payload. */
export interface Descriptor<M extends Message = Message> {
  readonly guid: Guid;
  readonly ttl: number;
  readonly hops: number;
  readonly message: M;
}

const utf8Decoder = new TextDecoder('utf-8');

/**
 * Text from the wire, leniently: invalid UTF-8 (old servents wrote Latin-1 names) becomes
 * U+FFFD instead of failing the descriptor. Node's decoder beats a hand-written ASCII loop from
 * about 10 bytes on (names, urns), so only very short text is decoded by hand.
 */
const utf8 = {
  decode(b: Uint8Array): string {
    const n = b.length;
    if (n <= 8) {
      let s = '';
      for (let i = 0; i < n; i++) {
        const c = b[i]!;
        if (c >= 0x80) return utf8Decoder.decode(b);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8Decoder.decode(b);
  },
};
const utf8Encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Header

/** Reads the 23-byte header at `offset`. DecodeError when fewer bytes are there. */
export function decodeHeader(bytes: Uint8Array, offset = 0): DescriptorHeader {
  const r = new Reader(bytes, offset);
  const guid = r.bytes(GUID_LENGTH);
  const type = r.u8();
  const ttl = r.u8();
  const hops = r.u8();
  const length = r.u32le();
  return { guid, type, ttl, hops, length };
}

/** The payload type byte a message is sent with. */
export function payloadTypeOf(message: Message): number {
  switch (message.kind) {
    case 'ping':
      return PayloadType.Ping;
    case 'pong':
      return PayloadType.Pong;
    case 'query':
      return PayloadType.Query;
    case 'queryhit':
      return PayloadType.QueryHit;
    case 'push':
      return PayloadType.Push;
    case 'bye':
      return PayloadType.Bye;
    case 'qrp-reset':
    case 'qrp-patch':
      return PayloadType.RouteTableUpdate;
    case 'vendor':
      return message.experimental ? PayloadType.VendorExperimental : PayloadType.Vendor;
    case 'unknown':
      return message.type;
  }
}

// ---------------------------------------------------------------------------------------------
// Whole descriptors

/** Header + payload bytes of a descriptor. */
export function encodeDescriptor(descriptor: Descriptor): Uint8Array {
  const { guid, ttl, hops, message } = descriptor;
  if (guid.length !== GUID_LENGTH) throw invalid('a GUID has 16 bytes');
  const w = new Writer(message.kind === 'queryhit' ? 512 : 128);
  w.bytes(guid).u8(payloadTypeOf(message)).u8(ttl).u8(hops).u32le(0);
  writePayload(w, message);
  const out = w.finish();
  const n = out.length - HEADER_LENGTH;
  out[19] = n;
  out[20] = n >>> 8;
  out[21] = n >>> 16;
  out[22] = n >>> 24;
  return out;
}

/**
 * Decodes one whole descriptor (header and exactly its payload). DecodeError when the length
 * field disagrees with the bytes or the payload is malformed.
 */
export function decodeDescriptor(bytes: Uint8Array): Descriptor {
  const header = decodeHeader(bytes);
  if (bytes.length - HEADER_LENGTH !== header.length) {
    throw new DecodeError(
      `payload length field says ${header.length}, ${bytes.length - HEADER_LENGTH} bytes follow`,
    );
  }
  return {
    guid: header.guid,
    ttl: header.ttl,
    hops: header.hops,
    message: decodePayload(header.type, bytes.subarray(HEADER_LENGTH)),
  };
}

/** The payload bytes of one message (no header). */
export function encodePayload(message: Message): Uint8Array {
  return writePayload(new Writer(64), message).finish();
}

function writePayload(w: Writer, m: Message): Writer {
  switch (m.kind) {
    case 'ping':
      if (m.ggep?.length) writeGgep(w, m.ggep);
      return w;
    case 'pong':
      w.u16le(m.port).u32(ipToUint32(m.ip)).u32le(m.files).u32le(m.kilobytes);
      if (m.ggep?.length) writeGgep(w, m.ggep);
      return w;
    case 'query':
      return writeQuery(w, m);
    case 'queryhit':
      return writeQueryHit(w, m);
    case 'push':
      if (m.serventId.length !== GUID_LENGTH) throw invalid('a servent id has 16 bytes');
      w.bytes(m.serventId).u32le(m.index).u32(ipToUint32(m.ip)).u16le(m.port);
      if (m.ggep?.length) writeGgep(w, m.ggep);
      return w;
    case 'bye':
      return w.u16le(m.code).bytes(utf8Encoder.encode(m.reason)).u8(0);
    case 'qrp-reset':
      return w.u8(0).u32le(m.tableLength).u8(m.infinity);
    case 'qrp-patch':
      return w.u8(1).u8(m.seqNo).u8(m.seqSize).u8(m.compressor).u8(m.entryBits).bytes(m.data);
    case 'vendor':
      writeAscii4(w, m.vendor);
      return w.u16le(m.selector).u16le(m.version).bytes(m.data);
    case 'unknown':
      return w.bytes(m.payload);
  }
}

/** Decodes a payload of the given type. Unknown types give an `unknown` message, not an error. */
export function decodePayload(type: number, payload: Uint8Array): Message {
  switch (type) {
    case PayloadType.Ping:
      return decodePing(payload);
    case PayloadType.Pong:
      return decodePong(payload);
    case PayloadType.Query:
      return decodeQuery(payload);
    case PayloadType.QueryHit:
      return decodeQueryHit(payload);
    case PayloadType.Push:
      return decodePush(payload);
    case PayloadType.Bye:
      return decodeBye(payload);
    case PayloadType.RouteTableUpdate:
      return decodeRouteTableUpdate(payload);
    case PayloadType.Vendor:
    case PayloadType.VendorExperimental:
      return decodeVendor(payload, type === PayloadType.VendorExperimental);
    default:
      return { kind: 'unknown', type, payload };
  }
}

// ---------------------------------------------------------------------------------------------
// Payloads

function decodePing(p: Uint8Array): Ping {
  if (p.length === 0) return { kind: 'ping' };
  return { kind: 'ping', ggep: readTrailingGgep(p, 0, 'Ping') };
}

function decodePong(p: Uint8Array): Pong {
  const r = new Reader(p);
  const port = r.u16le();
  const ip = readIp(r);
  const files = r.u32le();
  const kilobytes = r.u32le();
  if (r.remaining === 0) return { kind: 'pong', port, ip, files, kilobytes };
  return { kind: 'pong', port, ip, files, kilobytes, ggep: readTrailingGgep(p, 14, 'Pong') };
}

function decodePush(p: Uint8Array): Push {
  const r = new Reader(p);
  const serventId = r.bytes(GUID_LENGTH);
  const index = r.u32le();
  const ip = readIp(r);
  const port = r.u16le();
  if (r.remaining === 0) return { kind: 'push', serventId, index, ip, port };
  return { kind: 'push', serventId, index, ip, port, ggep: readTrailingGgep(p, 26, 'Push') };
}

function decodeBye(p: Uint8Array): Bye {
  const r = new Reader(p);
  const code = r.u16le();
  let end = p.indexOf(0, 2);
  if (end < 0) end = p.length; // tolerate a missing NUL
  return { kind: 'bye', code, reason: utf8.decode(p.subarray(2, end)) };
}

function decodeRouteTableUpdate(p: Uint8Array): QrpReset | QrpPatch {
  const r = new Reader(p);
  const variant = r.u8();
  if (variant === 0) {
    const tableLength = r.u32le();
    const infinity = r.u8();
    r.expectEnd();
    return { kind: 'qrp-reset', tableLength, infinity };
  }
  if (variant === 1) {
    const seqNo = r.u8();
    const seqSize = r.u8();
    const compressor = r.u8();
    const entryBits = r.u8();
    return { kind: 'qrp-patch', seqNo, seqSize, compressor, entryBits, data: r.bytes(r.remaining) };
  }
  throw new DecodeError(`unknown QRP variant ${variant}`);
}

function decodeVendor(p: Uint8Array, experimental: boolean): VendorMessage {
  const r = new Reader(p);
  const vendor = r.latin1(4);
  const selector = r.u16le();
  const version = r.u16le();
  return { kind: 'vendor', experimental, vendor, selector, version, data: r.bytes(r.remaining) };
}

function writeQuery(w: Writer, m: Query): Writer {
  w.u16le(m.minSpeed);
  if (m.criteria.includes('\0')) throw invalid('query criteria contain a NUL');
  w.cstring(m.criteria);
  writeExtensionBlock(w, m.urns, m.xml, m.unknownExtensions, m.ggep, false);
  return w;
}

function decodeQuery(p: Uint8Array): Query {
  const r = new Reader(p);
  const minSpeed = r.u16le();
  const nul = p.indexOf(0, 2);
  if (nul < 0) throw new DecodeError('query criteria are not NUL-terminated');
  const criteria = utf8.decode(p.subarray(2, nul));
  const ext = parseExtensionBlock(p, nul + 1, p.length, true);
  // Some servents append a stray NUL after the extensions: tolerate it (it parses as a last,
  // one-byte unknown part; a GGEP block ending in 0x00 is not affected).
  const unknown = ext.unknownExtensions;
  const last = unknown?.[unknown.length - 1];
  if (last && last.length === 1 && last[0] === 0 && p[p.length - 1] === 0) {
    if (unknown!.length === 1) delete ext.unknownExtensions;
    else unknown!.pop();
  }
  return { kind: 'query', minSpeed, criteria, ...ext };
}

function writeQueryHit(w: Writer, m: QueryHit): Writer {
  if (m.results.length > 255) throw invalid('a Query Hit carries at most 255 results');
  if (m.serventId.length !== GUID_LENGTH) throw invalid('a servent id has 16 bytes');
  w.u8(m.results.length).u16le(m.port).u32(ipToUint32(m.ip)).u32le(m.speed);
  for (const result of m.results) {
    w.u32le(result.index).u32le(result.size);
    if (result.name.includes('\0')) throw invalid('a file name contains a NUL');
    w.cstring(result.name);
    // Inside a result no NUL may appear: GGEP there is always COBS-encoded.
    const ggep = result.ggep?.map((e) => ({ ...e, cobs: true }));
    if (ggep || result.unknownExtensions || result.urns.length !== 1) {
      writeExtensionBlock(w, result.urns, undefined, result.unknownExtensions, ggep, true);
    } else {
      // The usual case, one urn and nothing else: no separators to work out.
      const urn = result.urns[0]!;
      if (urn.includes('\0') || urn.includes('\x1c'))
        throw invalid('an extension contains NUL or FS');
      w.utf8(urn);
    }
    w.u8(0);
  }
  if (m.trailer) writeTrailer(w, m.trailer);
  else if (m.extra) w.bytes(m.extra);
  return w.bytes(m.serventId);
}

function decodeQueryHit(p: Uint8Array): QueryHit {
  if (p.length < 11 + GUID_LENGTH) {
    throw new DecodeError(`Query Hit of ${p.length} bytes is shorter than 27`);
  }
  const limit = p.length - GUID_LENGTH;
  const count = p[0]!;
  const port = p[1]! | (p[2]! << 8);
  const ip = `${p[3]}.${p[4]}.${p[5]}.${p[6]}`;
  const speed = u32leAt(p, 7);
  const results: QueryHitResult[] = [];
  let at = 11;
  // The hot path of a busy ultrapeer: fields read in place, no Reader or spread per result.
  for (let i = 0; i < count; i++) {
    if (at + 8 > limit) throw new DecodeError(`result ${i} is truncated`);
    const index = u32leAt(p, at);
    const size = u32leAt(p, at + 4);
    const nameEnd = p.indexOf(0, at + 8);
    if (nameEnd < 0 || nameEnd >= limit) throw new DecodeError(`result ${i}: name has no NUL`);
    const extEnd = p.indexOf(0, nameEnd + 1);
    if (extEnd < 0 || extEnd >= limit) {
      throw new DecodeError(`result ${i}: extension block has no NUL`);
    }
    const name = utf8.decode(p.subarray(at + 8, nameEnd));
    const result: Mutable<QueryHitResult> = { index, size, name, urns: [] };
    if (extEnd > nameEnd + 1) {
      const ext = parseExtensionBlock(p, nameEnd + 1, extEnd, false);
      result.urns = ext.urns;
      if (ext.ggep) result.ggep = ext.ggep;
      if (ext.unknownExtensions) result.unknownExtensions = ext.unknownExtensions;
    }
    results.push(result);
    at = extEnd + 1;
  }
  const serventId = p.subarray(limit);
  const hit: Mutable<QueryHit> = { kind: 'queryhit', port, ip, speed, results, serventId };
  if (at === limit) return hit;
  const trailerBytes = p.subarray(at, limit);
  const trailer = parseTrailer(trailerBytes);
  if (trailer) hit.trailer = trailer;
  else hit.extra = trailerBytes;
  return hit;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function u32leAt(p: Uint8Array, at: number): number {
  return (p[at]! | (p[at + 1]! << 8) | (p[at + 2]! << 16) | (p[at + 3]! << 24)) >>> 0;
}

// EQHD flag bits; same position in both flag bytes (0.6 draft §2.2.6).
const F_PUSH = 0x01;
const F_BUSY = 0x04;
const F_UPLOADED = 0x08;
const F_MEASURED = 0x10;
const F_GGEP = 0x20;

function writeTrailer(w: Writer, t: QueryHitTrailer): void {
  writeAscii4(w, t.vendor);
  const hasGgep = (t.ggep?.length ?? 0) > 0;
  w.u8(t.xml ? 4 : 2);
  // Byte 1: "meaningful" bits, except push whose VALUE lives here; byte 2 the reverse.
  let enable = 0;
  let value = 0;
  if (t.push !== undefined) {
    value |= F_PUSH;
    if (t.push) enable |= F_PUSH;
  }
  for (const [flag, bit] of [
    [t.busy, F_BUSY],
    [t.uploaded, F_UPLOADED],
    [t.measuredSpeed, F_MEASURED],
    [hasGgep ? true : undefined, F_GGEP],
  ] as const) {
    if (flag === undefined) continue;
    enable |= bit;
    if (flag) value |= bit;
  }
  w.u8(enable).u8(value);
  if (t.xml) w.u16le(t.xml.length);
  if (hasGgep) writeGgep(w, t.ggep!);
  if (t.xml) w.bytes(t.xml);
}

/** The EQHD, or undefined when the bytes are not one (kept raw by the caller). */
function parseTrailer(b: Uint8Array): QueryHitTrailer | undefined {
  if (b.length < 5) return undefined;
  const openSize = b[4]!;
  if (5 + openSize > b.length) return undefined;
  let vendor = '';
  for (let i = 0; i < 4; i++) vendor += String.fromCharCode(b[i]!);
  const t: {
    vendor: string;
    push?: boolean;
    busy?: boolean;
    uploaded?: boolean;
    measuredSpeed?: boolean;
    ggep?: GgepExtension[];
    xml?: Uint8Array;
  } = { vendor };
  let xmlLength = 0;
  if (openSize >= 2) {
    const f1 = b[5]!;
    const f2 = b[6]!;
    if (f2 & F_PUSH) t.push = (f1 & F_PUSH) !== 0;
    if (f1 & F_BUSY) t.busy = (f2 & F_BUSY) !== 0;
    if (f1 & F_UPLOADED) t.uploaded = (f2 & F_UPLOADED) !== 0;
    if (f1 & F_MEASURED) t.measuredSpeed = (f2 & F_MEASURED) !== 0;
    const privateData = b.subarray(5 + openSize);
    if (openSize >= 4) xmlLength = b[7]! | (b[8]! << 8);
    if (f1 & f2 & F_GGEP && privateData[0] === GGEP_MAGIC) {
      try {
        t.ggep = readGgep(new Reader(privateData));
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        // A broken GGEP block in the trailer costs the block, not the hit.
      }
    }
    if (xmlLength > 0 && xmlLength <= privateData.length) {
      t.xml = privateData.subarray(privateData.length - xmlLength);
    }
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// Extension blocks (HUGE / XML / GGEP, FS-separated, GGEP last)

interface ExtensionBlock {
  urns: string[];
  xml?: string;
  ggep?: GgepExtension[];
  unknownExtensions?: Uint8Array[];
}

function writeExtensionBlock(
  w: Writer,
  urns: readonly string[],
  xml: string | undefined,
  unknown: readonly Uint8Array[] | undefined,
  ggep: readonly GgepExtension[] | undefined,
  inResult: boolean,
): void {
  let first = true;
  const part = (bytes: Uint8Array) => {
    if (bytes.includes(0) || bytes.includes(FS)) throw invalid('an extension contains NUL or FS');
    if (!first) w.u8(FS);
    w.bytes(bytes);
    first = false;
  };
  for (const urn of urns) part(utf8Encoder.encode(urn));
  if (xml !== undefined && !inResult) part(utf8Encoder.encode(xml));
  for (const u of unknown ?? []) part(u);
  if (ggep?.length) {
    if (!first) w.u8(FS);
    writeGgep(w, ggep);
  }
}

/**
 * Splits `p[start, end)` into FS-separated parts: `urn:` parts, XML (`<` or `{`), one GGEP block
 * (which may itself contain FS bytes, so it is parsed where it starts), anything else kept raw.
 * A GGEP block that fails to parse is kept raw: unknown or broken extensions are not fatal.
 */
function parseExtensionBlock(
  p: Uint8Array,
  start: number,
  end: number,
  query: boolean,
): ExtensionBlock {
  const out: ExtensionBlock = { urns: [] };
  let at = start;
  while (at < end) {
    if (p[at] === GGEP_MAGIC) {
      const r = new Reader(p, at, end);
      try {
        const ggep = readGgep(r);
        out.ggep = out.ggep ? [...out.ggep, ...ggep] : ggep;
        at = r.offset;
        if (at < end && p[at] === FS) at++;
        continue;
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
      }
    }
    let next = p.indexOf(FS, at);
    if (next < 0 || next > end) next = end;
    const part = p.subarray(at, next);
    if (part.length > 0) {
      if (isUrn(part)) out.urns.push(utf8.decode(part));
      else if (query && (part[0] === 0x3c || part[0] === 0x7b) && out.xml === undefined) {
        out.xml = utf8.decode(part);
      } else (out.unknownExtensions ??= []).push(part);
    }
    at = next + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Starts with `urn:`, any case. */
function isUrn(b: Uint8Array): boolean {
  return (
    b.length >= 4 &&
    (b[0]! | 0x20) === 0x75 &&
    (b[1]! | 0x20) === 0x72 &&
    (b[2]! | 0x20) === 0x6e &&
    b[3] === 0x3a
  );
}

function readTrailingGgep(p: Uint8Array, at: number, what: string): GgepExtension[] {
  if (p[at] !== GGEP_MAGIC) {
    throw new DecodeError(`${what} has ${p.length - at} trailing bytes that are not GGEP`);
  }
  const r = new Reader(p, at);
  const ggep = readGgep(r);
  r.expectEnd();
  return ggep;
}

function readIp(r: Reader): string {
  return `${r.u8()}.${r.u8()}.${r.u8()}.${r.u8()}`;
}

/** Dotted IPv4 to the 32-bit value written big-endian; P2PError for anything else. */
export function ipToUint32(ip: string): number {
  const v = ipv4ToUint32(ip);
  if (v < 0) throw invalid(`not an IPv4 address: ${ip}`);
  return v;
}

function writeAscii4(w: Writer, code: string): void {
  if (!/^[\x20-\x7e]{4}$/.test(code)) throw invalid(`vendor code must be 4 ASCII chars: ${code}`);
  for (let i = 0; i < 4; i++) w.u8(code.charCodeAt(i));
}

function invalid(message: string): P2PError {
  return new P2PError(message, 'ERR_INVALID_ARGUMENT');
}
