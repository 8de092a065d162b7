/**
 * SHA-1 (FIPS 180-4) in portable TypeScript: ids must be computable anywhere the main entry
 * runs, without node:crypto. SHA-1 is broken for collision resistance; p2pkit uses it because
 * Chord (m-bit truncated SHA-1 ids) and BitTorrent (info hashes, piece hashes) specify it.
 *
 * Speed: one module-level 80-word schedule, the five state words in locals, the 80 rounds
 * unrolled, and no allocation per call but the 20-byte result (strings are UTF-8 encoded into a
 * reused scratch buffer). bench/sha1.js compares it with node:crypto.
 */

const W = new Int32Array(80);
/** Padding area for the last one or two blocks. */
const TAIL = new Uint8Array(128);
let scratch = new Uint8Array(1024);
const MAX_SCRATCH = 64 * 1024;
const textEncoder = new TextEncoder();

let h0 = 0;
let h1 = 0;
let h2 = 0;
let h3 = 0;
let h4 = 0;

/** The 20-byte SHA-1 digest of `data` (a string is hashed as its UTF-8 bytes). */
export function sha1(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === 'string' ? utf8(data) : data;
  const length = typeof data === 'string' ? utf8Length : data.length;

  h0 = 0x67452301;
  h1 = 0xefcdab89 | 0;
  h2 = 0x98badcfe | 0;
  h3 = 0x10325476;
  h4 = 0xc3d2e1f0 | 0;

  const full = length - (length % 64);
  for (let offset = 0; offset < full; offset += 64) block(bytes, offset);

  // Padding: 0x80, zeros, then the bit length as a 64-bit big-endian integer.
  const rest = length - full;
  for (let i = 0; i < rest; i++) TAIL[i] = bytes[full + i]!;
  TAIL[rest] = 0x80;
  const tailLength = rest < 56 ? 64 : 128;
  TAIL.fill(0, rest + 1, tailLength - 8);
  const bitsHigh = Math.floor(length / 0x2000_0000); // length * 8 / 2^32
  const bitsLow = (length * 8) >>> 0;
  TAIL[tailLength - 8] = bitsHigh >>> 24;
  TAIL[tailLength - 7] = bitsHigh >>> 16;
  TAIL[tailLength - 6] = bitsHigh >>> 8;
  TAIL[tailLength - 5] = bitsHigh;
  TAIL[tailLength - 4] = bitsLow >>> 24;
  TAIL[tailLength - 3] = bitsLow >>> 16;
  TAIL[tailLength - 2] = bitsLow >>> 8;
  TAIL[tailLength - 1] = bitsLow;
  block(TAIL, 0);
  if (tailLength === 128) block(TAIL, 64);

  const out = new Uint8Array(20);
  put(out, 0, h0);
  put(out, 4, h1);
  put(out, 8, h2);
  put(out, 12, h3);
  put(out, 16, h4);
  return out;
}

function put(out: Uint8Array, at: number, word: number): void {
  out[at] = word >>> 24;
  out[at + 1] = word >>> 16;
  out[at + 2] = word >>> 8;
  out[at + 3] = word;
}

let utf8Length = 0;

/** UTF-8 of `text` in the scratch buffer (length in `utf8Length`); ASCII is copied by hand. */
function utf8(text: string): Uint8Array {
  const n = text.length;
  let out = scratch;
  if (out.length < n * 3) {
    // Keep the reused buffer for id-sized strings; hash huge strings in a one-off buffer.
    out = new Uint8Array(n * 3);
    if (n * 3 <= MAX_SCRATCH) scratch = out;
  }
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    out[i] = c;
  }
  utf8Length = i === n ? n : i + textEncoder.encodeInto(text.slice(i), out.subarray(i)).written;
  return out;
}

