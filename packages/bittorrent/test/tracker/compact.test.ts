import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/bencode/index.js';
import {
  decodeCompactPeers,
  encodeCompactPeers,
  formatIp,
  parseIp,
} from '../../src/tracker/index.js';

describe('compact peers (BEP 23, BEP 7)', () => {
  it('encodes 6-byte IPv4 and 18-byte IPv6 entries', () => {
    const peers = [
      { host: '127.0.0.1', port: 6881 },
      { host: '10.1.2.3', port: 65535 },
      { host: '::1', port: 80 },
      { host: 'example.org', port: 1 },
    ];
    expect(toHex(encodeCompactPeers(peers, 4))).toBe('7f0000011ae10a010203ffff');
    expect(toHex(encodeCompactPeers(peers, 6))).toBe(`${'00'.repeat(15)}010050`);
    expect(decodeCompactPeers(encodeCompactPeers(peers, 4), 4)).toEqual(peers.slice(0, 2));
    expect(decodeCompactPeers(encodeCompactPeers(peers, 6), 6)).toEqual([
      { host: '::1', port: 80 },
    ]);
  });

  it('ignores a trailing partial entry and port 0', () => {
    expect(
      decodeCompactPeers(new Uint8Array([1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 9, 1, 2]), 4),
    ).toEqual([{ host: '5.6.7.8', port: 9 }]);
  });

  it('parses and formats IP literals (RFC 5952 output)', () => {
    expect(formatIp(parseIp('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIp(parseIp('::')!)).toBe('::');
    expect(formatIp(parseIp('::ffff:1.2.3.4')!)).toBe('::ffff:102:304');
    expect(formatIp(parseIp('[fe80::1]')!)).toBe('fe80::1');
    expect(formatIp(parseIp('1:2:3:4:5:6:7:8')!)).toBe('1:2:3:4:5:6:7:8');
    for (const bad of [
      '1.2.3',
      '1.2.3.256',
      '01.2.3.4',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      ':::',
      'x',
      '',
      '1:2:3:4:5:6:7::8:9',
    ]) {
      expect(parseIp(bad)).toBeUndefined();
    }
  });

  it('round-trips any address', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.ipV4(), fc.ipV6()),
        fc.integer({ min: 1, max: 65535 }),
        (ip, port) => {
          const bytes = parseIp(ip);
          expect(bytes).toBeDefined();
          const family = bytes!.length === 4 ? 4 : 6;
          const [back] = decodeCompactPeers(
            encodeCompactPeers([{ host: ip, port }], family),
            family,
          );
          expect(parseIp(back!.host)).toEqual(bytes);
          expect(back!.port).toBe(port);
        },
      ),
    );
  });
});
