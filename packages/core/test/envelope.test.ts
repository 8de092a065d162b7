import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  envelopeOverhead,
  isP2PError,
} from '../src/index.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

/** The worked example of ENVELOPE.md. */
const golden: Envelope = {
  kind: 'request',
  type: 0x0102,
  requestId: 7,
  sender: { id: Uint8Array.of(0x12, 0x34, 0x56, 0x78), address: { host: '127.0.0.1', port: 4000 } },
  body: new TextEncoder().encode('ping'),
};
const goldenHex = '01 00 0102 00000007 04 12345678 04 7f000001 0fa0 70696e67';
const namedHex = '01 03 ffff ffffffff 00 00 06 6e6f64652d37 0000';

const address = fc.record({
  host: fc.oneof(
    fc.ipV4(),
    fc.constantFrom('node-7', '::1', 'fe80::1', 'h', 'ünïcode', '01.2.3.4', '1.2.3', '256.1.1.1'),
    fc.domain(),
  ),
  port: fc.integer({ min: 0, max: 65535 }),
});
const envelope: fc.Arbitrary<Envelope> = fc.record({
  kind: fc.constantFrom('request', 'response', 'error', 'oneway'),
  type: fc.integer({ min: 0, max: 0xffff }),
  requestId: fc.integer({ min: 0, max: 0xffffffff }),
  sender: fc.record({ id: fc.uint8Array({ maxLength: 40 }), address }),
  body: fc.uint8Array({ maxLength: 100 }),
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('envelope', () => {
  it('encodes the golden vector of ENVELOPE.md', () => {
    expect(hex(encodeEnvelope(golden))).toBe(hex(fromHex(goldenHex)));
    expect(decodeEnvelope(fromHex(goldenHex))).toEqual(golden);
    const named: Envelope = {
      kind: 'oneway',
      type: 0xffff,
      requestId: 0xffffffff,
      sender: { id: new Uint8Array(0), address: { host: 'node-7', port: 0 } },
      body: new Uint8Array(0),
    };
    expect(hex(encodeEnvelope(named))).toBe(hex(fromHex(namedHex)));
    expect(decodeEnvelope(fromHex(namedHex))).toEqual(named);
  });

  it('round-trips (property) and reports its overhead', () => {
    fc.assert(
      fc.property(envelope, (e) => {
        const bytes = encodeEnvelope(e);
        expect(bytes.length).toBe(envelopeOverhead(e.sender) + e.body.length);
        expect(decodeEnvelope(bytes)).toEqual(e);
      }),
    );
  });

  it('decodes ids and bodies as views of the input', () => {
    const bytes = encodeEnvelope(golden);
    const decoded = decodeEnvelope(bytes);
    expect(decoded.body.buffer).toBe(bytes.buffer);
    expect(decoded.sender.id.buffer).toBe(bytes.buffer);
  });

  it('enforces maxBodySize', () => {
    const bytes = encodeEnvelope(golden);
    expect(decodeEnvelope(bytes, { maxBodySize: 4 }).body.length).toBe(4);
    expect(catchError(() => decodeEnvelope(bytes, { maxBodySize: 3 }))).toBeInstanceOf(DecodeError);
  });

  it('refuses unknown versions, kinds and families, and non-canonical addresses', () => {
    const bad = [
      goldenHex.replace(/^01/, '02'), // version
      goldenHex.replace(/^01 00/, '01 04'), // kind
      goldenHex.replace('04 7f000001', '06 7f000001'), // family
      '01 00 0102 00000007 04 12345678 00 09 3132372e302e302e31 0fa0', // 127.0.0.1 as a name
      '01 00 0102 00000007 04 12345678 00 01 ff 0fa0', // invalid UTF-8
      '01 00 0102 00000007 05 12345678 04 7f000001 0fa0', // id length runs into the address
      '01 00 0102 00000007 04 12345678 04 7f000001 0f', // truncated port
    ];
    for (const text of bad)
      expect(
        catchError(() => decodeEnvelope(fromHex(text))),
        text,
      ).toBeInstanceOf(DecodeError);
  });

  it('refuses to encode fields out of range', () => {
    const cases: Envelope[] = [
      { ...golden, type: 0x10000 },
      { ...golden, requestId: -1 },
      { ...golden, requestId: 2 ** 32 },
      { ...golden, kind: 'nope' as Envelope['kind'] },
      { ...golden, sender: { ...golden.sender, id: new Uint8Array(256) } },
      { ...golden, sender: { ...golden.sender, address: { host: 'h', port: 65536 } } },
      { ...golden, sender: { ...golden.sender, address: { host: 'x'.repeat(256), port: 1 } } },
    ];
    for (const e of cases)
      expect(
        isP2PError(
          catchError(() => encodeEnvelope(e)),
          'ERR_INVALID_ARGUMENT',
        ),
      ).toBe(true);
  });

  it('fuzz: random, truncated and mutated bytes throw only DecodeError', () => {
    const mutated = fc
      .tuple(
        envelope,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
      )
      .map(([e, edits, cutAt]) => {
        const bytes = encodeEnvelope(e).slice();
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        return cutAt % 3 === 0 ? bytes.subarray(0, cutAt % (bytes.length + 1)) : bytes;
      });
    fc.assert(
      fc.property(
        fc.oneof(mutated, fc.uint8Array({ maxLength: 64 })),
        fc.option(fc.nat(64)),
        (bytes, max) => {
          try {
            const e = decodeEnvelope(bytes, max === null ? undefined : { maxBodySize: max });
            // Whatever decodes re-encodes to the same bytes: one encoding per envelope.
            expect(hex(encodeEnvelope(e))).toBe(hex(bytes));
          } catch (error) {
            if (!(error instanceof DecodeError)) throw error;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