/** Compresses the 64-byte block at `bytes[offset..]` into h0..h4. */
function block(bytes: Uint8Array, offset: number): void {
  const w = W;
  for (let i = 0, p = offset; i < 16; i++, p += 4) {
    w[i] = (bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!;
  }
  for (let i = 16; i < 80; i++) {
    const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
    w[i] = (x << 1) | (x >>> 31);
  }

  let a = h0;
  let b = h1;
  let c = h2;
  let d = h3;
  let e = h4;

  // The 80 rounds, unrolled (3x faster than four loops in V8). Instead of shifting
  // a <- t, b <- a, c <- rotl30(b), d <- c, e <- d after each round, the register names rotate:
  // round i writes its result into the register that held `e` and rotates `b` in place.
  // Rounds 0-19: Ch(b,c,d) + 0x5a827999; 20-39: b^c^d + 0x6ed9eba1;
  // 40-59: Maj(b,c,d) + 0x8f1bbcdc (written - 0x70e44324); 60-79: b^c^d + 0xca62c1d6 (- 0x359d3e2a).
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + w[0]! + 0x5a827999) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + w[1]! + 0x5a827999) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + w[2]! + 0x5a827999) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + w[3]! + 0x5a827999) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + w[4]! + 0x5a827999) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + w[5]! + 0x5a827999) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + w[6]! + 0x5a827999) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + w[7]! + 0x5a827999) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + w[8]! + 0x5a827999) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + w[9]! + 0x5a827999) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + w[10]! + 0x5a827999) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + w[11]! + 0x5a827999) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + w[12]! + 0x5a827999) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + w[13]! + 0x5a827999) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + w[14]! + 0x5a827999) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + w[15]! + 0x5a827999) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (~a & c)) + d + w[16]! + 0x5a827999) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (~e & b)) + c + w[17]! + 0x5a827999) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (~d & a)) + b + w[18]! + 0x5a827999) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (~c & e)) + a + w[19]! + 0x5a827999) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w[20]! + 0x6ed9eba1) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w[21]! + 0x6ed9eba1) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w[22]! + 0x6ed9eba1) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w[23]! + 0x6ed9eba1) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w[24]! + 0x6ed9eba1) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w[25]! + 0x6ed9eba1) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w[26]! + 0x6ed9eba1) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w[27]! + 0x6ed9eba1) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w[28]! + 0x6ed9eba1) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w[29]! + 0x6ed9eba1) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w[30]! + 0x6ed9eba1) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w[31]! + 0x6ed9eba1) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w[32]! + 0x6ed9eba1) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w[33]! + 0x6ed9eba1) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w[34]! + 0x6ed9eba1) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w[35]! + 0x6ed9eba1) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w[36]! + 0x6ed9eba1) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w[37]! + 0x6ed9eba1) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w[38]! + 0x6ed9eba1) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w[39]! + 0x6ed9eba1) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + w[40]! - 0x70e44324) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + w[41]! - 0x70e44324) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + w[42]! - 0x70e44324) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + w[43]! - 0x70e44324) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + w[44]! - 0x70e44324) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + w[45]! - 0x70e44324) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + w[46]! - 0x70e44324) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + w[47]! - 0x70e44324) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + w[48]! - 0x70e44324) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + w[49]! - 0x70e44324) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + w[50]! - 0x70e44324) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + w[51]! - 0x70e44324) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + w[52]! - 0x70e44324) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + w[53]! - 0x70e44324) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + w[54]! - 0x70e44324) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + w[55]! - 0x70e44324) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + ((a & b) | (a & c) | (b & c)) + d + w[56]! - 0x70e44324) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + ((e & a) | (e & b) | (a & b)) + c + w[57]! - 0x70e44324) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + ((d & e) | (d & a) | (e & a)) + b + w[58]! - 0x70e44324) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + ((c & d) | (c & e) | (d & e)) + a + w[59]! - 0x70e44324) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w[60]! - 0x359d3e2a) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w[61]! - 0x359d3e2a) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w[62]! - 0x359d3e2a) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w[63]! - 0x359d3e2a) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w[64]! - 0x359d3e2a) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w[65]! - 0x359d3e2a) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w[66]! - 0x359d3e2a) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w[67]! - 0x359d3e2a) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w[68]! - 0x359d3e2a) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w[69]! - 0x359d3e2a) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w[70]! - 0x359d3e2a) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w[71]! - 0x359d3e2a) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w[72]! - 0x359d3e2a) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w[73]! - 0x359d3e2a) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w[74]! - 0x359d3e2a) | 0;
  c = (c << 30) | (c >>> 2);
  e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + w[75]! - 0x359d3e2a) | 0;
  b = (b << 30) | (b >>> 2);
  d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + w[76]! - 0x359d3e2a) | 0;
  a = (a << 30) | (a >>> 2);
  c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + w[77]! - 0x359d3e2a) | 0;
  e = (e << 30) | (e >>> 2);
  b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + w[78]! - 0x359d3e2a) | 0;
  d = (d << 30) | (d >>> 2);
  a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + w[79]! - 0x359d3e2a) | 0;
  c = (c << 30) | (c >>> 2);

  h0 = (h0 + a) | 0;
  h1 = (h1 + b) | 0;
  h2 = (h2 + c) | 0;
  h3 = (h3 + d) | 0;
  h4 = (h4 + e) | 0;
}
