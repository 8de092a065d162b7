/**
 * The 68-byte handshake (BEP 3): 0x13 'BitTorrent protocol', 8 reserved bytes, info-hash,
 * peer id. Reserved bits announce extensions: BEP 10 (byte 5 & 0x10), BEP 6 Fast (byte 7 &
 * 0x04), BEP 5 DHT (byte 7 & 0x01). Unknown bits are kept and ignored.
 */
import { DecodeError } from '@p2pkit/core';
import { HANDSHAKE_LENGTH, PROTOCOL_HEADER } from './constants.js';

export interface Handshake {
  /** The 8 reserved bytes as sent. */
  readonly reserved: Uint8Array;
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
}

/** Extensions a handshake can announce through reserved bits. */
export interface HandshakeFeatures {
  /** BEP 10 extension protocol: reserved[5] & 0x10. */
  extended: boolean;
  /** BEP 6 Fast extension: reserved[7] & 0x04. */
  fast: boolean;
  /** BEP 5 DHT (the peer sends PORT): reserved[7] & 0x01. */
  dht: boolean;
}

/** The reserved bytes announcing `features`. */
export function reservedFor(features: Partial<HandshakeFeatures>): Uint8Array {
  const reserved = new Uint8Array(8);
  if (features.extended) reserved[5]! |= 0x10;
  if (features.fast) reserved[7]! |= 0x04;
  if (features.dht) reserved[7]! |= 0x01;
  return reserved;
}

/** The features announced by `reserved`. */
export function featuresOf(reserved: Uint8Array): HandshakeFeatures {
  return {
    extended: ((reserved[5] ?? 0) & 0x10) !== 0,
    fast: ((reserved[7] ?? 0) & 0x04) !== 0,
    dht: ((reserved[7] ?? 0) & 0x01) !== 0,
  };
}

export function encodeHandshake(handshake: Handshake): Uint8Array {
  const { reserved, infoHash, peerId } = handshake;
  if (reserved.length !== 8) throw new RangeError('reserved must be 8 bytes');
  if (infoHash.length !== 20) throw new RangeError('infoHash must be 20 bytes');
  if (peerId.length !== 20) throw new RangeError('peerId must be 20 bytes');
  const out = new Uint8Array(HANDSHAKE_LENGTH);
  out.set(PROTOCOL_HEADER, 0);
  out.set(reserved, 20);
  out.set(infoHash, 28);
  out.set(peerId, 48);
  return out;
}

/** True when `bytes` (at least 20 of them) start like a plain BitTorrent handshake. */
export function startsWithProtocolHeader(bytes: Uint8Array): boolean {
  if (bytes.length < PROTOCOL_HEADER.length) return false;
  for (let i = 0; i < PROTOCOL_HEADER.length; i++) {
    if (bytes[i] !== PROTOCOL_HEADER[i]) return false;
  }
  return true;
}

/**
 * Decodes the first 48 bytes (header, reserved, info-hash): what an accepting peer needs to pick
 * the torrent before it answers. Throws DecodeError on anything but a BitTorrent handshake.
 */
export function decodeHandshakeStart(bytes: Uint8Array): {
  reserved: Uint8Array;
  infoHash: Uint8Array;
} {
  if (bytes.length < 48) throw new DecodeError(`handshake truncated: ${bytes.length} bytes`);
  if (!startsWithProtocolHeader(bytes)) throw new DecodeError('not a BitTorrent handshake');
  return { reserved: bytes.slice(20, 28), infoHash: bytes.slice(28, 48) };
}

/** Decodes a complete 68-byte handshake. Throws DecodeError. */
export function decodeHandshake(bytes: Uint8Array): Handshake {
  if (bytes.length < HANDSHAKE_LENGTH) {
    throw new DecodeError(`handshake truncated: ${bytes.length} bytes`);
  }
  const start = decodeHandshakeStart(bytes);
  return { ...start, peerId: bytes.slice(48, 68) };
}
