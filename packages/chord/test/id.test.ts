import {
  inHalfOpen as coreHalfOpen,
  idToBytes as coreIdToBytes,
  nodeId as coreNodeId,
  inOpen as coreOpen,
} from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fingerStart,
  idAt,
  idFromBigint,
  idLength,
  idToBigint,
  idToBytes,
  idToHex,
  inHalfOpen,
  inOpen,
  nodeIdOf,
} from '../src/id.js';
import { addPow2Id } from '../src/oracle.js';

const widths = [1, 7, 8, 13, 32, 64, 160];

function arbId(m: number) {
  return fc.bigInt({ min: 0n, max: (1n << BigInt(m)) - 1n });
}

describe('binary-string ids', () => {
  it('idLength is ceil(m/8) and refuses widths outside 1..160', () => {
    expect(idLength(1)).toBe(1);
    expect(idLength(8)).toBe(1);
    expect(idLength(9)).toBe(2);
    expect(idLength(160)).toBe(20);
    expect(() => idLength(0)).toThrow();
    expect(() => idLength(161)).toThrow();
  });

  it('round-trips bigints and matches core byte layout', () => {
    for (const m of widths) {
      fc.assert(
        fc.property(arbId(m), (x) => {
          const id = idFromBigint(x, m);
          expect(id.length).toBe(idLength(m));
          expect(idToBigint(id)).toBe(x);
          expect(idToBytes(id)).toEqual(coreIdToBytes(x, m));
          expect(idAt(coreIdToBytes(x, m), 0, id.length)).toBe(id);
        }),
        { numRuns: 200 },
      );
    }
  });

  it('orders like the numbers it encodes', () => {
    for (const m of widths) {
      fc.assert(
        fc.property(arbId(m), arbId(m), (a, b) => {
          const sa = idFromBigint(a, m);
          const sb = idFromBigint(b, m);
          expect(sa < sb).toBe(a < b);
          expect(sa === sb).toBe(a === b);
        }),
        { numRuns: 200 },
      );
    }
  });

  it('interval tests agree with core ring arithmetic, wrap-around and a == b included', () => {
    for (const m of widths) {
      fc.assert(
        fc.property(arbId(m), arbId(m), arbId(m), (x, a, b) => {
          const [sx, sa, sb] = [x, a, b].map((v) => idFromBigint(v, m)) as [string, string, string];
          expect(inOpen(sx, sa, sb)).toBe(coreOpen(x, a, b));
          expect(inHalfOpen(sx, sa, sb)).toBe(coreHalfOpen(x, a, b));
          expect(inOpen(sx, sa, sa)).toBe(x !== a);
          expect(inHalfOpen(sx, sa, sa)).toBe(true);
        }),
        { numRuns: 300 },
      );
    }
  });

  it('addPow2Id equals (id + 2^i) mod 2^m', () => {
    for (const m of widths) {
      fc.assert(
        fc.property(arbId(m), fc.nat(m - 1), (x, i) => {
          const expected = fingerStart(x, i, m);
          expect(idToBigint(addPow2Id(idFromBigint(x, m), i, m))).toBe(expected);
          expect(expected).toBe((x + (1n << BigInt(i))) % (1n << BigInt(m)));
        }),
        { numRuns: 200 },
      );
    }
  });

  it('nodeIdOf equals core nodeId (the claimed-id check relies on it)', () => {
    for (const m of [...widths, 152, 159]) {
      fc.assert(
        fc.property(fc.ipV4(), fc.integer({ min: 0, max: 65535 }), (host, port) => {
          expect(idToBigint(nodeIdOf(host, port, m))).toBe(coreNodeId(host, port, m));
          expect(nodeIdOf(host, port, m).length).toBe(idLength(m));
        }),
        { numRuns: 100 },
      );
    }
  });

  it('hex for display', () => {
    expect(idToHex(idFromBigint(0xabcn, 16))).toBe('0abc');
  });
});
