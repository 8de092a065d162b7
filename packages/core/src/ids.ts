import { readIdBytes } from './codec/reader.js';
import { idByteLength, writeIdBytes } from './codec/writer.js';
import { P2PError } from './errors.js';

/**
 * An m-bit id as ceil(m/8) big-endian bytes (the wire form of ids in every p2pkit overlay).
 * Throws P2PError `ERR_INVALID_ARGUMENT` unless 0 ≤ id < 2^m.
 */
export function idToBytes(id: bigint, m: number): Uint8Array {
  const n = idByteLength(m);
  if (!(id >= 0n && id >> BigInt(m) === 0n)) {
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
