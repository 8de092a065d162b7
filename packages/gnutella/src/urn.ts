import { DecodeError, decodeBase32, encodeBase32 } from '@p2pkit/core';

/** `urn:sha1:` + the 32-character base32 of a 20-byte SHA-1 digest (HUGE, 0.6 draft appendix 1). */
export function sha1Urn(digest: Uint8Array): string {
  if (digest.length !== 20) throw new DecodeError('a SHA-1 digest has 20 bytes');
  return `urn:sha1:${encodeBase32(digest)}`;
}

/**
 * The 20-byte digest of a `urn:sha1:<32 base32>` (prefix case-insensitive, base32 either case),
 * or undefined when `urn` is not one.
 */
export function parseSha1Urn(urn: string): Uint8Array | undefined {
  if (urn.length !== 41 || urn.slice(0, 9).toLowerCase() !== 'urn:sha1:') return undefined;
  try {
    return decodeBase32(urn.slice(9));
  } catch {
    return undefined;
  }
}

/** The canonical spelling (`urn:sha1:` lower-case, base32 upper-case) or undefined. */
export function normalizeSha1Urn(urn: string): string | undefined {
  const digest = parseSha1Urn(urn);
  return digest && sha1Urn(digest);
}
