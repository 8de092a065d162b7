import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAddress, ipv4ToUint32, isP2PError, parseAddress } from '../src/index.js';

describe('address', () => {
  it('round-trips IPv4 and IPv6 addresses', () => {
    for (const text of ['127.0.0.1:6881', '[::1]:0', 'node-7:65535']) {
      expect(formatAddress(parseAddress(text))).toBe(text);
    }
  });

  it('refuses malformed addresses with ERR_INVALID_ADDRESS', () => {
    for (const text of ['127.0.0.1', ':80', 'a:b', 'h:65536', '[::1]80', 'h:-1', '::1:80']) {
      let caught: unknown;
      try {
        parseAddress(text);
      } catch (error) {
        caught = error;
      }
      expect(isP2PError(caught, 'ERR_INVALID_ADDRESS'), text).toBe(true);
    }
  });
});

describe('ipv4ToUint32', () => {
  /** The naive model: split, each part canonical decimal 0..255. */
  const model = (text: string): number => {
    const parts = text.split('.');
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && +p <= 255))
      return -1;
    return parts.reduce((v, p) => v * 256 + Number(p), 0);
  };

  it('agrees with the model on every dotted quad and on near misses', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 6 }),
        (xs) => {
          const text = xs.join('.');
          expect(ipv4ToUint32(text)).toBe(model(text));
        },
      ),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 16 }), (text) => {
        expect(ipv4ToUint32(text)).toBe(model(text));
      }),
    );
  });

  it('reads the address big-endian and refuses non-canonical forms', () => {
    expect(ipv4ToUint32('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4ToUint32('10.0.1.2')).toBe(0x0a000102);
    for (const bad of ['01.2.3.4', '1.2.3', '1.2.3.4.5', '::1', 'localhost', '1.2.3.256', '1..3.4'])
      expect(ipv4ToUint32(bad), bad).toBe(-1);
  });
});
