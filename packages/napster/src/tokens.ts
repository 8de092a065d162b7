/**
 * How file names and search phrases are cut into words, on UTF-8 bytes. OpenNap's rule
 * (search.c `tokenize`): a word is a run of letters, digits and apostrophes, compared without
 * case, and a short list of words too common to narrow a search ("the", "mp3", "music", …) is
 * never indexed nor searched. One difference, on purpose: OpenNap's C locale splits words at
 * every byte ≥ 0x80; here those bytes belong to words, so "Björk" stays one word. Case folding
 * is ASCII-only (as OpenNap's).
 */

/** Words longer than this (in bytes) are not indexed, nor searchable. */
export const MAX_TOKEN_BYTES = 64;

// OpenNap's list of words it never indexes (search.c): English function words and the
// directory names that every Windows path of 2000 carried.
const STOPWORDS = new Set([
  'a',
  'i',
  'the',
  'and',
  'in',
  'of',
  'you',
  'it',
  'me',
  'to',
  'on',
  'mp3',
  'c',
  'd',
  'e',
  'f',
  'napster',
  'music',
  'program',
  'files',
  'windows',
  'songs',
  'desktop',
  'my',
  'documents',
  "mp3's",
  'rock',
  'new',
  'winamp',
  'scour',
  'media',
  'agent',
  'stuff',
  'download',
  'home',
  'downloads',
  'live',
  'mp3s',
  '2',
]);

/** 1 for bytes that belong to words: ASCII letters and digits, `'`, and every byte ≥ 0x80. */
const WORD = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  WORD[b] =
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    b === 0x27 ||
    b >= 0x80
      ? 1
      : 0;
}

/** ASCII lower case of a byte. */
export function lowerByte(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** True when `word` (already lower case) is one OpenNap never indexes. */
export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/**
 * The distinct indexable words of `bytes[from, to)`, lower case, in order of first appearance
 * (appended to `out`, skipping the words already there).
 * Each word is a string of one character per byte (UTF-8 bytes kept as they are), which is how
 * the index keys them.
 */
export function tokenize(
  bytes: Uint8Array,
  from = 0,
  to = bytes.length,
  out: string[] = [],
): string[] {
  let i = from;
  while (i < to) {
    while (i < to && WORD[bytes[i]!] === 0) i++;
    const start = i;
    while (i < to && WORD[bytes[i]!] === 1) i++;
    const n = i - start;
    if (n === 0 || n > MAX_TOKEN_BYTES) continue;
    let word = '';
    for (let j = start; j < i; j++) word += String.fromCharCode(lowerByte(bytes[j]!));
    if (STOPWORDS.has(word) || out.includes(word)) continue;
    out.push(word);
  }
  return out;
}

const encoder = new TextEncoder();
/** Where search phrases are encoded (reused: a search allocates no bytes for its words). */
let scratch = new Uint8Array(1024);

/**
 * The indexable words of a text (a search phrase), as `tokenize` cuts the UTF-8 bytes,
 * appended to `out` without repeats.
 */
export function tokenizeText(text: string, out: string[] = []): string[] {
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
  const { written } = encoder.encodeInto(text, scratch);
  return tokenize(scratch, 0, written, out);
}

/**
 * True when `bytes[from, to)` contains `word` (as `tokenize` keys it) as a whole word, case
 * folded. No allocation: this is the search's per-candidate check.
 */
export function hasWord(bytes: Uint8Array, from: number, to: number, word: string): boolean {
  const n = word.length;
  let i = from;
  while (i < to) {
    while (i < to && WORD[bytes[i]!] === 0) i++;
    const start = i;
    while (i < to && WORD[bytes[i]!] === 1) i++;
    if (i - start !== n) continue;
    let j = 0;
    while (j < n && lowerByte(bytes[start + j]!) === word.charCodeAt(j)) j++;
    if (j === n) return true;
  }
  return false;
}
