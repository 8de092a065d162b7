/**
 * The pieces every message body is made of: IPv4 addresses, node ids, file entries (what a
 * child uploads), search results and supernode-list entries. PROTOCOL.md documents each byte.
 *
 * Addresses are IPv4 + port, 6 bytes, as FastTrack's supernode lists carried them; a host name
 * or IPv6 address cannot be sent (ERR_INVALID_ARGUMENT), so a node must advertise an IPv4.
 */
import {
  type Address,
  DecodeError,
  ipv4ToUint32,
  P2PError,
  type Reader,
  utf8Length,
  type Writer,
} from '@p2pkit/core';
import { HASH_LENGTH } from './uuhash.js';

/** Node ids are 16 random bytes. */
export const NODE_ID_LENGTH = 16;
/** Longest file name and tag value, in UTF-8 bytes (one length byte). */
export const MAX_TEXT_LENGTH = 255;
/** Most tags one file may carry. */
export const MAX_TAGS = 16;
/** Largest file size on the wire (2^53 - 1: what a varint and a JS number hold). */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;

/** True when `host` is a dotted-quad IPv4 address that can go on the wire. */
export function isIpv4(host: string): boolean {
  return ipv4ToUint32(host) >= 0;
}

export function writeAddress(w: Writer, address: Address): void {
  const v4 = ipv4ToUint32(address.host);
  if (v4 < 0) {
    throw new P2PError(`not an IPv4 address: ${address.host}`, 'ERR_INVALID_ARGUMENT');
  }
  if (!(Number.isInteger(address.port) && address.port >= 0 && address.port <= 0xffff)) {
    throw new P2PError(`port out of range: ${address.port}`, 'ERR_INVALID_ARGUMENT');
  }
  w.u32(v4).u16(address.port);
}

export function readAddress(r: Reader): Address {
  const v = r.u32();
  const port = r.u16();
  return { host: `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`, port };
}

/** A short UTF-8 text: one length byte (0..255), then the bytes. */
export function writeText(w: Writer, text: string): void {
  const n = utf8Length(text);
  if (n > MAX_TEXT_LENGTH) {
    throw new P2PError(`text of ${n} bytes (at most ${MAX_TEXT_LENGTH})`, 'ERR_INVALID_ARGUMENT');
  }
  w.u8(n).utf8(text);
}

export function readText(r: Reader): string {
  return r.utf8(r.u8());
}

export function readNodeId(r: Reader): Uint8Array {
  return r.bytes(NODE_ID_LENGTH).slice();
}

export function writeNodeId(w: Writer, id: Uint8Array): void {
  if (id.length !== NODE_ID_LENGTH) {
    throw new P2PError(`node id of ${id.length} bytes`, 'ERR_INVALID_ARGUMENT');
  }
  w.bytes(id);
}

export function readHash(r: Reader): Uint8Array {
  return r.bytes(HASH_LENGTH).slice();
}

export function writeHash(w: Writer, hash: Uint8Array): void {
  if (hash.length !== HASH_LENGTH) {
    throw new P2PError(`hash of ${hash.length} bytes`, 'ERR_INVALID_ARGUMENT');
  }
  w.bytes(hash);
}

/**
 * Descriptive tags, with FastTrack's tag numbers (giFT-FastTrack's list). Values are UTF-8
 * text on our wire; unknown numbers are skipped by the decoder.
 */
export const TAG_IDS = {
  year: 0x01,
  title: 0x04,
  time: 0x05,
  artist: 0x06,
  album: 0x08,
  language: 0x0a,
  keywords: 0x0c,
  resolution: 0x0d,
  genre: 0x0e,
  bitdepth: 0x11,
  type: 0x12,
  quality: 0x15,
  version: 0x18,
  comment: 0x1a,
  codec: 0x1c,
  rating: 0x1d,
} as const;
export type TagName = keyof typeof TAG_IDS;
export type Tags = Partial<Record<TagName, string>>;

const TAG_NAMES = new Map<number, TagName>(
  Object.entries(TAG_IDS).map(([name, id]) => [id, name as TagName]),
);

