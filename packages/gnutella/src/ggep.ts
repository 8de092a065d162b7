import { DecodeError, P2PError, type Reader, type Writer } from '@p2pkit/core';
import { cobsDecode, cobsEncode } from './cobs.js';
import { deflateZlib, inflateBounded } from './inflate.js';

/** First byte of every GGEP block (0.6 draft §2.3). */
export const GGEP_MAGIC = 0xc3;

/** Largest GGEP data length the 3-byte length field can say. */
export const GGEP_MAX_DATA = 262_143;

/** A deflated extension may not inflate beyond the largest descriptor we accept. */
const MAX_INFLATED = 65_536;

const FLAG_LAST = 0x80;
const FLAG_COBS = 0x40;
const FLAG_DEFLATE = 0x20;
const FLAG_RESERVED = 0x10;

/** One GGEP extension. `data` is the decoded payload (COBS undone, inflated). */
export interface GgepExtension {
  /** 1 to 15 ASCII characters, e.g. `H`, `DU`, `GUE`. */
  readonly id: string;
  readonly data: Uint8Array;
  /** Written COBS-encoded (needed where a NUL may not appear, e.g. inside a Query Hit result). */
  readonly cobs?: boolean;
  /** Written deflated (zlib). */
  readonly deflate?: boolean;
}

/** Writes a GGEP block (magic byte, then every extension, the last one flagged). */
export function writeGgep(w: Writer, extensions: readonly GgepExtension[]): Writer {
  if (extensions.length === 0) {
    throw new P2PError('a GGEP block needs at least one extension', 'ERR_INVALID_ARGUMENT');
  }
  w.u8(GGEP_MAGIC);
  for (let i = 0; i < extensions.length; i++) {
    const ext = extensions[i]!;
    const id = ext.id;
    if (!validGgepId(id)) {
      throw new P2PError(`invalid GGEP id ${JSON.stringify(id)}`, 'ERR_INVALID_ARGUMENT');
    }
    let data = ext.data;
    if (ext.deflate) data = deflateZlib(data);
    if (ext.cobs) data = cobsEncode(data);
    if (data.length > GGEP_MAX_DATA) {
      throw new P2PError(`GGEP data of ${data.length} bytes is too long`, 'ERR_INVALID_ARGUMENT');
    }
    let flags = id.length;
    if (i === extensions.length - 1) flags |= FLAG_LAST;
    if (ext.cobs) flags |= FLAG_COBS;
    if (ext.deflate) flags |= FLAG_DEFLATE;
    w.u8(flags);
    for (let k = 0; k < id.length; k++) w.u8(id.charCodeAt(k));
    writeGgepLength(w, data.length);
    w.bytes(data);
  }
  return w;
}

/** 1 to 15 ASCII characters, none of them NUL. */
export function validGgepId(id: string): boolean {
  if (id.length < 1 || id.length > 15) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === 0 || c > 0x7f) return false;
  }
  return true;
}

/** The data length in 6-bit chunks, most significant first: `MLxxxxxx` per byte. */
export function writeGgepLength(w: Writer, n: number): void {
  if (n < 64) {
    w.u8(0x40 | n);
  } else if (n < 4096) {
    w.u8(0x80 | (n >> 6)).u8(0x40 | (n & 63));
  } else {
    w.u8(0x80 | (n >> 12))
      .u8(0x80 | ((n >> 6) & 63))
      .u8(0x40 | (n & 63));
  }
}

/**
 * Reads one GGEP block starting at the magic byte and stopping after the extension flagged
 * last. DecodeError on a missing magic byte, a reserved flag, an empty or NUL-bearing id, a bad
 * length, bad COBS or zlib data.
 */
export function readGgep(r: Reader): GgepExtension[] {
  const magic = r.u8();
  if (magic !== GGEP_MAGIC) {
    throw new DecodeError(`GGEP block starts with 0x${magic.toString(16)}, not 0xc3`);
  }
  const out: GgepExtension[] = [];
  for (;;) {
    const flags = r.u8();
    if (flags & FLAG_RESERVED) throw new DecodeError('GGEP extension with the reserved flag set');
    const idLength = flags & 0x0f;
    if (idLength === 0) throw new DecodeError('GGEP extension with an empty id');
    const idBytes = r.bytes(idLength);
    let id = '';
    for (const b of idBytes) {
      if (b === 0) throw new DecodeError('GGEP id contains a NUL byte');
      id += String.fromCharCode(b);
    }
    const length = readGgepLength(r);
    let data: Uint8Array = r.bytes(length);
    const cobs = (flags & FLAG_COBS) !== 0;
    const deflate = (flags & FLAG_DEFLATE) !== 0;
    if (cobs) data = cobsDecode(data);
    if (deflate) data = inflateBounded(data, MAX_INFLATED);
    const ext: GgepExtension = cobs || deflate ? { id, data, cobs, deflate } : { id, data };
    out.push(ext);
    if (flags & FLAG_LAST) return out;
  }
}

function readGgepLength(r: Reader): number {
  let n = 0;
  for (let i = 0; i < 3; i++) {
    const b = r.u8();
    n = (n << 6) | (b & 0x3f);
    if (b & 0x40) return n;
    if (!(b & 0x80)) throw new DecodeError('GGEP length byte with neither "more" nor "last" set');
  }
  throw new DecodeError('GGEP length longer than 3 bytes');
}

/** The first extension with this id, if any. */
export function findGgep(
  extensions: readonly GgepExtension[] | undefined,
  id: string,
): GgepExtension | undefined {
  return extensions?.find((e) => e.id === id);
}
