import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  encodeFrame,
  FrameDecoder,
  type FramePrefix,
  isP2PError,
  Reader,
  Writer,
} from '../src/index.js';
import { catchError, concat, cut } from './helpers.js';

const prefixes: FramePrefix[] = ['u32', 'u16', 'u32le', 'u16le', 'varint'];

function drain(decoder: FrameDecoder): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = decoder.next(); f !== undefined; f = decoder.next()) out.push(f);
  return out;
}

describe('encodeFrame', () => {
  it('writes the length prefix', () => {
    const payload = Uint8Array.of(7, 8, 9);
    expect(Array.from(encodeFrame(payload))).toEqual([0, 0, 0, 3, 7, 8, 9]);
    expect(Array.from(encodeFrame(payload, 'u16'))).toEqual([0, 3, 7, 8, 9]);
    expect(Array.from(encodeFrame(payload, 'u16le'))).toEqual([3, 0, 7, 8, 9]);
    expect(Array.from(encodeFrame(new Uint8Array(0x102), 'u32le').subarray(0, 4))).toEqual([
      2, 1, 0, 0,
    ]);
    expect(Array.from(encodeFrame(new Uint8Array(300), 'varint').subarray(0, 2))).toEqual([
      0xac, 0x02,
    ]);
    expect(
      isP2PError(
        catchError(() => encodeFrame(new Uint8Array(0x10000), 'u16')),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });
});

/** A Gnutella message: 16-byte GUID, type, TTL, hops, u32le payload length, payload. */
function gnutella(guid: number, type: number, ttl: number, hops: number, payload: Uint8Array) {
  return new Writer()
    .bytes(new Uint8Array(16).fill(guid))
    .u8(type)
    .u8(ttl)
    .u8(hops)
    .u32le(payload.length)
    .bytes(payload)
    .finish()
    .slice();
}

/** A Napster message: u16le data length, u16le type, data. */
function napster(type: number, data: string) {
  return new Writer().u16le(data.length).u16le(type).latin1(data).finish().slice();
}

const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16));

