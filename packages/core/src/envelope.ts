/**
 * The RPC message envelope shared by the overlays that have no standard wire format (Chord,
 * Pastry, Kelips, FastTrack): who sent it, what it is, which request it answers, and an opaque
 * body. Byte layout, with a worked example: packages/core/ENVELOPE.md.
 *
 * Cheap on purpose (it is on the simulator's hot path): encoding makes exactly one allocation
 * (from core's slab pool, see `allocBytes`), decoding makes none for bytes — `sender.id` and
 * `body` are views into the input.
 */

import { ipv4ToUint32 } from './address.js';
import { allocBytes } from './codec/alloc.js';
import { encodeUtf8Short, utf8Length } from './codec/writer.js';
import { DecodeError, P2PError } from './errors.js';
import type { Address } from './runtime.js';

/** A node as peers know it: its overlay id and where to reach it. */
export interface Contact {
  readonly id: Uint8Array;
  readonly address: Address;
}

export type EnvelopeKind = 'request' | 'response' | 'error' | 'oneway';

export interface Envelope {
  readonly kind: EnvelopeKind;
  /** Message type, 0..65535; each protocol documents its own in PROTOCOL.md. */
  readonly type: number;
  /** Correlates a response or error with its request, 0..2^32-1 (0 for oneway by convention). */
  readonly requestId: number;
  readonly sender: Contact;
  readonly body: Uint8Array;
}

export interface DecodeEnvelopeOptions {
  /** Largest body accepted; DecodeError above it. Default: no limit beyond the input. */
  maxBodySize?: number;
}

/** Version byte of the layout in ENVELOPE.md. */
export const ENVELOPE_VERSION = 1;

/** Largest sender id, in bytes (the length is one byte). */
export const MAX_CONTACT_ID_LENGTH = 255;

const KINDS: readonly EnvelopeKind[] = ['request', 'response', 'error', 'oneway'];
const FAMILY_NAME = 0;
const FAMILY_IPV4 = 4;

/** Bytes an envelope from `sender` takes besides its body. */
export function envelopeOverhead(sender: Contact): number {
  const host = sender.address.host;
  const hostBytes = ipv4ToUint32(host) >= 0 ? 4 : 1 + utf8Length(host);
  return 8 + 1 + sender.id.length + 1 + hostBytes + 2;
}

/**
 * The envelope's bytes, in one new array (possibly a view into a shared slab: see `allocBytes`).
 * Throws P2PError `ERR_INVALID_ARGUMENT` for fields out
 * of range (type, requestId, port, id longer than 255 bytes, host name longer than 255 bytes).
 */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  const { kind, type, requestId, sender, body } = envelope;
  const kindCode = KINDS.indexOf(kind);
  if (kindCode < 0) throw invalid(`envelope kind ${String(kind)}`);
  return writeEnvelope(kindCode, type, requestId, encodeSender(sender), body);
}

/**
 * @internal The sender fields of an envelope (id length, id, family, host, port), which the
 * RPC layer encodes once per endpoint rather than once per message. Throws like encodeEnvelope.
 */
export function encodeSender(sender: Contact): Uint8Array {
  const { id, address } = sender;
  const { host, port } = address;
  const idLength = id.length;
  if (idLength > MAX_CONTACT_ID_LENGTH) throw invalid(`sender id of ${idLength} bytes`);
  if (!(port >= 0 && port <= 0xffff && port === (port | 0))) throw invalid(`port ${port}`);
  const ipv4 = ipv4ToUint32(host);
  const hostLength = ipv4 >= 0 ? 4 : utf8Length(host);
  if (hostLength > 255) throw invalid(`host name of ${hostLength} bytes`);
  const out = new Uint8Array(1 + idLength + (ipv4 >= 0 ? 5 : 2 + hostLength) + 2);
  out[0] = idLength;
  out.set(id, 1);
  let p = 1 + idLength;
  if (ipv4 >= 0) {
    out[p++] = FAMILY_IPV4;
    out[p++] = ipv4 >>> 24;
    out[p++] = ipv4 >>> 16;
    out[p++] = ipv4 >>> 8;
    out[p++] = ipv4;
  } else {
    out[p++] = FAMILY_NAME;
    out[p++] = hostLength;
    p = encodeUtf8Short(host, out, p);
  }
  out[p] = port >>> 8;
  out[p + 1] = port;
  return out;
}

/**
 * @internal An envelope from its fields, the sender's already encoded by encodeSender.
 * `kindCode` is the kind's wire value (0..3).
 */
