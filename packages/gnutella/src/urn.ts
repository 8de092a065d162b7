import { DecodeError } from '@p2pkit/core';

// RFC 4648 base32 for HUGE urns. A second copy lives in @p2pkit/bittorrent's magnet parser:
// both should use one in core (requested; see the package's notes).
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `urn:sha1:` + the 32-character base32 of a 20-byte SHA-1 digest (HUGE, 0.6 draft appendix 1). */
export function sha1Urn(digest: Uint8Array): string {
  if (digest.length !== 20) throw new DecodeError('a SHA-1 digest has 20 bytes');
  let out = 'urn:sha1:';
  let bits = 0;
  let value = 0;
  for (const b of digest) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
  }
  return out;
}

/**
 * The 20-byte digest of a `urn:sha1:<32 base32>` (prefix case-insensitive, base32 either case),
 * or undefined when `urn` is not one.
 */
export function parseSha1Urn(urn: string): Uint8Array | undefined {
  if (urn.length !== 41 || urn.slice(0, 9).toLowerCase() !== 'urn:sha1:') return undefined;
  const out = new Uint8Array(20);
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 9; i < 41; i++) {
    const v = ALPHABET.indexOf(urn[i]!.toUpperCase());
    if (v < 0) return undefined;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[o++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}

/** The canonical spelling (`urn:sha1:` lower-case, base32 upper-case) or undefined. */
export function normalizeSha1Urn(urn: string): string | undefined {
  const digest = parseSha1Urn(urn);
  return digest && sha1Urn(digest);
}
