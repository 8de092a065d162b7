import { DecodeError, ProtocolError, Reader, Writer } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cobsDecode, cobsEncode } from '../src/cobs.js';
import {
  type Descriptor,
  decodeDescriptor,
  decodePayload,
  encodeDescriptor,
  type Message,
  PayloadType,
} from '../src/descriptors.js';
import { type GgepExtension, readGgep, validGgepId, writeGgep } from '../src/ggep.js';
import { QrpReceiver } from '../src/qrp.js';

const bytes = (max = 64) => fc.uint8Array({ maxLength: max });
const guid = fc.uint8Array({ minLength: 16, maxLength: 16 });
const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const u16 = fc.nat(0xffff);
const u32 = fc.nat(0xffffffff);
// Text without NUL or FS (they delimit fields on the wire).
const text = fc
  .string({ maxLength: 30 })
  .filter((s) => !s.includes('\u0000') && !s.includes('\u001c'));
const ggepId = fc.string({ minLength: 1, maxLength: 15 }).filter(validGgepId);
const ggepExt: fc.Arbitrary<GgepExtension> = fc
  .record({ id: ggepId, data: bytes(80), cobs: fc.boolean(), deflate: fc.boolean() })
  .map((e) => (e.cobs || e.deflate ? e : { id: e.id, data: e.data }));
const ggep = fc.option(fc.array(ggepExt, { minLength: 1, maxLength: 3 }), { nil: undefined });
const urn = fc.stringMatching(/^[A-Z2-7]{32}$/).map((b) => `urn:sha1:${b}`);
const unknownPart = fc
  .uint8Array({ minLength: 1, maxLength: 10 })
  .filter(
    (b) =>
      !b.includes(0) &&
      !b.includes(0x1c) &&
      b[0] !== 0xc3 &&
      b[0] !== 0x3c &&
      b[0] !== 0x7b &&
      !new TextDecoder().decode(b.subarray(0, 4)).toLowerCase().startsWith('urn:'),
  );

function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const message: fc.Arbitrary<Message> = fc.oneof(
  ggep.map((g) => strip({ kind: 'ping' as const, ggep: g })),
  fc
    .record({ port: u16, ip, files: u32, kilobytes: u32, ggep })
    .map((m) => strip({ kind: 'pong' as const, ...m })),
  fc
    .record({
      minSpeed: u16,
      criteria: text,
      urns: fc.array(urn, { maxLength: 2 }),
      xml: fc.option(
        text.map((t) => `<${t}`),
        { nil: undefined },
      ),
      ggep,
      unknownExtensions: fc.option(fc.array(unknownPart, { minLength: 1, maxLength: 2 }), {
        nil: undefined,
      }),
    })
    .map((m) => strip({ kind: 'query' as const, ...m })),
  fc
    .record({
      port: u16,
      ip,
      speed: u32,
      results: fc.array(
        fc
          .record({
            index: u32,
            size: u32,
            name: text,
            urns: fc.array(urn, { maxLength: 2 }),
            ggep: ggep.map((g) =>
              g?.map((e) => ({ ...e, cobs: true, deflate: e.deflate ?? false })),
            ),
          })
          .map(strip),
        { maxLength: 4 },
      ),
      trailer: fc.option(
        fc
          .record({
            vendor: fc.stringMatching(/^[A-Z]{4}$/),
            push: fc.option(fc.boolean(), { nil: undefined }),
            busy: fc.option(fc.boolean(), { nil: undefined }),
            uploaded: fc.option(fc.boolean(), { nil: undefined }),
            measuredSpeed: fc.option(fc.boolean(), { nil: undefined }),
            ggep,
            xml: fc.option(fc.uint8Array({ minLength: 1, maxLength: 20 }), { nil: undefined }),
          })
          .map(strip),
        { nil: undefined },
      ),
      serventId: guid,
    })
    .map((m) => strip({ kind: 'queryhit' as const, ...m })),
  fc
    .record({ serventId: guid, index: u32, ip, port: u16, ggep })
    .map((m) => strip({ kind: 'push' as const, ...m })),
  fc.record({ code: u16, reason: text }).map((m) => ({ kind: 'bye' as const, ...m })),
  fc
    .record({ tableLength: u32, infinity: fc.nat(255) })
    .map((m) => ({ kind: 'qrp-reset' as const, ...m })),
  fc
    .record({
      seqNo: fc.nat(255),
      seqSize: fc.nat(255),
      compressor: fc.nat(255),
      entryBits: fc.nat(255),
      data: bytes(),
    })
    .map((m) => ({ kind: 'qrp-patch' as const, ...m })),
  fc
    .record({
      experimental: fc.boolean(),
      vendor: fc.stringMatching(/^[A-Z]{4}$/),
      selector: u16,
      version: u16,
      data: bytes(),
    })
    .map((m) => ({ kind: 'vendor' as const, ...m })),
);

