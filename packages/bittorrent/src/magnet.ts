import {
  type Address,
  DecodeError,
  decodeBase32,
  formatAddress,
  P2PError,
  parseAddress,
} from '@p2pkit/core';
import { fromHex, toHex } from './bencode/binary.js';

/**
 * Magnet links (BEP 9): `magnet:?xt=urn:btih:<info-hash>&dn=<name>&tr=<tracker>&x.pe=<peer>`.
 * The info-hash is 40 hex chars or, for old links, 32 base32 chars.
 */
export interface MagnetLink {
  /** 20 bytes. */
  readonly infoHash: Uint8Array;
  readonly infoHashHex: string;
  /** `dn`, the display name. */
  readonly name: string | undefined;
  /** `tr` (and `tr.N`) tracker URLs, in order, without duplicates. */
  readonly trackers: readonly string[];
  /** `x.pe` peer addresses (`host:port`, `[v6]:port`); malformed ones are skipped. */
  readonly peers: readonly Address[];
  /** `xl`, the exact length in bytes, when given. */
  readonly length: number | undefined;
  /** `ws` web seeds. */
  readonly webSeeds: readonly string[];
}

/**
 * - `ERR_MAGNET_INVALID`: not a magnet URI, no `xt`, a malformed info-hash or escape, too long.
 * - `ERR_MAGNET_UNSUPPORTED`: only a v2 (`urn:btmh:`) hash, which this package does not handle.
 */
export type MagnetErrorCode = 'ERR_MAGNET_INVALID' | 'ERR_MAGNET_UNSUPPORTED';

export class MagnetError extends P2PError {
  declare readonly code: MagnetErrorCode;

  constructor(message: string, code: MagnetErrorCode = 'ERR_MAGNET_INVALID') {
    super(message, code);
    this.name = 'MagnetError';
  }
}

/** Longest magnet URI accepted (a link with hundreds of trackers stays well below). */
export const MAX_MAGNET_LENGTH = 65536;

/** Parses a magnet URI; throws MagnetError. */
export function parseMagnet(uri: string): MagnetLink {
  if (uri.length > MAX_MAGNET_LENGTH) {
    throw new MagnetError(`magnet URI longer than ${MAX_MAGNET_LENGTH} chars`);
  }
  const match = /^magnet:\?(.*)$/is.exec(uri.trim());
  if (!match) throw new MagnetError('not a magnet URI (expected "magnet:?...")');
  let infoHash: Uint8Array | undefined;
  let sawV2 = false;
  let name: string | undefined;
  let length: number | undefined;
  const trackers: string[] = [];
  const peers: Address[] = [];
  const webSeeds: string[] = [];
  for (const part of match[1]!.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const key = (eq === -1 ? part : part.slice(0, eq)).toLowerCase();
    const raw = eq === -1 ? '' : part.slice(eq + 1);
    const base = key.replace(/\.\d+$/, '');
    switch (base) {
      case 'xt': {
        const value = percentDecode(raw, key);
        const btih = /^urn:btih:(.*)$/i.exec(value);
        if (btih) {
          const hash = decodeInfoHash(btih[1]!);
          if (infoHash && toHex(infoHash) !== toHex(hash)) {
            throw new MagnetError('two different urn:btih info-hashes');
          }
          infoHash = hash;
        } else if (/^urn:btmh:/i.test(value)) {
          sawV2 = true;
        }
        break;
      }
      case 'dn':
        // Form-style '+' for spaces is common in the wild in display names.
        name = percentDecode(raw.replace(/\+/g, ' '), key);
        break;
      case 'tr': {
        const url = percentDecode(raw, key);
        if (url.length > 0 && !trackers.includes(url)) trackers.push(url);
        break;
      }
      case 'ws': {
        const url = percentDecode(raw, key);
        if (url.length > 0) webSeeds.push(url);
        break;
      }
      case 'x.pe':
        try {
          peers.push(parseAddress(percentDecode(raw, key)));
        } catch (error) {
          if (!(error instanceof P2PError)) throw error;
        }
        break;
      case 'xl': {
        const value = percentDecode(raw, key);
        if (/^\d{1,16}$/.test(value) && Number.isSafeInteger(Number(value))) length = Number(value);
        break;
      }
      default:
        break;
    }
  }
  if (!infoHash) {
    if (sawV2) throw new MagnetError('only a v2 (urn:btmh) info-hash', 'ERR_MAGNET_UNSUPPORTED');
    throw new MagnetError('no xt=urn:btih: info-hash');
  }
  return {
    infoHash,
    infoHashHex: toHex(infoHash),
    name,
    trackers,
    peers,
    length,
    webSeeds,
  };
}

/** Formats a magnet URI (hex info-hash; every value percent-encoded). */
export function formatMagnet(link: {
  infoHash: Uint8Array;
  name?: string | undefined;
  trackers?: readonly string[];
  peers?: readonly Address[];
  length?: number | undefined;
  webSeeds?: readonly string[];
}): string {
  if (link.infoHash.length !== 20) throw new RangeError('infoHash must be 20 bytes');
  const parts = [`xt=urn:btih:${toHex(link.infoHash)}`];
  if (link.name !== undefined) parts.push(`dn=${encodeURIComponent(link.name)}`);
  if (link.length !== undefined) parts.push(`xl=${link.length}`);
  for (const tr of link.trackers ?? []) parts.push(`tr=${encodeURIComponent(tr)}`);
  for (const ws of link.webSeeds ?? []) parts.push(`ws=${encodeURIComponent(ws)}`);
  for (const peer of link.peers ?? [])
    parts.push(`x.pe=${encodeURIComponent(formatAddress(peer))}`);
  return `magnet:?${parts.join('&')}`;
}

function percentDecode(value: string, key: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new MagnetError(`malformed percent-encoding in ${key}`);
  }
}

function decodeInfoHash(text: string): Uint8Array {
  if (text.length === 40) {
    const bytes = fromHex(text);
    if (bytes) return bytes;
  } else if (text.length === 32) {
    // 32 base32 characters are exactly 160 bits: core's decoder (either case) gives 20 bytes.
    try {
      return decodeBase32(text);
    } catch (error) {
      if (error instanceof DecodeError) throw new MagnetError('info-hash is not valid base32');
      throw error;
    }
  }
  throw new MagnetError('info-hash must be 40 hex or 32 base32 chars');
}
