/**
 * The fields descriptors share: lenient UTF-8 text, IPv4 addresses, vendor codes, trailing GGEP
 * and the HUGE/XML/GGEP extension blocks of Queries and Query Hit results.
 */
import { DecodeError, ipv4ToUint32, P2PError, Reader, type Writer } from '@p2pkit/core';
import { GGEP_MAGIC, type GgepExtension, readGgep, writeGgep } from './ggep.js';

/** The separator of extension parts (HUGE §3). */
export const FS = 0x1c;

const utf8Decoder = new TextDecoder('utf-8');

/**
 * Text from the wire, leniently: invalid UTF-8 (old servents wrote Latin-1 names) becomes
 * U+FFFD instead of failing the descriptor. Node's decoder beats a hand-written ASCII loop from
 * about 10 bytes on (names, urns), so only very short text is decoded by hand.
 */
export const utf8 = {
  decode(b: Uint8Array): string {
    const n = b.length;
    if (n <= 8) {
      let s = '';
      for (let i = 0; i < n; i++) {
        const c = b[i]!;
        if (c >= 0x80) return utf8Decoder.decode(b);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8Decoder.decode(b);
  },
};
export const utf8Encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Extension blocks (HUGE / XML / GGEP, FS-separated, GGEP last)

export interface ExtensionBlock {
  urns: string[];
  xml?: string;
  ggep?: GgepExtension[];
  unknownExtensions?: Uint8Array[];
}

export function writeExtensionBlock(
  w: Writer,
  urns: readonly string[],
  xml: string | undefined,
  unknown: readonly Uint8Array[] | undefined,
  ggep: readonly GgepExtension[] | undefined,
  inResult: boolean,
): void {
  let first = true;
  const part = (bytes: Uint8Array) => {
    if (bytes.includes(0) || bytes.includes(FS)) throw invalid('an extension contains NUL or FS');
    if (!first) w.u8(FS);
    w.bytes(bytes);
    first = false;
  };
  for (const urn of urns) part(utf8Encoder.encode(urn));
  if (xml !== undefined && !inResult) part(utf8Encoder.encode(xml));
  for (const u of unknown ?? []) part(u);
  if (ggep?.length) {
    if (!first) w.u8(FS);
    writeGgep(w, ggep);
  }
}

/**
 * Splits `p[start, end)` into FS-separated parts: `urn:` parts, XML (`<` or `{`), one GGEP block
 * (which may itself contain FS bytes, so it is parsed where it starts), anything else kept raw.
 * A GGEP block that fails to parse is kept raw: unknown or broken extensions are not fatal.
 */
export function parseExtensionBlock(
  p: Uint8Array,
  start: number,
  end: number,
  query: boolean,
): ExtensionBlock {
  const out: ExtensionBlock = { urns: [] };
  let at = start;
  while (at < end) {
    if (p[at] === GGEP_MAGIC) {
      const r = new Reader(p, at, end);
      try {
        const ggep = readGgep(r);
        out.ggep = out.ggep ? [...out.ggep, ...ggep] : ggep;
        at = r.offset;
        if (at < end && p[at] === FS) at++;
        continue;
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
      }
    }
    let next = p.indexOf(FS, at);
    if (next < 0 || next > end) next = end;
    const part = p.subarray(at, next);
    if (part.length > 0) {
      if (isUrn(part)) out.urns.push(utf8.decode(part));
      else if (query && (part[0] === 0x3c || part[0] === 0x7b) && out.xml === undefined) {
        out.xml = utf8.decode(part);
      } else (out.unknownExtensions ??= []).push(part);
    }
    at = next + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Starts with `urn:`, any case. */
export function isUrn(b: Uint8Array): boolean {
  return (
    b.length >= 4 &&
    (b[0]! | 0x20) === 0x75 &&
    (b[1]! | 0x20) === 0x72 &&
    (b[2]! | 0x20) === 0x6e &&
    b[3] === 0x3a
  );
}

export function readTrailingGgep(p: Uint8Array, at: number, what: string): GgepExtension[] {
  if (p[at] !== GGEP_MAGIC) {
    throw new DecodeError(`${what} has ${p.length - at} trailing bytes that are not GGEP`);
  }
  const r = new Reader(p, at);
  const ggep = readGgep(r);
  r.expectEnd();
  return ggep;
}

export function readIp(r: Reader): string {
  return `${r.u8()}.${r.u8()}.${r.u8()}.${r.u8()}`;
}

/** Dotted IPv4 to the 32-bit value written big-endian; P2PError for anything else. */
export function ipToUint32(ip: string): number {
  const v = ipv4ToUint32(ip);
  if (v < 0) throw invalid(`not an IPv4 address: ${ip}`);
  return v;
}

export function writeAscii4(w: Writer, code: string): void {
  if (!/^[\x20-\x7e]{4}$/.test(code)) throw invalid(`vendor code must be 4 ASCII chars: ${code}`);
  for (let i = 0; i < 4; i++) w.u8(code.charCodeAt(i));
}

export function invalid(message: string): P2PError {
  return new P2PError(message, 'ERR_INVALID_ARGUMENT');
}
