import { httpRequest, P2PError, type Runtime } from '@p2pkit/core';
import { asBytes, asDict, asInt } from '../bencode/access.js';
import { binaryToBytes, bytesToBinary, decodeUtf8, toHex } from '../bencode/binary.js';
import { bdecode } from '../bencode/decode.js';
import { type BDict, BencodeError, type BValue } from '../bencode/types.js';
import { decodeCompactPeers, parseIp, type TrackerPeer } from './compact.js';
import { TrackerError } from './errors.js';
import type { AnnounceParams, AnnounceResult, ScrapeEntry, ScrapeResult } from './types.js';

export interface HttpTrackerOptions {
  /** Whole-request deadline in ms (default 15 s). */
  timeoutMs?: number;
  /** Largest reply accepted (default 1 MiB; a 50-peer compact reply is ~400 bytes). */
  maxResponseSize?: number;
  signal?: AbortSignal;
}

const HEX = '0123456789ABCDEF';

/**
 * Percent-encodes raw bytes for a query string: every byte outside `0-9 A-Z a-z . - _ ~` as `%XX`
 * (RFC 3986 unreserved). Never `+` for a space, never stops at a NUL byte.
 */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const unreserved =
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x2d ||
      b === 0x2e ||
      b === 0x5f ||
      b === 0x7e;
    out += unreserved ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/**
 * The announce GET URL (BEP 3): the tracker URL (its own query, e.g. a passkey, kept) plus
 * info_hash, peer_id, port, uploaded, downloaded, left, compact=1 (BEP 23), and event, numwant,
 * key, trackerid when set.
 */
