/**
 * The Gnutella 0.6 descriptors, byte for byte: the 23-byte header and every payload (0.6 draft
 * §2.2, the Clip2 0.4 annotations, QRP v1.0, gtk-gnutella's EQHD writer). Integers are
 * little-endian, IPv4 addresses big-endian (network order). Decoders read through core's Reader,
 * so any malformed input throws DecodeError and nothing else.
 */
import { DecodeError, Reader, Writer } from '@p2pkit/core';
import {
  invalid,
  ipToUint32,
  parseExtensionBlock,
  readIp,
  readTrailingGgep,
  utf8,
  utf8Encoder,
  writeAscii4,
  writeExtensionBlock,
} from './descriptor-fields.js';
import {
  type Bye,
  type Descriptor,
  type DescriptorHeader,
  HEADER_LENGTH,
  type Message,
  PayloadType,
  type Ping,
  type Pong,
  type Push,
  type QrpPatch,
  type QrpReset,
  type Query,
  type VendorMessage,
} from './descriptor-types.js';
import { writeGgep } from './ggep.js';
import { GUID_LENGTH } from './guid.js';
import { decodeQueryHit, writeQueryHit } from './query-hit.js';

export { ipToUint32 } from './descriptor-fields.js';
export * from './descriptor-types.js';

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
