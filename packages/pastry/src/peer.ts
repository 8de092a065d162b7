/**
 * A peer as a Pastry node knows it: its id, its transport address, a map key, and its wire form
 * (cached: the same few peers are written into many messages). Peers are immutable and may be
 * shared between nodes (the simulator's oracle builds share them); what one node measures about
 * a peer (its round-trip time) lives in that node's tables, not here.
 */
import {
  type Address,
  DecodeError,
  formatAddress,
  type Id,
  type IdSpace,
  ipv4ToUint32,
  P2PError,
  type Reader,
} from '@p2pkit/core';

export class Peer {
  readonly id: Id;
  readonly address: Address;
  #key: string | undefined;
  #wire: Uint8Array | undefined;

  constructor(id: Id, address: Address) {
    this.id = id;
    this.address = address;
  }

  /** `host:port`: the identity used to deduplicate peers and key per-peer state. */
  get key(): string {
    if (this.#key === undefined) this.#key = formatAddress(this.address);
    return this.#key;
  }

  /** Wire form in `space` (PROTOCOL.md, "Peer"): the id's bytes, then the address. */
  wire(space: IdSpace): Uint8Array {
    let w = this.#wire;
    if (w === undefined) {
      const address = encodeAddress(this.address);
      w = new Uint8Array(space.bytes + address.length);
      space.write(this.id, w, 0);
      w.set(address, space.bytes);
      this.#wire = w;
    }
    return w;
  }
}

/** Address tags on the wire (the envelope's sender address uses the same layout). */
export const ADDRESS_IPV4 = 4;
const ADDRESS_NAME = 0;
/** Longest host name accepted (a DNS name's limit). */
export const MAX_HOST_LENGTH = 253;

/**
 * An address's wire form: tag 4 and 4 octets for a dotted-quad IPv4 host, otherwise tag 0, a
 * length byte and the name in printable ASCII; then the port, u16 big-endian.
 */
export function encodeAddress(address: Address): Uint8Array {
  const { host, port } = address;
  if (!(Number.isInteger(port) && port >= 0 && port <= 0xffff)) {
    throw new P2PError(`port out of range: ${port}`, 'ERR_INVALID_ARGUMENT');
  }
  const v4 = ipv4ToUint32(host);
  if (v4 >= 0) {
    return Uint8Array.of(ADDRESS_IPV4, v4 >>> 24, v4 >>> 16, v4 >>> 8, v4, port >>> 8, port);
  }
  const n = host.length;
  if (n === 0 || n > MAX_HOST_LENGTH) {
    throw new P2PError(`host length ${n} not in 1..${MAX_HOST_LENGTH}`, 'ERR_INVALID_ARGUMENT');
  }
  const out = new Uint8Array(2 + n + 2);
  out[0] = ADDRESS_NAME;
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

/**
 * IPv4 addresses read so far, in a direct-mapped cache shared by every node of the process: the
 * same few thousand addresses arrive in every answer, and a hit builds no string and no object
 * (addresses are never mutated, so one object serves every reader). A miss overwrites its slot.
 */
const CACHE_BITS = 14;
const cachedV4 = new Int32Array(1 << CACHE_BITS);
const cachedPort = new Int32Array(1 << CACHE_BITS).fill(-1);
const cachedAddress: (Address | undefined)[] = new Array(1 << CACHE_BITS).fill(undefined);

/** Reads an address written by encodeAddress; DecodeError for anything else. */
export function readAddress(reader: Reader): Address {
  const tag = reader.u8();
  let host: string;
  if (tag === ADDRESS_IPV4) {
    const v4 = reader.u32() | 0;
    const port = reader.u16();
    const i = Math.imul(v4 ^ Math.imul(port, 0x10001), 0x9e3779b1) >>> (32 - CACHE_BITS);
    if (cachedV4[i] === v4 && cachedPort[i] === port) return cachedAddress[i]!;
    host = `${v4 >>> 24}.${(v4 >>> 16) & 0xff}.${(v4 >>> 8) & 0xff}.${v4 & 0xff}`;
    const address = { host, port };
    cachedV4[i] = v4;
    cachedPort[i] = port;
    cachedAddress[i] = address;
    return address;
  } else if (tag === ADDRESS_NAME) {
    const n = reader.u8();
    if (n === 0 || n > MAX_HOST_LENGTH) throw new DecodeError(`host length ${n} not in 1..253`);
    const at = reader.offset;
    host = reader.latin1(n);
    for (let i = 0; i < n; i++) {
      const c = host.charCodeAt(i);
      if (c < 0x21 || c > 0x7e)
        throw new DecodeError(`non-printable host byte at offset ${at + i}`);
    }
    if (ipv4ToUint32(host) >= 0) throw new DecodeError(`IPv4 address ${host} sent as a name`);
  } else {
    throw new DecodeError(`unknown address tag ${tag}`);
  }
  return { host, port: reader.u16() };
}

/** Reads an id of `space` from `bytes`, the array `reader` reads. */
export function readId(reader: Reader, bytes: Uint8Array, space: IdSpace): Id {
  const at = reader.offset;
  reader.skip(space.bytes);
  return space.fromBytes(bytes, at);
}

/** Reads a peer: an id of `space`, then an address. `bytes` is the array `reader` reads. */
export function readPeer(reader: Reader, bytes: Uint8Array, space: IdSpace): Peer {
  const id = readId(reader, bytes, space);
  return new Peer(id, readAddress(reader));
}
