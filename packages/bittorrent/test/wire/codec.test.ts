import { createHash } from 'node:crypto';
import { DecodeError } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../src/tracker/compact.js';
import { allowedFastSet } from '../../src/wire/allowed-fast.js';
import {
  decodeHandshake,
  encodeHandshake,
  featuresOf,
  reservedFor,
} from '../../src/wire/handshake.js';
import { encodeMessage, type WireMessage } from '../../src/wire/messages.js';
import { WireParser } from '../../src/wire/parser.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const sha1 = (data: Uint8Array) => new Uint8Array(createHash('sha1').update(data).digest());

function parseAll(bytes: Uint8Array, chunkSizes?: number[]): WireMessage[] {
  const out: WireMessage[] = [];
  const parser = new WireParser((m) => out.push(m));
  if (!chunkSizes) parser.push(bytes);
  else {
    let pos = 0;
    let i = 0;
    while (pos < bytes.length) {
      const size = Math.max(1, chunkSizes[i++ % chunkSizes.length]!);
      parser.push(bytes.subarray(pos, pos + size));
      pos += size;
    }
  }
  return out;
}

/** Normalises views so toEqual compares contents. */
function plain(m: WireMessage): unknown {
  const copy: Record<string, unknown> = { ...m };
  for (const [k, v] of Object.entries(copy)) if (v instanceof Uint8Array) copy[k] = hex(v);
  return copy;
}

describe('handshake (BEP 3)', () => {
  it('encodes the 68 bytes byte for byte', () => {
    const infoHash = new Uint8Array(20).fill(0xaa);
    const peerId = new TextEncoder().encode('-PK0001-abcdefghijkl');
    const bytes = encodeHandshake({
      reserved: reservedFor({ extended: true, fast: true, dht: true }),
      infoHash,
      peerId,
    });
    expect(hex(bytes)).toBe(
      `13${hex(new TextEncoder().encode('BitTorrent protocol'))}0000000000100005${'aa'.repeat(20)}${hex(peerId)}`,
    );
    const decoded = decodeHandshake(bytes);
    expect(featuresOf(decoded.reserved)).toEqual({ extended: true, fast: true, dht: true });
    expect(hex(decoded.infoHash)).toBe('aa'.repeat(20));
    expect(hex(decoded.peerId)).toBe(hex(peerId));
  });

  it('ignores unknown reserved bits and refuses other protocols', () => {
    const reserved = new Uint8Array(8).fill(0xff);
    reserved[5] = 0xef; // everything but the extension bit
    reserved[7] = 0xfa; // everything but fast and DHT
    expect(featuresOf(reserved)).toEqual({ extended: false, fast: false, dht: false });
    const bytes = encodeHandshake({
      reserved,
      infoHash: new Uint8Array(20),
      peerId: new Uint8Array(20),
    });
    bytes[1] = 0x62; // 'b'
    expect(() => decodeHandshake(bytes)).toThrow(DecodeError);
    expect(() => decodeHandshake(bytes.subarray(0, 67))).toThrow(DecodeError);
  });
});

describe('messages: golden bytes (BEP 3, 5, 6, 10)', () => {
  const cases: [WireMessage, string][] = [
    [{ type: 'keep-alive' }, '00000000'],
    [{ type: 'choke' }, '0000000100'],
    [{ type: 'unchoke' }, '0000000101'],
    [{ type: 'interested' }, '0000000102'],
    [{ type: 'not-interested' }, '0000000103'],
    [{ type: 'have', index: 0x01020304 }, '00000005 04 01020304'],
    [{ type: 'bitfield', bits: unhex('ff80') }, '00000003 05 ff80'],
    [
      { type: 'request', index: 1, begin: 0x4000, length: 0x4000 },
      '0000000d 06 00000001 00004000 00004000',
    ],
    [
      { type: 'piece', index: 2, begin: 0x8000, block: unhex('deadbeef') },
      '0000000d 07 00000002 00008000 deadbeef',
    ],
    [
      { type: 'cancel', index: 1, begin: 0, length: 0x4000 },
      '0000000d 08 00000001 00000000 00004000',
    ],
    [{ type: 'port', port: 6881 }, '00000003 09 1ae1'],
    [{ type: 'suggest', index: 7 }, '00000005 0d 00000007'],
    [{ type: 'have-all' }, '000000010e'],
    [{ type: 'have-none' }, '000000010f'],
    [
      { type: 'reject', index: 3, begin: 0x4000, length: 0x4000 },
      '0000000d 10 00000003 00004000 00004000',
    ],
    [{ type: 'allowed-fast', index: 9 }, '00000005 11 00000009'],
    [{ type: 'extended', id: 0, payload: unhex('6465') }, '00000004 14 00 6465'],
  ];
  for (const [message, bytes] of cases) {
    it(`${message.type}`, () => {
      const encoded = encodeMessage(message);
      expect(hex(encoded)).toBe(bytes.replace(/\s+/g, ''));
      const decoded = parseAll(encoded);
      expect(decoded.map(plain)).toEqual([plain(message)]);
    });
  }

  it('delivers unknown ids as "unknown"', () => {
    expect(parseAll(unhex('00000003 15 abcd')).map(plain)).toEqual([
      { type: 'unknown', id: 21, payload: 'abcd' },
    ]);
  });
});

