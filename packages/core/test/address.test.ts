import { describe, expect, it } from 'vitest';
import { formatAddress, isP2PError, parseAddress } from '../src/index.js';

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
