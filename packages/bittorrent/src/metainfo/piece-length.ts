/** Smallest piece length: one 16 KiB block (BEP 3 for v2, BEP 52; what every client requests). */
export const MIN_PIECE_LENGTH = 16 * 1024;
/** Largest piece length chosen automatically. */
export const MAX_AUTO_PIECE_LENGTH = 16 * 1024 * 1024;
/** Most pieces the automatic choice aims for. */
export const TARGET_MAX_PIECES = 2048;

/**
 * The piece length `createMetainfo` uses when none is given: the smallest power of two from
 * 16 KiB to 16 MiB that splits `totalLength` into at most 2048 pieces. So a torrent has 1024 to
 * 2048 pieces (fewer when small, more above 32 GiB): few enough that the metainfo stays small
 * (20 bytes a piece), enough that peers can trade pieces early.
 * Examples: 1 MiB → 16 KiB (64 pieces); 256 MiB → 128 KiB; 4 GiB → 2 MiB.
 */
export function choosePieceLength(totalLength: number): number {
  let length = MIN_PIECE_LENGTH;
  while (length < MAX_AUTO_PIECE_LENGTH && Math.ceil(totalLength / length) > TARGET_MAX_PIECES) {
    length *= 2;
  }
  return length;
}

/** True when `n` is a positive power of two (safe integer range). */
export function isPowerOfTwo(n: number): boolean {
  if (!Number.isSafeInteger(n) || n <= 0) return false;
  // Bitwise ops are 32-bit; use division for large values.
  while (n > 1) {
    if (n % 2 !== 0) return false;
    n /= 2;
  }
  return true;
}