export function writeEnvelope(
  kindCode: number,
  type: number,
  requestId: number,
  sender: Uint8Array,
  body: Uint8Array,
): Uint8Array {
  if (!(type >= 0 && type <= 0xffff && type === (type | 0))) throw invalid(`envelope type ${type}`);
  if (!(requestId >= 0 && requestId <= 0xffff_ffff && requestId === requestId >>> 0)) {
    throw invalid(`requestId ${requestId}`);
  }
  const senderLength = sender.length;
  const out = allocBytes(8 + senderLength + body.length);
  out[0] = ENVELOPE_VERSION;
  out[1] = kindCode;
  out[2] = type >>> 8;
  out[3] = type;
  out[4] = requestId >>> 24;
  out[5] = requestId >>> 16;
  out[6] = requestId >>> 8;
  out[7] = requestId;
  for (let i = 0; i < senderLength; i++) out[8 + i] = sender[i]!;
  out.set(body, 8 + senderLength);
  return out;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses an envelope. Throws DecodeError for anything malformed: truncated, unknown version,
 * kind or address family, a body above `maxBodySize`, invalid UTF-8 in a host name, or an IPv4
 * address sent as a name (each envelope has exactly one encoding). `sender.id` and `body` are
 * views into `bytes`: copy them to keep them past the input's lifetime.
 */
export function decodeEnvelope(bytes: Uint8Array, options?: DecodeEnvelopeOptions): Envelope {
  const bodyAt = scanEnvelope(bytes);
  const bodyLength = bytes.length - bodyAt;
  const max = options?.maxBodySize;
  if (max !== undefined && bodyLength > max) {
    throw new DecodeError(`envelope body of ${bodyLength} bytes exceeds maxBodySize ${max}`);
  }
  return {
    kind: KINDS[bytes[1]!]!,
    type: (bytes[2]! << 8) | bytes[3]!,
    requestId: ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0,
    sender: envelopeSender(bytes),
    body: bytes.subarray(bodyAt),
  };
}

/**
 * @internal Checks everything decodeEnvelope checks (except maxBodySize) without building
 * anything, and returns where the body starts. Then bytes[1] is the kind's wire value, bytes
 * 2..3 the type, 4..7 the requestId, and envelopeSender(bytes) decodes the sender. The RPC
 * layer's receive path: most handlers never look at the sender.
 */
export function scanEnvelope(bytes: Uint8Array): number {
  const n = bytes.length;
  if (n < 9) throw truncated(n);
  if (bytes[0] !== ENVELOPE_VERSION) throw new DecodeError(`unknown envelope version ${bytes[0]}`);
  if (bytes[1]! >= KINDS.length) throw new DecodeError(`unknown envelope kind ${bytes[1]}`);
  let p = 9 + bytes[8]!;
  if (p + 1 > n) throw truncated(n);
  const family = bytes[p++]!;
  if (family === FAMILY_IPV4) {
    if (p + 4 > n) throw truncated(n);
    p += 4;
  } else if (family === FAMILY_NAME) {
    if (p + 1 > n) throw truncated(n);
    const hostLength = bytes[p++]!;
    if (p + hostLength > n) throw truncated(n);
    checkHostName(bytes, p, p + hostLength);
    p += hostLength;
  } else {
    throw new DecodeError(`unknown address family ${family}`);
  }
  if (p + 2 > n) throw truncated(n);
  return p + 2;
}

/** @internal The sender of an envelope that scanEnvelope accepted (its id is a view). */
export function envelopeSender(bytes: Uint8Array): Contact {
  let p = 9 + bytes[8]!;
  const id = bytes.subarray(9, p);
  let host: string;
  if (bytes[p++] === FAMILY_IPV4) {
    host = `${bytes[p]}.${bytes[p + 1]}.${bytes[p + 2]}.${bytes[p + 3]}`;
    p += 4;
  } else {
    const hostLength = bytes[p++]!;
    host = decodeHost(bytes, p, p + hostLength);
    p += hostLength;
  }
  return { id, address: { host, port: (bytes[p]! << 8) | bytes[p + 1]! } };
}

/** A host name must be valid UTF-8 and must not be an IPv4 address (that has family 4). */
function checkHostName(bytes: Uint8Array, start: number, end: number): void {
  const host = decodeHost(bytes, start, end);
  if (ipv4ToUint32(host) >= 0) throw new DecodeError(`IPv4 address ${host} sent as a host name`);
}

function decodeHost(bytes: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii)
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  try {
    return textDecoder.decode(bytes.subarray(start, end));
  } catch (error) {
    throw new DecodeError('invalid UTF-8 in envelope host name', { cause: error });
  }
}

function truncated(length: number): DecodeError {
  return new DecodeError(`truncated envelope (${length} bytes)`);
}

function invalid(what: string): P2PError {
  return new P2PError(`${what} out of range`, 'ERR_INVALID_ARGUMENT');
}