describe('FrameDecoder with a fixed header (Gnutella, Napster)', () => {
  const gnutellaLayout = {
    prefix: 'u32le' as const,
    header: { size: 23, lengthOffset: 19 },
    maxFrameSize: 65_536,
  };
  const napsterLayout = {
    prefix: 'u16le' as const,
    header: { size: 4, lengthOffset: 0 },
    maxFrameSize: 2048,
  };

  it('golden: a Gnutella Pong (gnutella.md 3.1, 3.3) decodes whole, header included', () => {
    // GUID 0x11 x16, type 0x01, TTL 7, hops 0, length 14; port 6346, IP 208.17.50.4,
    // 5 files, 1024 KB.
    const wire = hex(
      ['11'.repeat(16), '010700', '0e000000', 'ca18', 'd0113204', '05000000', '00040000'].join(''),
    );
    expect(wire.length).toBe(37);
    const decoder = new FrameDecoder(gnutellaLayout);
    decoder.push(wire.subarray(0, 21));
    expect(decoder.next()).toBeUndefined();
    decoder.push(wire.subarray(21));
    const frame = decoder.next()!;
    expect(Array.from(frame)).toEqual(Array.from(wire));
    const r = new Reader(frame, 16);
    expect([r.u8(), r.u8(), r.u8(), r.u32le()]).toEqual([1, 7, 0, 14]);
    expect([r.u16le(), Array.from(r.bytes(4)), r.u32le(), r.u32le()]).toEqual([
      6346,
      [208, 17, 50, 4],
      5,
      1024,
    ]);
    expect(decoder.buffered).toBe(0);
  });

  it('golden: a plain Ping is the 23-byte header alone', () => {
    const ping = gnutella(0xab, 0x00, 7, 0, new Uint8Array(0));
    expect(ping.length).toBe(23);
    expect(Array.from(ping.subarray(16))).toEqual([0, 7, 0, 0, 0, 0, 0]);
    const decoder = new FrameDecoder(gnutellaLayout);
    decoder.push(ping);
    expect(Array.from(decoder.next()!)).toEqual(Array.from(ping));
  });

  it('golden: Napster frames (napster.md 3): type 202 empty is 00 00 CA 00; length excludes the header', () => {
    const empty = napster(202, '');
    expect(Array.from(empty)).toEqual([0x00, 0x00, 0xca, 0x00]);
    const login = napster(2, 'nick pass 6699 "nap v1.0" 4');
    expect(Array.from(login.subarray(0, 4))).toEqual([27, 0, 2, 0]);
    const decoder = new FrameDecoder(napsterLayout);
    decoder.push(concat([empty, login]));
    expect(Array.from(decoder.next()!)).toEqual(Array.from(empty));
    const frame = decoder.next()!;
    const r = new Reader(frame);
    expect([r.u16le(), r.u16le(), r.latin1(r.remaining)]).toEqual([
      27,
      2,
      'nick pass 6699 "nap v1.0" 4',
    ]);
  });

  it("refuses a Napster data part over OpenNap's 2048 bytes as soon as the header arrives", () => {
    const decoder = new FrameDecoder(napsterLayout);
    expect(() => decoder.push(Uint8Array.of(0x01, 0x08, 0x02, 0x00))).toThrow(DecodeError);
    expect(decoder.buffered).toBe(0);
    expect(() => decoder.next()).toThrow(DecodeError);
  });

  it('refuses a Gnutella length over the cap at byte 23, before any payload', () => {
    const header = hex(['00'.repeat(16), '800700', '01000100'].join(''));
    const decoder = new FrameDecoder(gnutellaLayout);
    decoder.push(header.subarray(0, 22));
    expect(() => decoder.push(header.subarray(22))).toThrow(DecodeError);
  });

  it('rejects layouts the length field does not fit', () => {
    for (const bad of [
      { prefix: 'varint' as const, header: { size: 4, lengthOffset: 0 } },
      { prefix: 'u32le' as const, header: { size: 22, lengthOffset: 19 } },
      { prefix: 'u16' as const, header: { size: 4, lengthOffset: -1 } },
    ]) {
      expect(
        isP2PError(
          catchError(() => new FrameDecoder({ maxFrameSize: 10, ...bad })),
          'ERR_INVALID_ARGUMENT',
        ),
      ).toBe(true);
    }
  });

  it('reassembles header frames however the stream is cut (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(255), fc.nat(255), fc.uint8Array({ maxLength: 200 })), {
          maxLength: 10,
        }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (messages, cuts) => {
          const frames = messages.map(([g, t, p]) => gnutella(g, t, 7, 0, p));
          const decoder = new FrameDecoder({ ...gnutellaLayout, maxFrameSize: 200 });
          const got: Uint8Array[] = [];
          for (const chunk of cut(concat(frames), cuts)) {
            decoder.push(chunk);
            got.push(...drain(decoder));
          }
          expect(got).toEqual(frames);
          expect(decoder.buffered).toBe(0);
        },
      ),
    );
  });

  it('fuzz: random and mutated header streams give frames or DecodeError, in bounded memory', () => {
    const layouts = [
      { ...gnutellaLayout, maxFrameSize: 100 },
      { ...napsterLayout, maxFrameSize: 100 },
    ];
    const stream = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc
        .tuple(
          fc.array(fc.tuple(fc.nat(255), fc.uint8Array({ maxLength: 120 })), { maxLength: 5 }),
          fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }),
        )
        .map(([messages, edits]) => {
          const bytes = concat(messages.map(([t, p]) => gnutella(t, t, 3, 1, p)));
          for (const [at, v] of edits) if (bytes.length > 0) bytes[at % bytes.length] = v;
          return bytes;
        }),
    );
    fc.assert(
      fc.property(
        fc.nat(1),
        stream,
        fc.array(fc.nat(), { maxLength: 12 }),
        (which, bytes, cuts) => {
          const layout = layouts[which]!;
          const decoder = new FrameDecoder(layout);
          try {
            for (const chunk of cut(bytes, cuts)) {
              decoder.push(chunk);
              for (const frame of drain(decoder)) {
                expect(frame.length).toBeGreaterThanOrEqual(layout.header.size);
                expect(frame.length).toBeLessThanOrEqual(layout.header.size + 100);
              }
              expect(decoder.buffered).toBeLessThan(layout.header.size + 100);
            }
          } catch (error) {
            if (!(error instanceof DecodeError)) throw error;
            expect(decoder.buffered).toBe(0);
          }
        },
      ),
    );
  });
});

