/** Byte-array comparisons every protocol needs (ids, hashes, whole pieces). */

/**
 * True when both arrays hold the same bytes. Long arrays that share a 4-byte alignment are
 * compared a 32-bit word at a time (a 16 KiB piece: 4,096 steps instead of 16,384); short ones
 * (ids, hashes) byte by byte, where making two word views would cost more than it saves.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  if (n >= 256 && (a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0) {
    const words = n >>> 2;
    const x = new Int32Array(a.buffer, a.byteOffset, words);
    const y = new Int32Array(b.buffer, b.byteOffset, words);
    for (let i = 0; i < words; i++) if (x[i] !== y[i]) return false;
    for (let i = words << 2; i < n; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The chunks joined in one array. A single chunk is returned as it is, not copied: callers
 * that keep the result while the chunk's owner reuses it must copy it themselves.
 * `total` (the sum of the lengths), when the caller already counts it, saves a pass.
 */
export function concatBytes(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  if (total === undefined) {
    total = 0;
    for (const c of chunks) total += c.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
