import { DecodeError } from '../errors.js';

/**
 * RFC 4648 base32 (the upper-case A–Z 2–7 alphabet), as magnet links' old 32-character
 * info-hashes and Gnutella's `urn:sha1:` (HUGE) spell a 20-byte SHA-1 digest.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Value of each ASCII code in base32, either case; -1 where the code is not in the alphabet. */
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) {
  VALUES[ALPHABET.charCodeAt(i)] = i;
  VALUES[ALPHABET.toLowerCase().charCodeAt(i)] = i;
}

/**
 * Unpadded lengths a whole number of bytes can have: 8 characters carry 5 bytes, and a tail of
 * 2, 4, 5 or 7 characters carries 1, 2, 3 or 4 (RFC 4648 section 6).
 */
const TAIL_BYTES = [0, -1, 1, -1, 2, 3, -1, 4];

/** Upper-case base32 of `bytes`, without `=` padding (20 bytes → 32 characters). */
export function encodeBase32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/**
 * The bytes spelled by `text` in base32 (either case, `=` padding optional). A character
 * outside the alphabet, a length no byte count has, or non-zero unused bits in the last
 * character are a DecodeError: each byte string has exactly one spelling.
 */
export function decodeBase32(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d /* = */) end--;
  if (end < text.length && text.length % 8 !== 0) {
    throw new DecodeError('base32 padding must fill the last 8-character group');
  }
  const tail = TAIL_BYTES[end % 8]!;
  if (tail < 0) throw new DecodeError(`no byte string has ${end} base32 characters`);
  const out = new Uint8Array(Math.floor(end / 8) * 5 + tail);
  let bits = 0;
  let value = 0;
  let at = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? VALUES[code]! : -1;
    if (v < 0) throw new DecodeError(`not a base32 character at ${i}: ${JSON.stringify(text[i])}`);
    value = ((value << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >>> bits) & 0xff;
    }
  }
  if ((value & ((1 << bits) - 1)) !== 0) {
    throw new DecodeError('base32 text has non-zero bits after its last byte');
  }
  return out;
}