function writeTags(w: Writer, tags: Tags | undefined): void {
  const entries = Object.entries(tags ?? {}).filter(
    (e): e is [TagName, string] => typeof e[1] === 'string' && e[0] in TAG_IDS,
  );
  if (entries.length > MAX_TAGS) {
    throw new P2PError(`${entries.length} tags (at most ${MAX_TAGS})`, 'ERR_INVALID_ARGUMENT');
  }
  w.u8(entries.length);
  for (const [name, value] of entries) {
    w.u8(TAG_IDS[name]);
    writeText(w, value);
  }
}

function readTags(r: Reader): Tags {
  const n = r.u8();
  if (n > MAX_TAGS) throw new DecodeError(`${n} tags (at most ${MAX_TAGS})`);
  const tags: Tags = {};
  for (let i = 0; i < n; i++) {
    const id = r.u8();
    const value = readText(r);
    const name = TAG_NAMES.get(id);
    if (name !== undefined) tags[name] = value;
  }
  return tags;
}

/** What a node tells its supernode about one shared file. */
export interface FileEntry {
  /** The UUHash: the file's name on the network. */
  readonly uuhash: Uint8Array;
  /** SHA-1 of the piece hashes: what downloads are verified against. */
  readonly root: Uint8Array;
  readonly size: number;
  /** File name as shared (no directories), 1..255 UTF-8 bytes. */
  readonly name: string;
  readonly tags: Tags;
}

export function writeFileEntry(w: Writer, file: FileEntry): void {
  writeHash(w, file.uuhash);
  writeHash(w, file.root);
  w.varint(file.size);
  if (file.name === '') throw new P2PError('empty file name', 'ERR_INVALID_ARGUMENT');
  writeText(w, file.name);
  writeTags(w, file.tags);
}

export function readFileEntry(r: Reader): FileEntry {
  const uuhash = readHash(r);
  const root = readHash(r);
  const size = r.varint();
  const name = readText(r);
  if (name === '') throw new DecodeError('empty file name');
  const tags = readTags(r);
  return { uuhash, root, size, name, tags };
}

/** A search result: a file and who holds it (and through which supernode to push it). */
export interface SearchResult extends FileEntry {
  /** The holder's address (where `GET /.hash=` goes, unless it is firewalled). */
  readonly holder: Address;
  readonly holderId: Uint8Array;
  /** The holder cannot accept connections: ask its supernode for a Push. */
  readonly firewalled: boolean;
  /** The supernode the holder is attached to (the `X-Kazaa-SupernodeIP` of old). */
  readonly supernode: Address;
}

export function writeResult(w: Writer, result: SearchResult): void {
  writeFileEntry(w, result);
  writeAddress(w, result.holder);
  writeNodeId(w, result.holderId);
  w.u8(result.firewalled ? 1 : 0);
  writeAddress(w, result.supernode);
}

export function readResult(r: Reader): SearchResult {
  const file = readFileEntry(r);
  const holder = readAddress(r);
  const holderId = readNodeId(r);
  const flags = r.u8();
  const supernode = readAddress(r);
  return { ...file, holder, holderId, firewalled: (flags & 1) !== 0, supernode };
}

/** One line of a supernode refresh list. */
export interface SupernodeEntry {
  readonly address: Address;
  /** Children as a percentage of the supernode's target (0..255, saturating). */
  readonly load: number;
  /** Seconds since the sender last heard from it (0..65535, saturating). */
  readonly ageS: number;
}

export function writeSupernodeEntry(w: Writer, entry: SupernodeEntry): void {
  writeAddress(w, entry.address);
  w.u8(Math.max(0, Math.min(255, Math.round(entry.load))));
  w.u16(Math.max(0, Math.min(0xffff, Math.round(entry.ageS))));
}

export function readSupernodeEntry(r: Reader): SupernodeEntry {
  const address = readAddress(r);
  return { address, load: r.u8(), ageS: r.u16() };
}

/** A count (varint) refused above `max` before anything is allocated. */
export function readCount(r: Reader, max: number, what: string): number {
  const n = r.varint();
  if (n > max) throw new DecodeError(`${n} ${what} (at most ${max})`);
  return n;
}
