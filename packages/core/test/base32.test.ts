import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, decodeBase32, encodeBase32 } from '../src/index.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('base32 (RFC 4648)', () => {
  // RFC 4648 section 10's test vectors, written without and with their padding.
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY======'],
    ['fo', 'MZXQ===='],
    ['foo', 'MZXW6==='],
    ['foob', 'MZXW6YQ='],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI======'],
  ];

  it('encodes the RFC vectors (unpadded) and decodes them padded, unpadded and lower-case', () => {
    for (const [plain, padded] of vectors) {
      const bare = padded.replace(/=+$/, '');
      expect(encodeBase32(bytes(plain))).toBe(bare);
      expect(decodeBase32(padded)).toEqual(bytes(plain));
      expect(decodeBase32(bare)).toEqual(bytes(plain));
      expect(decodeBase32(bare.toLowerCase())).toEqual(bytes(plain));
    }
  });

  it('spells a SHA-1 digest in 32 characters, as HUGE urns and magnet links do', () => {
    // sha1("") = da39a3ee5e6b4b0d3255bfef95601890afd80709, urn:sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ
    const digest = Uint8Array.from(
      'da39a3ee5e6b4b0d3255bfef95601890afd80709'.match(/../g)!.map((h) => parseInt(h, 16)),
    );
    expect(encodeBase32(digest)).toBe('3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ');
    expect(decodeBase32('3i42h3s6nnfq2msvx7xzkyayscx5qbyj')).toEqual(digest);
  });

  it('round-trips any bytes, and decodes only the one spelling of each', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const text = encodeBase32(data);
        expect(text).toMatch(/^[A-Z2-7]*$/);
        expect(decodeBase32(text)).toEqual(data);
      }),
    );
  });

  it('refuses bad characters, impossible lengths, stray bits and broken padding', () => {
    for (const bad of [
      'MZXW6YT1',
      'MZXW6YT!',
      'M',
      'MZX',
      'MZXW6Y',
      'MZ======',
      'MZXQ=',
      'MZXW6YTé',
    ]) {
      expect(() => decodeBase32(bad), bad).toThrow(DecodeError);
    }
  });

  it('either decodes or throws a DecodeError on any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          const out = decodeBase32(text);
          expect(encodeBase32(out)).toBe(text.replace(/=+$/, '').toUpperCase());
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});
