/**
 * The two building blocks every Kelips message body is made of: an address and a name.
 * PROTOCOL.md ("Address", "Name") documents the bytes.
 *
 * The address layout is the envelope's (ENVELOPE.md in @p2pkit/core): family 4 + four octets
 * for a canonical dotted-quad IPv4 host, family 0 + length + UTF-8 for anything else, then the
 * port. Core does not export that codec on its own yet, so it is written here on core's
 * Reader/Writer and ipv4ToUint32.
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

const FAMILY_NAME = 0;
const FAMILY_IPV4 = 4;

/** Longest file name, in UTF-8 bytes (the length is one byte; 0 is refused). */
export const MAX_NAME_LENGTH = 255;
/** Longest textual host, in UTF-8 bytes. */
export const MAX_HOST_LENGTH = 255;

/** Bytes `writeAddress` produces for `address`. */
export function addressLength(address: Address): number {
  return ipv4ToUint32(address.host) >= 0 ? 7 : 4 + utf8Length(address.host);
}

/**
 * Writes `address`. Throws P2PError `ERR_INVALID_ARGUMENT` for a port outside 0..65535 or an
 * empty or too long host (a bug in the caller: addresses we send come from our own state).
 */
export function writeAddress(w: Writer, address: Address): void {
  const { host, port } = address;
  if (!(Number.isInteger(port) && port >= 0 && port <= 0xffff)) {
    throw new P2PError(`port out of range: ${port}`, 'ERR_INVALID_ARGUMENT');
  }
  const v4 = ipv4ToUint32(host);
  if (v4 >= 0) {
    w.u8(FAMILY_IPV4).u32(v4);
  } else {
    const n = utf8Length(host);
    if (n === 0 || n > MAX_HOST_LENGTH) {
      throw new P2PError(`host of ${n} bytes not in 1..${MAX_HOST_LENGTH}`, 'ERR_INVALID_ARGUMENT');
    }
    w.u8(FAMILY_NAME).u8(n).utf8(host);
  }
  w.u16(port);
}

/** Reads an address written by writeAddress; DecodeError for anything else. */
export function readAddress(r: Reader): Address {
  const family = r.u8();
  let host: string;
  if (family === FAMILY_IPV4) {
    const v = r.u32();
    host = `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
  } else if (family === FAMILY_NAME) {
    const n = r.u8();
    if (n === 0) throw new DecodeError('empty host name');
    host = r.utf8(n);
    // One encoding per address: a dotted quad must be sent as family 4.
    if (ipv4ToUint32(host) >= 0) throw new DecodeError(`IPv4 address ${host} sent as a name`);
  } else {
    throw new DecodeError(`unknown address family ${family}`);
  }
  return { host, port: r.u16() };
}

/** Checks a name and returns its UTF-8 length (P2PError `ERR_INVALID_ARGUMENT` if unusable). */
export function checkName(name: string): number {
  const n = utf8Length(name);
  if (n === 0 || n > MAX_NAME_LENGTH) {
    throw new P2PError(
      `a name must be 1..${MAX_NAME_LENGTH} bytes of UTF-8, got ${n}`,
      'ERR_INVALID_ARGUMENT',
    );
  }
  return n;
}

/** Writes a name: its UTF-8 length (one byte, 1..255), then the bytes. */
export function writeName(w: Writer, name: string): void {
  w.u8(checkName(name)).utf8(name);
}

/** Reads a name written by writeName. */
export function readName(r: Reader): string {
  const n = r.u8();
  if (n === 0) throw new DecodeError('empty name');
  return r.utf8(n);
}
