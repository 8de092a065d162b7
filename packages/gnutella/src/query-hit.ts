/** Query Hit payloads (0x81): results, the EQHD trailer (vendor, flags, GGEP) and the servent id. */
import { DecodeError, Reader, type Writer } from '@p2pkit/core';
import {
  invalid,
  ipToUint32,
  parseExtensionBlock,
  utf8,
  writeAscii4,
  writeExtensionBlock,
} from './descriptor-fields.js';
import type { QueryHit, QueryHitResult, QueryHitTrailer } from './descriptor-types.js';
import { GGEP_MAGIC, type GgepExtension, readGgep, writeGgep } from './ggep.js';
import { GUID_LENGTH } from './guid.js';

export function writeQueryHit(w: Writer, m: QueryHit): Writer {
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

export function decodeQueryHit(p: Uint8Array): QueryHit {
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
