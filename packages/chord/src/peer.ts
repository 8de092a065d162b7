/**
 * A peer as a Chord node knows it: ring id, transport address, and a map key. Peers are
 * immutable; the encoded wire form is computed once and cached, because the same few peers are
 * written into many messages (successor lists, candidate lists).
 */
import {
  type Address,
  DecodeError,
  formatAddress,
  type Id,
  P2PError,
  type Reader,
} from '@p2pkit/core';
import { spaceFor } from './space.js';

/**
 * `hi` and `write` read only an id's characters, never m: any space serves (the peer does not
 * know its ring's width; its id already has the right length).
 */
const ANY = spaceFor(160);

export class Peer {
  /** Ring id (core's Id: a binary string of ceil(m/8) characters). */
  readonly id: Id;
  /** IdSpace.hi(id): the leading 30 bits, for the number-only hot path of routing. */
  readonly hi: number;
  readonly address: Address;
  #key: string | undefined;
  #wire: Uint8Array | undefined;

  constructor(id: Id, address: Address) {
    this.id = id;
    this.hi = ANY.hi(id);
    this.address = address;
  }

  /** `host:port`: the identity used to deduplicate peers and key per-peer state. */
  get key(): string {
    if (this.#key === undefined) this.#key = formatAddress(this.address);
    return this.#key;
  }

  /** Wire form: the id bytes followed by the encoded address (PROTOCOL.md, "Peer"). */
  get wire(): Uint8Array {
    if (this.#wire === undefined) {
      const address = encodeAddress(this.address);
      const out = new Uint8Array(this.id.length + address.length);
      ANY.write(this.id, out, 0);
      out.set(address, this.id.length);
      this.#wire = out;
    }
    return this.#wire;
  }
}

const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Address tags on the wire. */
export const ADDRESS_IPV4 = 4;
export const ADDRESS_TEXT = 0;
/** Longest textual host accepted (a DNS name's limit). */
export const MAX_HOST_LENGTH = 253;

/**
 * Address wire form: tag 4 + 4 bytes for a canonical dotted-quad IPv4 host, otherwise tag 0 +
 * u8 length + the host's bytes (IPv6 literals, simulated host names); then the u16 port.
 */
export function encodeAddress(address: Address): Uint8Array {
  const { host, port } = address;
  if (!(Number.isInteger(port) && port >= 0 && port <= 0xffff)) {
    throw new P2PError(`port out of range: ${port}`, 'ERR_INVALID_ARGUMENT');
  }
  const v4 = IPV4.exec(host);
  if (v4) {
    return Uint8Array.of(
      ADDRESS_IPV4,
      Number(v4[1]),
      Number(v4[2]),
      Number(v4[3]),
      Number(v4[4]),
      port >>> 8,
      port & 0xff,
    );
  }
  const n = host.length;
  if (n === 0 || n > MAX_HOST_LENGTH) {
    throw new P2PError(`host length ${n} not in 1..253`, 'ERR_INVALID_ARGUMENT');
  }
  const out = new Uint8Array(2 + n + 2);
  out[0] = ADDRESS_TEXT;
  out[1] = n;
  for (let i = 0; i < n; i++) {
    const c = host.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) {
      throw new P2PError('host must be printable ASCII', 'ERR_INVALID_ARGUMENT');
    }
    out[2 + i] = c;
  }
  out[2 + n] = port >>> 8;
  out[3 + n] = port & 0xff;
  return out;
}

/** Reads an address written by encodeAddress. `bytes` is the array `reader` reads from. */
export function readAddress(reader: Reader, bytes: Uint8Array): Address {
  const tag = reader.u8();
  let host: string;
  if (tag === ADDRESS_IPV4) {
    const at = reader.offset;
    reader.skip(4);
    host = `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  } else if (tag === ADDRESS_TEXT) {
    const n = reader.u8();
    if (n === 0 || n > MAX_HOST_LENGTH) throw new DecodeError(`host length ${n} not in 1..253`);
    const at = reader.offset;
    reader.skip(n);
    for (let i = at; i < at + n; i++) {
      const c = bytes[i]!;
      if (c < 0x21 || c > 0x7e) throw new DecodeError(`non-printable host byte at offset ${i}`);
    }
    host = String.fromCharCode.apply(null, bytes.subarray(at, at + n) as unknown as number[]);
  } else {
    throw new DecodeError(`unknown address tag ${tag}`);
  }
  return { host, port: reader.u16() };
}

/** Reads a peer (id of `idBytes` bytes for an m-bit ring, then an address). */
export function readPeer(reader: Reader, bytes: Uint8Array, m: number): Peer {
  const space = spaceFor(m);
  const at = reader.offset;
  reader.skip(space.bytes);
  return new Peer(space.fromBytes(bytes, at), readAddress(reader, bytes));
}
