import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isP2PError, keyId, nodeId, sha1, truncateId } from '../src/index.js';

const digestInt = (bytes: Uint8Array) => BigInt(`0x0${Buffer.from(bytes).toString('hex')}`);

describe('truncateId', () => {
  it('is the big-endian digest mod 2^m, for every m in 1..160', () => {
    const digests = ['', 'abc', '127.0.0.1:8000', 'p2pkit'].map((s) => sha1(s));
    digests.push(new Uint8Array(20).fill(0xff), new Uint8Array(20));
    for (const digest of digests) {
      for (let m = 1; m <= 160; m++) {
        expect(truncateId(digest, m), `m = ${m}`).toBe(digestInt(digest) % 2n ** BigInt(m));
      }
    }
  });

  it('matches the model on random digests (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.integer({ min: 1, max: 160 }),
        (digest, m) => {
          expect(truncateId(digest, m)).toBe(digestInt(digest) % 2n ** BigInt(m));
        },
      ),
    );
  });

  it('reads shorter inputs whole', () => {
    expect(truncateId(Uint8Array.of(1, 2), 160)).toBe(0x0102n);
  });

  it('refuses m outside 1..160', () => {
    for (const m of [0, 161, 1.5, -1, Number.NaN]) {
      let caught: unknown;
      try {
        truncateId(new Uint8Array(20), m);
      } catch (error) {
        caught = error;
      }
      expect(isP2PError(caught, 'ERR_INVALID_ARGUMENT'), String(m)).toBe(true);
    }
  });
});

describe('nodeId / keyId', () => {
  it('hash host:port and keys with SHA-1, then keep m bits', () => {
    const full = BigInt(`0x${createHash('sha1').update('127.0.0.1:8000').digest('hex')}`);
    expect(nodeId('127.0.0.1', 8000, 160)).toBe(full);
    expect(nodeId('127.0.0.1', 8000, 7)).toBe(full % 128n);
    // Golden value, so a change of the rule (e.g. keeping the top bits instead) is caught.
    expect(keyId('abc', 32)).toBe(0x9cd0d89dn);
    expect(keyId(new TextEncoder().encode('abc'), 160)).toBe(
      0xa9993e364706816aba3e25717850c26c9cd0d89dn,
    );
  });
});
