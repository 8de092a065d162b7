import { readIdBytes } from './codec/reader.js';
import { idByteLength, idLimit, writeIdBytes } from './codec/writer.js';
import { P2PError } from './errors.js';
import { sha1 } from './sha1.js';

/**
 * An m-bit id as ceil(m/8) big-endian bytes (the wire form of ids in every p2pkit overlay).
 * Throws P2PError `ERR_INVALID_ARGUMENT` unless 0 ≤ id < 2^m.
 */
export function idToBytes(id: bigint, m: number): Uint8Array {
  const n = idByteLength(m);
  if (!(id >= 0n && id < idLimit(m))) {
    throw new P2PError(`id ${id} does not fit in ${m} bits`, 'ERR_INVALID_ARGUMENT');
  }
  const out = new Uint8Array(n);
  writeIdBytes(id, out, 0, n);
  return out;
}

/** `bytes` read as an unsigned big-endian integer (any length; empty gives 0n). */
export function idFromBytes(bytes: Uint8Array): bigint {
  return readIdBytes(bytes, 0, bytes.length);
}

/**
 * `digest` read as a big-endian unsigned integer, mod 2^m: "hash, then keep the low m bits"
 * (Chord's rule for m-bit identifiers). 1 ≤ m ≤ 160; P2PError `ERR_INVALID_ARGUMENT` otherwise.
 * Only the last ceil(m/8) bytes are read; up to 48 bits the value is built as a plain number.
 */
export function truncateId(digest: Uint8Array, m: number): bigint {
  if (!(Number.isInteger(m) && m >= 1 && m <= 160)) {
    throw new P2PError(`id width m must be an integer in 1..160, got ${m}`, 'ERR_INVALID_ARGUMENT');
  }
  const n = (m + 7) >>> 3;
  const end = digest.length;
  const start = end - n;
  if (start < 0) return readIdBytes(digest, 0, end); // shorter than m bits: already < 2^m
  const spare = m & 7;
  if (spare === 0) return readIdBytes(digest, start, end);
  const top = digest[start]! & ((1 << spare) - 1);
  if (m <= 48) {
    let value = top;
    for (let i = start + 1; i < end; i++) value = value * 256 + digest[i]!;
    return BigInt(value);
  }
  return (BigInt(top) << BigInt(8 * (n - 1))) | readIdBytes(digest, start + 1, end);
}

/** The m-bit id of a node: truncateId(sha1(`${host}:${port}`), m). */
export function nodeId(host: string, port: number, m: number): bigint {
  return truncateId(sha1(`${host}:${port}`), m);
}

/** The m-bit id of a key: truncateId(sha1(key), m); a string key is hashed as UTF-8. */
export function keyId(key: Uint8Array | string, m: number): bigint {
  return truncateId(sha1(key), m);
}
