/**
 * BEP 6 allowed-fast set: the k pieces a peer may fetch from us while choked. Canonical
 * algorithm, so every client computes the same set for the same (ip /24, info-hash):
 * x = (ip & 0xFFFFFF00) ‖ info_hash; repeat x = SHA-1(x), take the five u32be words of each
 * digest mod the piece count, skipping duplicates, until k indices are collected.
 */

/**
 * The allowed-fast set for the peer at IPv4 `ip` (4 bytes). `k` is clamped to the piece count
 * (a set larger than the torrent cannot be filled).
 */
export function allowedFastSet(
  ip: Uint8Array,
  infoHash: Uint8Array,
  pieceCount: number,
  k: number,
  sha1: (data: Uint8Array) => Uint8Array,
): number[] {
  const want = Math.min(k, pieceCount);
  const set: number[] = [];
  if (want <= 0) return set;
  let x: Uint8Array = new Uint8Array(24);
  x.set(ip.subarray(0, 3), 0);
  x[3] = 0;
  x.set(infoHash, 4);
  const seen = new Set<number>();
  while (set.length < want) {
    x = sha1(x);
    for (let i = 0; i < 5 && set.length < want; i++) {
      const j = i * 4;
      const y = ((x[j]! << 24) | (x[j + 1]! << 16) | (x[j + 2]! << 8) | x[j + 3]!) >>> 0;
      const index = y % pieceCount;
      if (!seen.has(index)) {
        seen.add(index);
        set.push(index);
      }
    }
  }
  return set;
}
