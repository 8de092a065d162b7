import { DecodeError, Reader, Writer } from '@p2pkit/core';
import type { AnnounceEvent } from './types.js';

/**
 * BEP 15 packets, byte by byte (all integers big-endian). Requests are what a client sends and
 * a server decodes; responses the reverse. Decoders check minimum sizes only (BEP 15: "do not
 * expect packets to be exactly of a certain size") and throw DecodeError.
 */

/** The magic `protocol_id` of a connect request. */
export const UDP_PROTOCOL_ID = 0x41727101980n;
export const ACTION_CONNECT = 0;
export const ACTION_ANNOUNCE = 1;
export const ACTION_SCRAPE = 2;
export const ACTION_ERROR = 3;
/** Most info-hashes per UDP scrape (BEP 15: "up to about 74"; 8 + 12·74 fits any MTU). */
export const MAX_UDP_SCRAPE = 74;

/** UDP event codes: 0 none, 1 completed, 2 started, 3 stopped (not the HTTP order). */
const EVENT_CODES: Record<string, number> = { completed: 1, started: 2, stopped: 3 };
const EVENTS: (AnnounceEvent | undefined)[] = [undefined, 'completed', 'started', 'stopped'];

export interface UdpAnnounceFields {
  readonly connectionId: Uint8Array;
  readonly transactionId: number;
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  readonly downloaded: number;
  readonly left: number;
  readonly uploaded: number;
  readonly event: AnnounceEvent | undefined;
  /** IPv4 address as u32 (0 = use the packet's source). */
  readonly ip: number;
  readonly key: number;
  /** −1 = tracker default. */
  readonly numWant: number;
  readonly port: number;
}

export type UdpRequest =
  | { readonly action: 'connect'; readonly transactionId: number }
  | ({ readonly action: 'announce' } & UdpAnnounceFields)
  | {
      readonly action: 'scrape';
      readonly connectionId: Uint8Array;
      readonly transactionId: number;
      readonly infoHashes: readonly Uint8Array[];
    };

export interface UdpScrapeEntry {
  readonly seeders: number;
  readonly completed: number;
  readonly leechers: number;
}

export type UdpResponse =
  | {
      readonly action: 'connect';
      readonly transactionId: number;
      readonly connectionId: Uint8Array;
    }
  | {
      readonly action: 'announce';
      readonly transactionId: number;
      readonly interval: number;
      readonly leechers: number;
      readonly seeders: number;
      /** Compact peers: 6-byte entries over IPv4, 18-byte over IPv6 (by the socket's family). */
      readonly peers: Uint8Array;
    }
  | {
      readonly action: 'scrape';
      readonly transactionId: number;
      readonly entries: UdpScrapeEntry[];
    }
  | { readonly action: 'error'; readonly transactionId: number; readonly message: string };

// ---- requests ----------------------------------------------------------------------------------

/** connect request, 16 bytes: u64 protocol_id, u32 action 0, u32 transaction_id. */
export function encodeConnectRequest(transactionId: number): Uint8Array {
  return new Writer(16).u64(UDP_PROTOCOL_ID).u32(ACTION_CONNECT).u32(transactionId).finish();
}

/**
 * announce request, 98 bytes: u64 connection_id, u32 action 1, u32 transaction_id, 20 B
 * info_hash, 20 B peer_id, u64 downloaded, u64 left, u64 uploaded, u32 event, u32 ip, u32 key,
 * i32 num_want, u16 port.
 */
export function encodeAnnounceRequest(fields: UdpAnnounceFields): Uint8Array {
  checkLength(fields.connectionId, 8, 'connection_id');
  checkLength(fields.infoHash, 20, 'info_hash');
  checkLength(fields.peerId, 20, 'peer_id');
  return new Writer(98)
    .bytes(fields.connectionId)
    .u32(ACTION_ANNOUNCE)
    .u32(fields.transactionId)
    .bytes(fields.infoHash)
    .bytes(fields.peerId)
    .u64(BigInt(fields.downloaded))
    .u64(BigInt(fields.left))
    .u64(BigInt(fields.uploaded))
    .u32(fields.event ? EVENT_CODES[fields.event]! : 0)
    .u32(fields.ip >>> 0)
    .u32(fields.key >>> 0)
    .i32(fields.numWant)
    .u16(fields.port)
    .finish();
}

/** scrape request, 16 + 20n bytes: u64 connection_id, u32 action 2, u32 transaction_id, hashes. */
export function encodeScrapeRequest(
  connectionId: Uint8Array,
  transactionId: number,
  infoHashes: readonly Uint8Array[],
): Uint8Array {
  checkLength(connectionId, 8, 'connection_id');
  const w = new Writer(16 + 20 * infoHashes.length)
    .bytes(connectionId)
    .u32(ACTION_SCRAPE)
    .u32(transactionId);
  for (const hash of infoHashes) {
    checkLength(hash, 20, 'info_hash');
    w.bytes(hash);
  }
  return w.finish();
}

