import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Address,
  addressLength,
  DecodeError,
  encodeAddress,
  encodeEnvelope,
  isP2PError,
  Reader,
  readAddress,
  Writer,
  writeAddress,
} from '../src/index.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const address: fc.Arbitrary<Address> = fc.record({
  host: fc.oneof(
    fc.ipV4(),
    fc.constantFrom('node-7', '::1', 'fe80::1', 'h', 'ünïcode', '01.2.3.4', '1.2.3', '256.1.1.1'),
    fc.domain(),
  ),
  port: fc.integer({ min: 0, max: 65535 }),
});

function written(a: Address): Uint8Array {
  const w = new Writer(8);
  w.u8(0xee); // not at offset 0, as in a real body
  writeAddress(w, a);
  return w.finish().slice(1);
}

describe('address codec (the envelope layout, in message bodies)', () => {
  it('golden vectors: IPv4, a name, an IPv6 literal, a non-ASCII name', () => {
    const cases: [Address, string][] = [
      [{ host: '127.0.0.1', port: 4000 }, '047f0000010fa0'],
      [{ host: 'node-7', port: 65535 }, '00066e6f64652d37ffff'],
      [{ host: '::1', port: 0 }, '00033a3a310000'],
      [{ host: 'é', port: 1 }, '0002c3a90001'],
    ];
    for (const [a, bytes] of cases) {
      expect(hex(encodeAddress(a)), a.host).toBe(bytes);
      expect(hex(written(a)), a.host).toBe(bytes);
      expect(addressLength(a)).toBe(bytes.length / 2);
      const r = new Reader(Buffer.from(bytes, 'hex'));
      expect(readAddress(r)).toEqual(a);
      expect(r.remaining).toBe(0);
    }
  });

  it('is the same spelling as the envelope sender field', () => {
    fc.assert(
      fc.property(address, (a) => {
        const id = Uint8Array.of(1, 2, 3);
        const env = encodeEnvelope({
          kind: 'oneway',
          type: 1,
          requestId: 0,
          sender: { id, address: a },
          body: new Uint8Array(0),
        });
        // version, kind, type(2), requestId(4), idLength, id: then the address.
        expect(hex(env.subarray(8 + 1 + id.length))).toBe(hex(encodeAddress(a)));
      }),
    );
  });

  it('round-trips any address; writeAddress and encodeAddress agree', () => {
    fc.assert(
      fc.property(address, (a) => {
        const bytes = encodeAddress(a);
        expect(hex(written(a))).toBe(hex(bytes));
        expect(bytes.length).toBe(addressLength(a));
        expect(readAddress(new Reader(bytes))).toEqual(a);
      }),
    );
  });

  it('refuses what has no encoding with ERR_INVALID_ARGUMENT', () => {
    for (const a of [
      { host: 'h', port: 65536 },
      { host: 'h', port: -1 },
      { host: 'h', port: 1.5 },
      { host: '', port: 1 },
      { host: 'x'.repeat(256), port: 1 },
    ]) {
      let caught: unknown;
      try {
        encodeAddress(a);
      } catch (error) {
        caught = error;
      }
      expect(isP2PError(caught, 'ERR_INVALID_ARGUMENT'), JSON.stringify(a).slice(0, 40)).toBe(true);
      expect(() => written(a)).toThrow();
    }
  });

  it('refuses bad bytes with DecodeError: family, empty name, dotted quad as a name, UTF-8, truncation', () => {
    for (const bytes of [
      '06',
      '0000',
      '00000001',
      '0007312e322e332e340001',
      '0001ff0001',
      '047f00',
      '',
    ]) {
      expect(() => readAddress(new Reader(Buffer.from(bytes, 'hex'))), bytes).toThrow(DecodeError);
    }
  });

  it('fuzz: any bytes either decode to an address that re-encodes to them, or throw DecodeError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 24 }),
          // A valid address with one byte changed: reaches the checks past the family byte.
          fc.tuple(address, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([a, i, v]) => {
            const b = encodeAddress(a).slice();
            b[i % b.length] = v;
            return b;
          }),
        ),
        (bytes) => {
          const r = new Reader(bytes);
          let a: Address;
          try {
            a = readAddress(r);
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
            return;
          }
          expect(hex(encodeAddress(a))).toBe(hex(bytes.subarray(0, r.offset)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
