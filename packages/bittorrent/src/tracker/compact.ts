/**
 * Compact peer lists (BEP 23: 6 bytes per IPv4 peer; BEP 7: 18 bytes per IPv6 peer), each an
 * address in network order followed by a big-endian u16 port, and the IP text conversions they
 * need. Portable: no node:net.
 */

import { ipv4ToUint32 } from '@p2pkit/core';

export type IpFamily = 4 | 6;

/** A peer as trackers report it. `peerId` only comes with non-compact (dictionary) replies. */
export interface TrackerPeer {
  readonly host: string;
  readonly port: number;
  readonly peerId?: Uint8Array;
}

/** Bytes of a canonical dotted-quad IPv4 literal (no leading zeros), or undefined. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const value = ipv4ToUint32(text);
  if (value < 0) return undefined;
  return new Uint8Array([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]);
}

/** Bytes of an IPv6 literal (RFC 4291 text forms, `::`, embedded IPv4; no zone), or undefined. */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  let head = text;
  let tail = '';
  const gap = text.indexOf('::');
  if (gap !== -1) {
    if (text.indexOf('::', gap + 1) !== -1) return undefined;
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
  }
  const words: number[] = [];
  const tailWords: number[] = [];
  const parseGroups = (part: string, into: number[], allowV4: boolean): boolean => {
    if (part === '') return true;
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i]!;
      if (allowV4 && i === groups.length - 1 && group.includes('.')) {
        const v4 = parseIPv4(group);
        if (!v4) return false;
        into.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return false;
        into.push(Number.parseInt(group, 16));
      }
    }
    return true;
  };
  if (gap === -1) {
    if (!parseGroups(head, words, true) || words.length !== 8) return undefined;
  } else {
    if (!parseGroups(head, words, false) || !parseGroups(tail, tailWords, true)) return undefined;
    if (words.length + tailWords.length > 7) return undefined;
    while (words.length + tailWords.length < 8) words.push(0);
    words.push(...tailWords);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  return out;
}

/** Address bytes (4 or 16) of an IP literal, or undefined. Brackets around IPv6 are accepted. */
export function parseIp(text: string): Uint8Array | undefined {
  if (text.startsWith('[') && text.endsWith(']')) return parseIPv6(text.slice(1, -1));
  return text.includes(':') ? parseIPv6(text) : parseIPv4(text);
}

/** 4 bytes → `a.b.c.d`; 16 bytes → RFC 5952 text (longest zero run as `::`, lower case). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16)
    throw new RangeError(`an IP address is 4 or 16 bytes, not ${bytes.length}`);
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    words
      .slice(from, to)
      .map((w) => w.toString(16))
      .join(':');
  if (bestStart === -1) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** 4 for an IPv4 literal, 6 for IPv6, undefined otherwise. */
export function ipFamily(text: string): IpFamily | undefined {
  const bytes = parseIp(text);
  return bytes ? (bytes.length === 4 ? 4 : 6) : undefined;
}

/**
 * Compact peer list of one family. Peers of the other family, or whose host is not an IP
 * literal, are skipped (they cannot be expressed).
 */
export function encodeCompactPeers(
  peers: readonly { host: string; port: number }[],
  family: IpFamily,
): Uint8Array {
  const stride = family === 4 ? 6 : 18;
  const out = new Uint8Array(peers.length * stride);
  let at = 0;
  for (const peer of peers) {
    const ip = parseIp(peer.host);
    if (!ip || ip.length !== stride - 2) continue;
    if (!Number.isInteger(peer.port) || peer.port < 0 || peer.port > 65535) continue;
    out.set(ip, at);
    out[at + stride - 2] = peer.port >> 8;
    out[at + stride - 1] = peer.port & 0xff;
    at += stride;
  }
  return out.slice(0, at);
}

/**
 * Reads a compact peer list. A trailing partial entry is ignored and entries with port 0 are
 * skipped (nothing can listen there); otherwise every entry is taken as it is.
 */
export function decodeCompactPeers(bytes: Uint8Array, family: IpFamily): TrackerPeer[] {
  const stride = family === 4 ? 6 : 18;
  const peers: TrackerPeer[] = [];
  for (let at = 0; at + stride <= bytes.length; at += stride) {
    const port = (bytes[at + stride - 2]! << 8) | bytes[at + stride - 1]!;
    if (port === 0) continue;
    peers.push({ host: formatIp(bytes.subarray(at, at + stride - 2)), port });
  }
  return peers;
}