describe('parser limits (checked before buffering)', () => {
  it('drops a 2^31 length prefix after 4 bytes, without allocating', () => {
    const parser = new WireParser(() => {});
    expect(() => parser.push(unhex('80000000'))).toThrow(DecodeError);
    expect(parser.buffered).toBe(0);
  });

  it('caps a piece at 9 + 16 KiB as soon as its id is known', () => {
    const parser = new WireParser(() => {});
    expect(() => parser.push(unhex(`${(9 + 16385).toString(16).padStart(8, '0')}07`))).toThrow(
      /cap/,
    );
    const ok = new WireParser(() => {});
    ok.push(unhex(`${(9 + 16384).toString(16).padStart(8, '0')}07`));
    expect(ok.buffered).toBeLessThan(10);
  });

  it('caps bitfields at the configured byte length', () => {
    const parser = new WireParser(() => {}, { maxBitfieldLength: 2 });
    expect(() => parser.push(unhex('00000004 05 ffffff'))).toThrow(DecodeError);
  });

  it('refuses fixed-size messages of the wrong size', () => {
    expect(() => parseAll(unhex('00000002 00 00'))).toThrow(DecodeError);
    expect(() => parseAll(unhex('00000004 04 000000'))).toThrow(DecodeError);
    expect(() => parseAll(unhex('0000000e 06 00000000 00000000 0000400000'))).toThrow(DecodeError);
    expect(() => parseAll(unhex('00000001 14'))).toThrow(DecodeError);
  });

  it('accepts a bitfield in the middle of a stream (aria2c) and have-all', () => {
    const stream = new Uint8Array([
      ...encodeMessage({ type: 'have-all' }),
      ...encodeMessage({ type: 'unchoke' }),
      ...encodeMessage({ type: 'bitfield', bits: unhex('f0') }),
    ]);
    expect(parseAll(stream, [3]).map((m) => m.type)).toEqual(['have-all', 'unchoke', 'bitfield']);
  });
});

const messageArb: fc.Arbitrary<WireMessage> = fc.oneof(
  fc.constantFrom<WireMessage>(
    { type: 'keep-alive' },
    { type: 'choke' },
    { type: 'unchoke' },
    { type: 'interested' },
    { type: 'not-interested' },
    { type: 'have-all' },
    { type: 'have-none' },
  ),
  fc.record({ type: fc.constant('have' as const), index: fc.nat({ max: 0xffffffff }) }),
  fc.record({ type: fc.constant('suggest' as const), index: fc.nat({ max: 0xffffffff }) }),
  fc.record({ type: fc.constant('allowed-fast' as const), index: fc.nat({ max: 0xffffffff }) }),
  fc.record({ type: fc.constant('port' as const), port: fc.nat({ max: 0xffff }) }),
  fc.record({ type: fc.constant('bitfield' as const), bits: fc.uint8Array({ maxLength: 64 }) }),
  ...(['request', 'cancel', 'reject'] as const).map((type) =>
    fc.record({
      type: fc.constant(type),
      index: fc.nat({ max: 0xffffffff }),
      begin: fc.nat({ max: 0xffffffff }),
      length: fc.nat({ max: 0xffffffff }),
    }),
  ),
  fc.record({
    type: fc.constant('piece' as const),
    index: fc.nat({ max: 0xffffffff }),
    begin: fc.nat({ max: 0xffffffff }),
    block: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    type: fc.constant('extended' as const),
    id: fc.nat({ max: 255 }),
    payload: fc.uint8Array({ maxLength: 100 }),
  }),
);

describe('parser properties', () => {
  it('round-trips any message sequence cut at any boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
        (messages, cuts) => {
          const bytes = new Uint8Array(messages.flatMap((m) => [...encodeMessage(m)]));
          expect(parseAll(bytes, cuts).map(plain)).toEqual(messages.map(plain));
        },
      ),
    );
  });

  it('fed random or mutated bytes, throws nothing but DecodeError', () => {
    const mutated = fc
      .tuple(
        fc.array(messageArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }))),
      )
      .map(([messages, flips]) => {
        const bytes = new Uint8Array(messages.flatMap((m) => [...encodeMessage(m)]));
        for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
        return bytes;
      });
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated),
        fc.integer({ min: 1, max: 17 }),
        (bytes, cut) => {
          try {
            parseAll(bytes, [cut]);
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('allowed-fast set (BEP 6 test vector)', () => {
  const infoHash = new Uint8Array(20).fill(0xaa);
  const ip = parseIPv4('80.4.4.200')!;
  it('k = 7', () => {
    expect(allowedFastSet(ip, infoHash, 1313, 7, sha1)).toEqual([
      1059, 431, 808, 1217, 287, 376, 1188,
    ]);
  });
  it('k = 9 extends k = 7', () => {
    expect(allowedFastSet(ip, infoHash, 1313, 9, sha1)).toEqual([
      1059, 431, 808, 1217, 287, 376, 1188, 353, 508,
    ]);
  });
  it('only the /24 matters, and k is clamped to the piece count', () => {
    expect(allowedFastSet(parseIPv4('80.4.4.1')!, infoHash, 1313, 7, sha1)).toEqual(
      allowedFastSet(ip, infoHash, 1313, 7, sha1),
    );
    expect(allowedFastSet(ip, infoHash, 3, 10, sha1).sort()).toEqual([0, 1, 2]);
    expect(parseIPv4('::1')).toBeUndefined();
    expect(parseIPv4('1.2.3.256')).toBeUndefined();
  });
});