export function buildAnnounceUrl(announceUrl: string, params: AnnounceParams): string {
  checkAnnounceParams(params);
  const base = announceUrl.replace(/#.*$/, '');
  const query = [
    `info_hash=${percentEncodeBytes(params.infoHash)}`,
    `peer_id=${percentEncodeBytes(params.peerId)}`,
    `port=${params.port}`,
    `uploaded=${params.uploaded}`,
    `downloaded=${params.downloaded}`,
    `left=${params.left}`,
    'compact=1',
  ];
  if (params.event) query.push(`event=${params.event}`);
  if (params.numwant !== undefined) query.push(`numwant=${params.numwant}`);
  if (params.key !== undefined)
    query.push(`key=${(params.key >>> 0).toString(16).padStart(8, '0')}`);
  if (params.trackerId) query.push(`trackerid=${percentEncodeBytes(params.trackerId)}`);
  return `${base}${base.includes('?') ? '&' : '?'}${query.join('&')}`;
}

/**
 * The scrape URL of an announce URL (BEP 48): the last path component must start with
 * `announce`, which becomes `scrape`. Undefined when the tracker has no scrape convention.
 */
export function scrapeUrlFor(announceUrl: string): string | undefined {
  const match = /^([^?#]*\/)announce([^/?#]*)(\?[^#]*)?(#.*)?$/.exec(announceUrl);
  if (!match) return undefined;
  return `${match[1]}scrape${match[2]}${match[3] ?? ''}`;
}

/** The scrape GET URL for some info-hashes (`info_hash` repeated). */
export function buildScrapeUrl(announceUrl: string, infoHashes: readonly Uint8Array[]): string {
  const base = scrapeUrlFor(announceUrl);
  if (base === undefined) {
    throw new TrackerError(
      `cannot scrape ${announceUrl}: no "announce" in its path`,
      'ERR_TRACKER_URL',
    );
  }
  const query = infoHashes.map((h) => `info_hash=${percentEncodeBytes(h)}`).join('&');
  return query.length === 0 ? base : `${base}${base.includes('?') ? '&' : '?'}${query}`;
}

/** HTTP announce. Rejects with TrackerError (or core TimeoutError/AbortError/NetworkError). */
export async function httpAnnounce(
  runtime: Runtime,
  announceUrl: string,
  params: AnnounceParams,
  options: HttpTrackerOptions = {},
): Promise<AnnounceResult> {
  const response = await get(runtime, buildAnnounceUrl(announceUrl, params), options);
  return parseAnnounceResponse(bodyOf(response));
}

/** HTTP scrape (BEP 48). */
export async function httpScrape(
  runtime: Runtime,
  announceUrl: string,
  infoHashes: readonly Uint8Array[],
  options: HttpTrackerOptions = {},
): Promise<ScrapeResult> {
  const response = await get(runtime, buildScrapeUrl(announceUrl, infoHashes), options);
  return parseScrapeResponse(bodyOf(response));
}

/** A tracker's reply, read whole (it is small: a 50-peer compact reply is ~400 bytes). */
interface TrackerReply {
  readonly status: number;
  readonly reason: string;
  readonly body: Uint8Array;
}

async function get(
  runtime: Runtime,
  url: string,
  options: HttpTrackerOptions,
): Promise<TrackerReply> {
  try {
    const response = await httpRequest(runtime, url, {
      timeoutMs: options.timeoutMs ?? 15_000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let body: Uint8Array;
    try {
      body = await response.body.bytes(options.maxResponseSize ?? 1024 * 1024);
    } catch (error) {
      // Cut short or too long: the reply is bad, whatever the socket said (an abort is ours).
      if (options.signal?.aborted || !(error instanceof P2PError)) throw error;
      throw new TrackerError(`bad HTTP reply: ${error.message}`, 'ERR_TRACKER_RESPONSE', {
        cause: error,
      });
    }
    return { status: response.status, reason: response.reason, body };
  } catch (error) {
    if (error instanceof P2PError && error.code === 'ERR_HTTP_URL') {
      throw new TrackerError(error.message, 'ERR_TRACKER_URL', { cause: error });
    }
    if (error instanceof P2PError && error.code === 'ERR_DECODE') {
      throw new TrackerError(`bad HTTP reply: ${error.message}`, 'ERR_TRACKER_RESPONSE', {
        cause: error,
      });
    }
    throw error;
  }
}

/** The body of a 200 reply; a failure reason in any reply; else ERR_TRACKER_HTTP. */
function bodyOf(response: TrackerReply): Uint8Array {
  if (response.status === 200) return response.body;
  const reason = tryFailureReason(response.body);
  if (reason !== undefined) throw failure(reason);
  throw new TrackerError(
    `tracker answered HTTP ${response.status} ${response.reason}`,
    'ERR_TRACKER_HTTP',
  );
}

function tryFailureReason(body: Uint8Array): string | undefined {
  try {
    const dict = asDict(bdecode(body, { strict: false, maxDepth: 16 }));
    return dict ? failureReason(dict) : undefined;
  } catch {
    return undefined;
  }
}

function failureReason(dict: BDict): string | undefined {
  // BEP 3 `failure reason`; BEP 48 writes `failure_reason` for scrape.
  const raw = asBytes(dict.get('failure reason') ?? dict.get('failure_reason'));
  return raw ? textOf(raw) : undefined;
}

function failure(reason: string): TrackerError {
  return new TrackerError(`tracker refused: ${reason}`, 'ERR_TRACKER_FAILURE', { reason });
}

function garbage(message: string, cause?: unknown): TrackerError {
  return new TrackerError(`bad tracker reply: ${message}`, 'ERR_TRACKER_RESPONSE', { cause });
}

function textOf(bytes: Uint8Array): string {
  const capped = bytes.subarray(0, 1024);
  return decodeUtf8(capped) ?? bytesToBinary(capped);
}

function decodeReply(body: Uint8Array): BDict {
  let value: BValue;
  try {
    // Trackers in the wild write non-canonical bencode; nothing here is hashed, so be lenient.
    value = bdecode(body, { strict: false, maxDepth: 16 });
  } catch (error) {
    if (error instanceof BencodeError) throw garbage(error.message, error);
    throw error;
  }
  const dict = asDict(value);
  if (!dict) throw garbage('not a dictionary');
  const reason = failureReason(dict);
  if (reason !== undefined) throw failure(reason);
  return dict;
}

function count(value: BValue | undefined): number | undefined {
  const n = asInt(value);
  return n !== undefined && n >= 0 ? n : undefined;
}

/** Parses an announce reply (BEP 3, BEP 23 compact `peers`, BEP 7 `peers6`). */
export function parseAnnounceResponse(body: Uint8Array): AnnounceResult {
  const dict = decodeReply(body);
  const interval = asInt(dict.get('interval'));
  if (interval === undefined || interval <= 0) throw garbage('missing or invalid interval');
  const peers: TrackerPeer[] = [];
  const peersField = dict.get('peers');
  if (peersField instanceof Uint8Array) {
    peers.push(...decodeCompactPeers(peersField, 4));
  } else if (Array.isArray(peersField)) {
    for (const entry of peersField) {
      const peer = dictPeer(entry);
      if (peer) peers.push(peer);
    }
  } else if (peersField !== undefined) {
    throw garbage('peers is neither a string nor a list');
  }
  const peers6 = asBytes(dict.get('peers6'));
  if (peers6) peers.push(...decodeCompactPeers(peers6, 6));
  const warning = asBytes(dict.get('warning message'));
  return {
    interval,
    minInterval: count(dict.get('min interval')),
    trackerId: asBytes(dict.get('tracker id'))?.slice(),
    complete: count(dict.get('complete')),
    incomplete: count(dict.get('incomplete')),
    warning: warning ? textOf(warning) : undefined,
    peers,
  };
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A `{peer id, ip, port}` entry, or undefined when it is unusable (skipped, not fatal). */
function dictPeer(entry: BValue): TrackerPeer | undefined {
  const dict = asDict(entry);
  const ipBytes = asBytes(dict?.get('ip'));
  const port = asInt(dict?.get('port'));
  if (!dict || !ipBytes || port === undefined || port < 1 || port > 65535) return undefined;
  const ip = decodeUtf8(ipBytes);
  if (ip === undefined) return undefined;
  const bytes = parseIp(ip);
  if (!bytes && !HOSTNAME.test(ip)) return undefined;
  const host = ip.replace(/^\[(.*)\]$/, '$1');
  const peerId = asBytes(dict.get('peer id'));
  return peerId && peerId.length === 20 ? { host, port, peerId: peerId.slice() } : { host, port };
}

/** Parses a scrape reply (BEP 48): `files` keyed by 20-byte info-hashes. */
export function parseScrapeResponse(body: Uint8Array): ScrapeResult {
  const dict = decodeReply(body);
  const files = asDict(dict.get('files'));
  if (!files) throw garbage('missing files dictionary');
  const result: ScrapeResult = new Map();
  for (const [rawKey, value] of files) {
    const stats = asDict(value);
    const key = rawKey.length === 20 ? rawKey : repairedHashKey(rawKey);
    if (key === undefined || !stats) continue;
    const entry: ScrapeEntry = {
      complete: count(stats.get('complete')) ?? 0,
      incomplete: count(stats.get('incomplete')) ?? 0,
      downloaded: count(stats.get('downloaded')) ?? 0,
    };
    result.set(toHex(binaryToBytes(key)), entry);
  }
  return result;
}

/**
 * npm bittorrent-tracker's HTTP server writes each scrape key as the UTF-8 encoding of the hash
 * read as Latin-1 (28 bytes or so instead of 20). Undo that when it yields exactly 20 bytes;
 * a correct 20-byte key never gets here.
 */
function repairedHashKey(key: string): string | undefined {
  const text = decodeUtf8(binaryToBytes(key));
  if (text === undefined || text.length !== 20) return undefined;
  for (let i = 0; i < 20; i++) if (text.charCodeAt(i) > 0xff) return undefined;
  return text;
}

/** Throws RangeError on parameters no tracker could accept (programming errors). */
export function checkAnnounceParams(params: AnnounceParams): void {
  if (params.infoHash.length !== 20) throw new RangeError('infoHash must be 20 bytes');
  if (params.peerId.length !== 20) throw new RangeError('peerId must be 20 bytes');
  if (!Number.isInteger(params.port) || params.port < 0 || params.port > 65535) {
    throw new RangeError(`invalid port ${params.port}`);
  }
  for (const key of ['uploaded', 'downloaded', 'left'] as const) {
    const v = params[key];
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`invalid ${key} ${v}`);
  }
  if (params.numwant !== undefined && (!Number.isInteger(params.numwant) || params.numwant < 0)) {
    throw new RangeError(`invalid numwant ${params.numwant}`);
  }
}