describe('FrameDecoder', () => {
  it('reassembles frames however the stream is cut (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...prefixes),
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (prefix, payloads, cuts) => {
          const stream = concat(payloads.map((p) => encodeFrame(p, prefix)));
          const decoder = new FrameDecoder({ maxFrameSize: 300, prefix });
          const frames: Uint8Array[] = [];
          for (const chunk of cut(stream, cuts)) {
            decoder.push(chunk);
            frames.push(...drain(decoder));
          }
          expect(frames).toEqual(payloads);
          expect(decoder.buffered).toBe(0);
        },
      ),
    );
  });

  it('returns a view when the frame lies in one chunk, one copy when it spans chunks', () => {
    const stream = concat([encodeFrame(Uint8Array.of(1, 2)), encodeFrame(Uint8Array.of(3, 4, 5))]);
    const decoder = new FrameDecoder({ maxFrameSize: 10 });
    decoder.push(stream.subarray(0, 11)); // the second payload spans bytes 10..13
    decoder.push(stream.subarray(11));
    const first = decoder.next()!;
    expect(first.buffer).toBe(stream.buffer);
    const second = decoder.next()!;
    expect(second.buffer).not.toBe(stream.buffer);
    expect(Array.from(second)).toEqual([3, 4, 5]);
  });

  it('refuses a 2^31 length prefix at once, without buffering or allocating it', () => {
    for (const prefix of ['u32', 'varint'] as const) {
      const decoder = new FrameDecoder({ maxFrameSize: 1 << 20, prefix });
      const header = encodeFrame(new Uint8Array(0), prefix); // right shape, wrong length below
      const announce =
        prefix === 'u32'
          ? Uint8Array.of(0x80, 0, 0, 0)
          : Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x08);
      expect(header.length).toBeGreaterThan(0);
      const before = process.memoryUsage().arrayBuffers;
      const error = catchError(() => decoder.push(announce));
      expect(error).toBeInstanceOf(DecodeError);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
      expect(decoder.buffered).toBe(0);
      // The decoder stays failed: the stream is out of sync.
      expect(catchError(() => decoder.push(Uint8Array.of(1)))).toBeInstanceOf(DecodeError);
      expect(catchError(() => decoder.next())).toBeInstanceOf(DecodeError);
    }
  });

  it('refuses an oversize varint length before its prefix is complete', () => {
    const decoder = new FrameDecoder({ maxFrameSize: 100, prefix: 'varint' });
    // 0xff alone already declares >= 127: no need to wait for the next byte.
    expect(catchError(() => decoder.push(Uint8Array.of(0xff)))).toBeInstanceOf(DecodeError);
  });

  it('delivers frames of exactly maxFrameSize and empty frames', () => {
    const decoder = new FrameDecoder({ maxFrameSize: 5, prefix: 'u16' });
    decoder.push(
      concat([encodeFrame(new Uint8Array(5), 'u16'), encodeFrame(new Uint8Array(0), 'u16')]),
    );
    expect(drain(decoder).map((f) => f.length)).toEqual([5, 0]);
  });

  it('holds many small chunks without quadratic copying', () => {
    const payload = new Uint8Array(100_000).map((_, i) => i);
    const stream = encodeFrame(payload);
    const decoder = new FrameDecoder({ maxFrameSize: 100_000 });
    let early = 0;
    for (let i = 0; i < stream.length; i += 7) {
      decoder.push(stream.subarray(i, i + 7));
      if (i + 7 < stream.length && decoder.next() !== undefined) early++;
    }
    expect(early).toBe(0);
    expect(decoder.next()).toEqual(payload);
  });

  it('fuzz: random and mutated streams throw only DecodeError', () => {
    const valid = fc
      .tuple(
        fc.constantFrom(...prefixes),
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }),
      )
      .map(([prefix, payloads]) => ({
        prefix,
        bytes: concat(payloads.map((p) => encodeFrame(p, prefix))),
      }));
    const mutated = fc
      .tuple(
        valid,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 5 }),
      )
      .map(([{ prefix, bytes }, edits]) => {
        const copy = bytes.slice();
        for (const [at, value] of edits) if (copy.length > 0) copy[at % copy.length] = value;
        return { prefix, bytes: copy };
      });
    const random = fc.record({
      prefix: fc.constantFrom(...prefixes),
      bytes: fc.uint8Array({ maxLength: 200 }),
    });
    fc.assert(
      fc.property(
        fc.oneof(valid, mutated, random),
        fc.array(fc.nat(), { maxLength: 10 }),
        ({ prefix, bytes }, cuts) => {
          const decoder = new FrameDecoder({ maxFrameSize: 64, prefix });
          try {
            for (const chunk of cut(bytes, cuts)) {
              decoder.push(chunk);
              for (const frame of drain(decoder)) expect(frame.length).toBeLessThanOrEqual(64);
              // Bounded memory: after draining, less than one maximal frame (prefix included) waits.
              expect(decoder.buffered).toBeLessThan(64 + 8);
            }
          } catch (error) {
            if (!(error instanceof DecodeError)) throw error;
          }
          expect(decoder.buffered).toBeLessThanOrEqual(bytes.length);
        },
      ),
    );
  });
});
