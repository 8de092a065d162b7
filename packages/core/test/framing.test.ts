import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  encodeFrame,
  FrameDecoder,
  type FramePrefix,
  isP2PError,
} from '../src/index.js';

const prefixes: FramePrefix[] = ['u32', 'u16', 'varint'];

function drain(decoder: FrameDecoder): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = decoder.next(); f !== undefined; f = decoder.next()) out.push(f);
  return out;
}

/** Cuts `bytes` at the given (sorted, deduplicated) positions. */
function cut(bytes: Uint8Array, positions: number[]): Uint8Array[] {
  const points = [...new Set(positions.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) chunks.push(bytes.slice(from, p));
    from = Math.max(from, p);
  }
  return chunks;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('encodeFrame', () => {
  it('writes the length prefix', () => {
    const payload = Uint8Array.of(7, 8, 9);
    expect(Array.from(encodeFrame(payload))).toEqual([0, 0, 0, 3, 7, 8, 9]);
    expect(Array.from(encodeFrame(payload, 'u16'))).toEqual([0, 3, 7, 8, 9]);
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

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
