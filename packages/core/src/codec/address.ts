/**
 * A transport address in message bodies, in the envelope's layout (ENVELOPE.md, "family"):
 * family 4 + the four octets for a canonical dotted-quad IPv4 host, family 0 + a length byte +
 * UTF-8 for any other host (names, simulated hosts, IPv6 literals), then the port, u16
 * big-endian. Overlays without a standard wire format write the peers they tell each other
 * about this way, so one address has one spelling everywhere, envelope included.
 *
 * One encoding per address: a name that parses as a dotted quad is refused (it has family 4),
 * and so is an empty name (no Address has one).
 */
import { ipv4ToUint32 } from '../address.js';
import { DecodeError, P2PError } from '../errors.js';
import type { Address } from '../runtime.js';
import type { Reader } from './reader.js';
import { encodeUtf8Short, utf8Length, type Writer } from './writer.js';

/** Family byte of a host name (a length byte and UTF-8 follow). */
export const ADDRESS_FAMILY_NAME = 0;
/** Family byte of an IPv4 host (four octets follow). */
export const ADDRESS_FAMILY_IPV4 = 4;
/** Longest host name, in UTF-8 bytes (its length is one byte). */
export const MAX_ADDRESS_NAME_BYTES = 255;

/**
 * Bytes `writeAddress` produces for `address`: 7 for IPv4, 4 + the name's UTF-8 length
 * otherwise. Does not check the address (writeAddress does).
 */
export function addressLength(address: Address): number {
  return ipv4ToUint32(address.host) >= 0 ? 7 : 4 + utf8Length(address.host);
}

/**
 * Writes `address` to `w`. P2PError `ERR_INVALID_ARGUMENT` for a port outside 0..65535 or a
 * host name that is empty or longer than 255 bytes: a bug in the caller, since the addresses a
 * node sends come from its own state.
 */
export function writeAddress(w: Writer, address: Address): void {
  const { host, port } = address;
  checkPort(port);
  const v4 = ipv4ToUint32(host);
  if (v4 >= 0) {
    w.u8(ADDRESS_FAMILY_IPV4).u32(v4);
  } else {
    w.u8(ADDRESS_FAMILY_NAME).u8(nameLength(host)).utf8(host);
  }
  w.u16(port);
}

/**
 * `address` in its own new array, for callers that cache a peer's wire form once. Throws like
 * writeAddress.
 */
export function encodeAddress(address: Address): Uint8Array {
  const { host, port } = address;
  checkPort(port);
  const v4 = ipv4ToUint32(host);
  let out: Uint8Array;
  let p: number;
  if (v4 >= 0) {
    out = Uint8Array.of(ADDRESS_FAMILY_IPV4, v4 >>> 24, v4 >>> 16, v4 >>> 8, v4, 0, 0);
    p = 5;
  } else {
    const n = nameLength(host);
    out = new Uint8Array(4 + n);
    out[0] = ADDRESS_FAMILY_NAME;
    out[1] = n;
    p = encodeUtf8Short(host, out, 2);
  }
  out[p] = port >>> 8;
  out[p + 1] = port;
  return out;
}

/**
 * Reads an address written by writeAddress or encodeAddress. DecodeError for anything else:
 * truncated input, an unknown family, an empty name, invalid UTF-8, a dotted quad sent as a name.
 */
export function readAddress(r: Reader): Address {
  const family = r.u8();
  let host: string;
  if (family === ADDRESS_FAMILY_IPV4) {
    const v = r.u32();
    host = `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
  } else if (family === ADDRESS_FAMILY_NAME) {
    const n = r.u8();
    if (n === 0) throw new DecodeError(`empty host name at offset ${r.offset - 1}`);
    host = r.utf8(n);
    if (ipv4ToUint32(host) >= 0) throw new DecodeError(`IPv4 address ${host} sent as a name`);
  } else {
    throw new DecodeError(`unknown address family ${family} at offset ${r.offset - 1}`);
  }
  return { host, port: r.u16() };
}

function checkPort(port: number): void {
  if (!(Number.isInteger(port) && port >= 0 && port <= 0xffff)) {
    throw new P2PError(`port out of range: ${port}`, 'ERR_INVALID_ARGUMENT');
  }
}

function nameLength(host: string): number {
  const n = utf8Length(host);
  if (n === 0 || n > MAX_ADDRESS_NAME_BYTES) {
    throw new P2PError(
      `host name of ${n} bytes not in 1..${MAX_ADDRESS_NAME_BYTES}`,
      'ERR_INVALID_ARGUMENT',
    );
  }
  return n;
}
