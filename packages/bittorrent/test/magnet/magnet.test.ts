import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bencode/index.js';
import { formatMagnet, MagnetError, parseMagnet } from '../../src/magnet.js';

/** Independent base32 (RFC 4648) via BigInt, to cross-check the decoder. */
function base32(bytes: Uint8Array): string {
  let n = BigInt(`0x${toHex(bytes)}`);
  let out = '';
  for (let i = 0; i < 32; i++) {
    out = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[Number(n & 31n)]! + out;
    n >>= 5n;
  }
  return out;
}

const HEX = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a';

describe('magnet', () => {
  it('parses the BEP 9 shape with several trackers and peers', () => {
    const link = parseMagnet(
      `magnet:?xt=urn:btih:${HEX.toUpperCase()}&dn=Some+Name%20here&tr=http%3A%2F%2Ft1%2Fannounce` +
        '&tr=udp%3A%2F%2Ft2%3A80&tr.1=udp%3A%2F%2Ft2%3A80&x.pe=10.0.0.1:6881&x.pe=[::1]:51413' +
        '&x.pe=bad&xl=12345&ws=http%3A%2F%2Fws%2F&foo=bar',
    );
    expect(link.infoHashHex).toBe(HEX);
    expect(link.infoHash).toEqual(fromHex(HEX));
    expect(link.name).toBe('Some Name here');
    expect(link.trackers).toEqual(['http://t1/announce', 'udp://t2:80']);
    expect(link.peers).toEqual([
      { host: '10.0.0.1', port: 6881 },
      { host: '::1', port: 51413 },
    ]);
    expect(link.length).toBe(12345);
    expect(link.webSeeds).toEqual(['http://ws/']);
  });

  it('accepts a 32-char base32 info-hash (either case)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (hash) => {
        const b32 = base32(hash);
        expect(parseMagnet(`magnet:?xt=urn:btih:${b32}`).infoHash).toEqual(hash);
        expect(parseMagnet(`magnet:?xt=urn:btih:${b32.toLowerCase()}`).infoHash).toEqual(hash);
      }),
    );
  });

  it('round-trips through formatMagnet', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.option(fc.string(), { nil: undefined }),
        fc.uniqueArray(fc.webUrl(), { maxLength: 3 }),
        (infoHash, name, trackers) => {
          const link = parseMagnet(
            formatMagnet({ infoHash, name, trackers, peers: [{ host: '::1', port: 1 }] }),
          );
          expect(link.infoHash).toEqual(infoHash);
          expect(link.name).toBe(name);
          expect(link.trackers).toEqual(trackers);
          expect(link.peers).toEqual([{ host: '::1', port: 1 }]);
        },
      ),
    );
    // fast-check's URL generator is slow: 100 runs take a few seconds on a loaded machine.
  }, 30_000);

  const bad: [string, string][] = [
    ['http://x', 'ERR_MAGNET_INVALID'],
    ['magnet:?dn=x', 'ERR_MAGNET_INVALID'],
    ['magnet:?xt=urn:btih:abc', 'ERR_MAGNET_INVALID'],
    [`magnet:?xt=urn:btih:${'g'.repeat(40)}`, 'ERR_MAGNET_INVALID'],
    [`magnet:?xt=urn:btih:${'1'.repeat(32)}`, 'ERR_MAGNET_INVALID'],
    [`magnet:?xt=urn:btih:${HEX}&xt=urn:btih:${'0'.repeat(40)}`, 'ERR_MAGNET_INVALID'],
    [`magnet:?xt=urn:btih:${HEX}&tr=%E0%A4%A`, 'ERR_MAGNET_INVALID'],
    [`magnet:?xt=urn:btmh:1220${'0'.repeat(64)}`, 'ERR_MAGNET_UNSUPPORTED'],
    [`magnet:?xt=urn:btih:${HEX}&x=${'a'.repeat(70000)}`, 'ERR_MAGNET_INVALID'],
  ];
  for (const [uri, code] of bad) {
    it(`refuses ${uri.slice(0, 60)} with ${code}`, () => {
      expect(() => parseMagnet(uri)).toThrow(MagnetError);
      try {
        parseMagnet(uri);
      } catch (error) {
        expect((error as MagnetError).code).toBe(code);
      }
    });
  }

  it('fuzz: only MagnetError escapes', () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom('xt=urn:btih:', 'tr=', 'x.pe=', 'xl=', 'dn=', '%', '%zz', '&', '=', HEX),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        try {
          parseMagnet(`magnet:?${parts.join('')}`);
        } catch (error) {
          if (!(error instanceof MagnetError)) throw error;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