/** Decodes what a client sent. Throws DecodeError on short or unknown packets. */
export function decodeUdpRequest(bytes: Uint8Array): UdpRequest {
  const r = new Reader(bytes);
  if (bytes.length < 16)
    throw new DecodeError(`udp tracker request of ${bytes.length} bytes (< 16)`);
  const connectionId = r.bytes(8);
  const action = r.u32();
  const transactionId = r.u32();
  if (action === ACTION_CONNECT) {
    if (new Reader(connectionId).u64() !== UDP_PROTOCOL_ID) {
      throw new DecodeError('connect request without the protocol id');
    }
    return { action: 'connect', transactionId };
  }
  if (action === ACTION_ANNOUNCE) {
    if (bytes.length < 98)
      throw new DecodeError(`announce request of ${bytes.length} bytes (< 98)`);
    const infoHash = r.bytes(20);
    const peerId = r.bytes(20);
    const downloaded = u64Number(r);
    const left = u64Number(r);
    const uploaded = u64Number(r);
    const eventCode = r.u32();
    const ip = r.u32();
    const key = r.u32();
    const numWant = r.i32();
    const port = r.u16();
    // Unknown event codes count as a regular announce; BEP 41 options after byte 98 are ignored.
    return {
      action: 'announce',
      connectionId,
      transactionId,
      infoHash,
      peerId,
      downloaded,
      left,
      uploaded,
      event: EVENTS[eventCode],
      ip,
      key,
      numWant,
      port,
    };
  }
  if (action === ACTION_SCRAPE) {
    const infoHashes: Uint8Array[] = [];
    while (r.remaining >= 20 && infoHashes.length < MAX_UDP_SCRAPE) infoHashes.push(r.bytes(20));
    return { action: 'scrape', connectionId, transactionId, infoHashes };
  }
  throw new DecodeError(`unknown udp tracker action ${action}`);
}

// ---- responses ---------------------------------------------------------------------------------

/** connect response, 16 bytes: u32 action 0, u32 transaction_id, u64 connection_id. */
export function encodeConnectResponse(transactionId: number, connectionId: Uint8Array): Uint8Array {
  checkLength(connectionId, 8, 'connection_id');
  return new Writer(16).u32(ACTION_CONNECT).u32(transactionId).bytes(connectionId).finish();
}

/**
 * announce response, 20 + 6n (or 18n) bytes: u32 action 1, u32 transaction_id, u32 interval,
 * u32 leechers, u32 seeders, compact peers. Leechers come BEFORE seeders.
 */
export function encodeAnnounceResponse(fields: {
  transactionId: number;
  interval: number;
  leechers: number;
  seeders: number;
  peers: Uint8Array;
}): Uint8Array {
  return new Writer(20 + fields.peers.length)
    .u32(ACTION_ANNOUNCE)
    .u32(fields.transactionId)
    .u32(fields.interval)
    .u32(fields.leechers)
    .u32(fields.seeders)
    .bytes(fields.peers)
    .finish();
}

/** scrape response, 8 + 12n bytes: per hash u32 seeders, u32 completed, u32 leechers. */
export function encodeScrapeResponse(
  transactionId: number,
  entries: readonly UdpScrapeEntry[],
): Uint8Array {
  const w = new Writer(8 + 12 * entries.length).u32(ACTION_SCRAPE).u32(transactionId);
  for (const e of entries) w.u32(e.seeders).u32(e.completed).u32(e.leechers);
  return w.finish();
}

/** error response: u32 action 3, u32 transaction_id, message bytes (UTF-8). */
export function encodeErrorResponse(transactionId: number, message: string): Uint8Array {
  return new Writer(8 + message.length).u32(ACTION_ERROR).u32(transactionId).utf8(message).finish();
}

/** The action and transaction id of a response (first 8 bytes), to route it before decoding. */
export function peekUdpResponse(
  bytes: Uint8Array,
): { action: number; transactionId: number } | undefined {
  if (bytes.length < 8) return undefined;
  const r = new Reader(bytes);
  return { action: r.u32(), transactionId: r.u32() };
}

/**
 * Decodes what a tracker sent. Throws DecodeError below BEP 15's minimum sizes: connect 16,
 * announce 20 (opentracker's 8-byte announce reply for an unknown torrent is one), scrape 8,
 * error 8.
 */
export function decodeUdpResponse(bytes: Uint8Array): UdpResponse {
  if (bytes.length < 8)
    throw new DecodeError(`udp tracker response of ${bytes.length} bytes (< 8)`);
  const r = new Reader(bytes);
  const action = r.u32();
  const transactionId = r.u32();
  switch (action) {
    case ACTION_CONNECT:
      if (bytes.length < 16)
        throw new DecodeError(`connect response of ${bytes.length} bytes (< 16)`);
      return { action: 'connect', transactionId, connectionId: r.bytes(8).slice() };
    case ACTION_ANNOUNCE: {
      if (bytes.length < 20)
        throw new DecodeError(`announce response of ${bytes.length} bytes (< 20)`);
      const interval = r.u32();
      const leechers = r.u32();
      const seeders = r.u32();
      return {
        action: 'announce',
        transactionId,
        interval,
        leechers,
        seeders,
        peers: r.bytes(r.remaining),
      };
    }
    case ACTION_SCRAPE: {
      const entries: UdpScrapeEntry[] = [];
      while (r.remaining >= 12)
        entries.push({ seeders: r.u32(), completed: r.u32(), leechers: r.u32() });
      return { action: 'scrape', transactionId, entries };
    }
    case ACTION_ERROR: {
      let end = bytes.length;
      // opentracker appends a NUL to its messages.
      while (end > 8 && bytes[end - 1] === 0) end--;
      const message = new TextDecoder().decode(bytes.subarray(8, Math.min(end, 8 + 1024)));
      return { action: 'error', transactionId, message };
    }
    default:
      throw new DecodeError(`unknown udp tracker action ${action}`);
  }
}

function u64Number(r: Reader): number {
  const value = r.u64();
  // Counters beyond 2^53 are nonsense from a client; saturate rather than lose the packet.
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

function checkLength(bytes: Uint8Array, n: number, what: string): void {
  if (bytes.length !== n) throw new RangeError(`${what} must be ${n} bytes, got ${bytes.length}`);
}
