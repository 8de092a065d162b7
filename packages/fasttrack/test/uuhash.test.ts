import { DecodeError, sha1 } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ContentHasher,
  hashContent,
  hashFromHex,
  hashToHex,
  PIECE_SIZE,
  pieceCount,
  UUHASH_CHUNK,
  uuhashChecksum,
  uuhashSamples,
} from '../src/uuhash.js';

const hasher = { sha1: (data: Uint8Array) => sha1(data) };

/** The test files: byte i is (31 i + 7) mod 251 (no period that lines up with the samples). */
function content(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + 7) % 251;
  return out;
}

/**
 * UUHash and its URL checksum for `content(size)`, computed outside this package by an
 * independent script from giFT-FastTrack's description (Python: hashlib.md5 of the first
 * 307,200 bytes; zlib.crc32 over the samples, register = crc32 ^ 0xFFFFFFFF, XOR size, little
 * endian; binascii.crc_hqx(hash, 0) & 0x3FFF). PROTOCOL.md, "UUHash", lists the same vectors.
 */
const GOLDEN: [size: number, uuhash: string, checksum: number][] = [
  [0, 'd41d8cd98f00b204e9800998ecf8427effffffff', 10881],
  [1, '89e74e640b8c46257a29de0616794d5dfeffffff', 16153],
  [UUHASH_CHUNK, 'e7975d16e678d16390036b1aa745fd4bff4ffbff', 13760],
  [UUHASH_CHUNK + 1, 'e7975d16e678d16390036b1aa745fd4b17b04e30', 13009],
  // One byte short of keeping the 1 MiB sample, then exactly enough (giFT keeps it).
  [1_048_576 + 2 * UUHASH_CHUNK - 1, 'e7975d16e678d16390036b1aa745fd4b1c79553c', 2733],
  [1_048_576 + 2 * UUHASH_CHUNK, 'e7975d16e678d16390036b1aa745fd4b4f82d477', 9967],
  [5 * 1_048_576 + 3, 'e7975d16e678d16390036b1aa745fd4b54ac6817', 2390],
];

describe('UUHash', () => {
  for (const [size, expected, checksum] of GOLDEN) {
    it(`matches the golden vector for ${size} bytes`, () => {
      const { uuhash } = hashContent(content(size), hasher);
      expect(hashToHex(uuhash)).toBe(expected);
      expect(uuhashChecksum(uuhash)).toBe(checksum);
    });
  }

  it('samples 300 KB at 1, 2, 4 MiB while two chunks fit before the end, then the tail', () => {
    expect(uuhashSamples(UUHASH_CHUNK)).toEqual([]);
    expect(uuhashSamples(UUHASH_CHUNK + 10)).toEqual([[UUHASH_CHUNK, UUHASH_CHUNK + 10]]);
    const size = 5 * 1_048_576 + 3;
    expect(uuhashSamples(size)).toEqual([
      [1_048_576, 1_048_576 + UUHASH_CHUNK],
      [2_097_152, 2_097_152 + UUHASH_CHUNK],
      [4_194_304, 4_194_304 + UUHASH_CHUNK],
      [size - UUHASH_CHUNK, size],
    ]);
  });

  it('leaves bytes outside the samples unchecked (why downloads verify the piece root)', () => {
    const a = content(3 * 1_048_576);
    const b = a.slice();
    b[700_000] = (b[700_000] ?? 0) ^ 0xff; // between the first chunk and the 1 MiB sample
    const ha = hashContent(a, hasher);
    const hb = hashContent(b, hasher);
    expect(hashToHex(hb.uuhash)).toBe(hashToHex(ha.uuhash));
    expect(hashToHex(hb.root)).not.toBe(hashToHex(ha.root));
  });

  it('gives the same hashes whatever the chunking of the input', () => {
    const data = content(2 * 1_048_576 + 12_345);
    const whole = hashContent(data, hasher);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700_000 }), { maxLength: 12 }), (cuts) => {
        const h = new ContentHasher(data.length, hasher);
        let p = 0;
        for (const c of cuts) {
          const n = Math.min(c, data.length - p);
          h.update(data.subarray(p, p + n));
          p += n;
        }
        h.update(data.subarray(p));
        const d = h.digest();
        expect(hashToHex(d.uuhash)).toBe(hashToHex(whole.uuhash));
        expect(hashToHex(d.root)).toBe(hashToHex(whole.root));
      }),
      { numRuns: 10 },
    );
  });

  it('hashes 256 KiB pieces and their root', () => {
    const data = content(PIECE_SIZE + 5);
    const { pieces, root } = hashContent(data, hasher);
    expect(pieceCount(data.length)).toBe(2);
    expect(pieces.length).toBe(40);
    expect(hashToHex(pieces.subarray(0, 20))).toBe(hashToHex(sha1(data.subarray(0, PIECE_SIZE))));
    expect(hashToHex(pieces.subarray(20))).toBe(hashToHex(sha1(data.subarray(PIECE_SIZE))));
    expect(hashToHex(root)).toBe(hashToHex(sha1(pieces)));
    expect(hashContent(new Uint8Array(0), hasher).pieces.length).toBe(20);
  });

  it('refuses more or fewer bytes than the size', () => {
    expect(() => new ContentHasher(3, hasher).update(new Uint8Array(4))).toThrow(RangeError);
    expect(() => new ContentHasher(3, hasher).update(new Uint8Array(2)).digest()).toThrow(
      RangeError,
    );
  });

  it('reads hex in either case and refuses anything else with DecodeError', () => {
    const hex = GOLDEN[3]![1];
    expect(hashToHex(hashFromHex(hex.toUpperCase()))).toBe(hex);
    fc.assert(
      fc.property(fc.string({ maxLength: 44 }), (s) => {
        try {
          expect(hashFromHex(s).length).toBe(20);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});
