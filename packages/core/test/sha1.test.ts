import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha1 } from '../src/index.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('sha1', () => {
  it('matches the FIPS 180 test vectors', () => {
    expect(hex(sha1('abc'))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(hex(sha1(''))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(hex(sha1('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    );
    expect(hex(sha1(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      '34aa973cd4c4daa4f61eeb2bdbad27316534016f',
    );
    expect(hex(sha1('a'.repeat(1_000_000)))).toBe('34aa973cd4c4daa4f61eeb2bdbad27316534016f');
  });

  it('hashes every length around the padding boundaries like node:crypto', () => {
    const data = new Uint8Array(200).map((_, i) => (i * 31 + 7) & 0xff);
    for (let n = 0; n <= 200; n++) {
      const slice = data.subarray(0, n);
      expect(hex(sha1(slice)), `length ${n}`).toBe(createHash('sha1').update(slice).digest('hex'));
    }
  });

  it('hashes strings as UTF-8 and byte views at any offset (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(hex(sha1(text))).toBe(createHash('sha1').update(text, 'utf8').digest('hex'));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(20), (bytes, skip) => {
        const view = bytes.subarray(Math.min(skip, bytes.length));
        expect(hex(sha1(view))).toBe(createHash('sha1').update(view).digest('hex'));
      }),
    );
  });

  it('returns a fresh 20-byte array each call', () => {
    const a = sha1('x');
    const b = sha1('y');
    expect(a.length).toBe(20);
    expect(hex(a)).toBe(createHash('sha1').update('x').digest('hex'));
    expect(a).not.toBe(b);
  });
});