const descriptor: fc.Arbitrary<Descriptor> = fc.record({
  guid,
  ttl: fc.nat(255),
  hops: fc.nat(255),
  message,
});

function onlyDecodeErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
  }
}

describe('descriptor codec properties', () => {
  it('decode(encode(d)) == d for every descriptor', () => {
    fc.assert(
      fc.property(descriptor, (d) => {
        expect(decodeDescriptor(encodeDescriptor(d))).toEqual(d);
      }),
      { numRuns: 1000 },
    );
  }, 30_000);

  it('random payloads of every type throw nothing but DecodeError', () => {
    const types = [...Object.values(PayloadType), 0x10, 0xff];
    fc.assert(
      fc.property(fc.constantFrom(...types), bytes(200), (type, payload) => {
        onlyDecodeErrors(() => decodePayload(type, payload));
      }),
      { numRuns: 5000 },
    );
  });

  it('mutated valid descriptors throw nothing but DecodeError', () => {
    fc.assert(
      fc.property(
        descriptor,
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (d, flips, cut) => {
          const b = encodeDescriptor(d).slice();
          for (const [at, v] of flips) b[at % b.length] = v;
          onlyDecodeErrors(() => decodePayload(b[16]!, b.subarray(23)));
          onlyDecodeErrors(() => decodeDescriptor(b.subarray(0, cut % (b.length + 1))));
        },
      ),
      { numRuns: 2000 },
    );
  }, 30_000);

  it('GGEP and COBS round-trip and reject garbage with DecodeError only', () => {
    fc.assert(
      fc.property(fc.array(ggepExt, { minLength: 1, maxLength: 4 }), bytes(100), (exts, junk) => {
        const w = new Writer();
        writeGgep(w, exts);
        expect(readGgep(new Reader(w.finish()))).toEqual(exts);
        expect(cobsDecode(cobsEncode(junk))).toEqual(junk);
        onlyDecodeErrors(() => readGgep(new Reader(Uint8Array.of(0xc3, ...junk))));
        onlyDecodeErrors(() => cobsDecode(junk));
      }),
      { numRuns: 500 },
    );
  }, 30_000);

  it('a QRP receiver fed random RESET/PATCH messages throws only typed errors', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('qrp-reset' as const),
              tableLength: fc.constantFrom(8, 16, 7, 0, 1 << 22),
              infinity: fc.nat(10),
            }),
            fc.record({
              kind: fc.constant('qrp-patch' as const),
              seqNo: fc.nat(3),
              seqSize: fc.nat(3),
              compressor: fc.nat(2),
              entryBits: fc.constantFrom(4, 8, 3),
              data: bytes(12),
            }),
          ),
          { maxLength: 8 },
        ),
        (messages) => {
          const r = new QrpReceiver();
          for (const m of messages) {
            try {
              r.apply(m);
            } catch (error) {
              if (!(error instanceof DecodeError || error instanceof ProtocolError)) throw error;
              return;
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
