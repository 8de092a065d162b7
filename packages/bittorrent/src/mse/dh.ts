/**
 * The Diffie-Hellman exchange of MSE: the 768-bit prime P given by the MSE specification
 * (the Oakley group 1 prime), generator G = 2, 160-bit private keys. Public keys travel as
 * exactly 96 big-endian bytes. Pure bigint arithmetic, so it runs anywhere (the simulator too).
 */
import { ProtocolError } from '@p2pkit/core';

export const DH_PRIME = BigInt(
  '0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563',
);
export const DH_GENERATOR = 2n;
/** Bytes of a public key or shared secret on the wire. */
export const DH_KEY_LENGTH = 96;

/** base^exponent mod modulus, square-and-multiply over the exponent's bits. */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    e >>= 1n;
    if (e > 0n) b = (b * b) % modulus;
  }
  return result;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new RangeError(`value does not fit in ${length} bytes`);
  return out;
}

export interface DhKeyPair {
  readonly privateKey: bigint;
  /** G^x mod P as 96 big-endian bytes. */
  readonly publicKey: Uint8Array;
}

/** A key pair from 20 random bytes (160 bits, as libtorrent, Transmission and aria2 use). */
export function createDhKeyPair(randomBytes: Uint8Array): DhKeyPair {
  if (randomBytes.length < 16) throw new RangeError('need at least 128 random bits');
  let privateKey = bytesToBigInt(randomBytes);
  if (privateKey < 2n) privateKey += 2n;
  const publicKey = bigIntToBytes(modPow(DH_GENERATOR, privateKey, DH_PRIME), DH_KEY_LENGTH);
  return { privateKey, publicKey };
}

/**
 * S = Y^x mod P as 96 bytes. Refuses degenerate public keys (0, 1, P-1 and out of range): they
 * would force a known secret.
 */
export function dhSecret(privateKey: bigint, peerPublicKey: Uint8Array): Uint8Array {
  if (peerPublicKey.length !== DH_KEY_LENGTH)
    throw new ProtocolError('MSE public key of wrong size');
  const y = bytesToBigInt(peerPublicKey);
  if (y <= 1n || y >= DH_PRIME - 1n) throw new ProtocolError('degenerate MSE public key');
  return bigIntToBytes(modPow(y, privateKey, DH_PRIME), DH_KEY_LENGTH);
}
