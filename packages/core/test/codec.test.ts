import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  idFromBytes,
  idToBytes,
  isP2PError,
  Reader,
  utf8Length,
  Writer,
} from '../src/index.js';

function decodeError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('Writer/Reader', () => {
  it('writes the documented byte orders', () => {
    const w = new Writer(1);
    w.u8(0xab).u16(0x0102).u16le(0x0102).u32(0x01020304).u32le(0x01020304).i32(-2);
    w.u64(0x0102030405060708n).u64le(0x0102030405060708n).varint(300).latin1('hé');
    expect(Array.from(w.finish())).toEqual([
      0xab, 1, 2, 2, 1, 1, 2, 3, 4, 4, 3, 2, 1, 0xff, 0xff, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 8,
      7, 6, 5, 4, 3, 2, 1, 0xac, 0x02, 0x68, 0xe9,
    ]);
    const r = new Reader(w.finish());
    expect([r.u8(), r.u16(), r.u16le(), r.u32(), r.u32le(), r.i32()]).toEqual([
      0xab, 0x0102, 0x0102, 0x01020304, 0x01020304, -2,
    ]);
    expect([r.u64(), r.u64le(), r.varint(), r.latin1(2)]).toEqual([
      0x0102030405060708n,
      0x0102030405060708n,
      300,
      'hé',
    ]);
    r.expectEnd();
  });

  it('encodes varints as LEB128 and refuses non-canonical or oversize ones', () => {
    const cases: [number, number[]][] = [
      [0, [0]],
      [127, [0x7f]],
      [128, [0x80, 1]],
      [2 ** 32, [0x80, 0x80, 0x80, 0x80, 0x10]],
      [Number.MAX_SAFE_INTEGER, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]],
    ];
    for (const [value, bytes] of cases) {
      expect(Array.from(new Writer().varint(value).finish())).toEqual(bytes);
      expect(new Reader(Uint8Array.from(bytes)).varint()).toBe(value);
    }
    for (const bad of [
      [0x80, 0],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10],
      Array(9).fill(0x80),
      [0x80],
    ]) {
      expect(decodeError(() => new Reader(Uint8Array.from(bad)).varint())).toBeInstanceOf(
        DecodeError,
      );
    }
  });

  it('round-trips every field type (property)', () => {
    type Op =
      | { t: 'u8' | 'u16' | 'u16le'; v: number }
      | { t: 'u32' | 'u32le' | 'i32' | 'varint'; v: number }
      | { t: 'u64' | 'u64le'; v: bigint }
      | { t: 'bytes' | 'varbytes'; v: Uint8Array }
      | { t: 'utf8' | 'varutf8' | 'latin1'; v: string }
      | { t: 'id'; v: bigint; m: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ t: fc.constantFrom('u8' as const), v: fc.integer({ min: 0, max: 255 }) }),
      fc.record({
        t: fc.constantFrom('u16' as const, 'u16le' as const),
        v: fc.integer({ min: 0, max: 0xffff }),
      }),
      fc.record({
        t: fc.constantFrom('u32' as const, 'u32le' as const),
        v: fc.integer({ min: 0, max: 0xffffffff }),
      }),
      fc.record({
        t: fc.constant('i32' as const),
        v: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      }),
      fc.record({ t: fc.constant('varint' as const), v: fc.maxSafeNat() }),
      fc.record({
        t: fc.constantFrom('u64' as const, 'u64le' as const),
        v: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      }),
      fc.record({
        t: fc.constantFrom('bytes' as const, 'varbytes' as const),
        v: fc.uint8Array({ maxLength: 40 }),
      }),
      fc.record({
        t: fc.constantFrom('utf8' as const, 'varutf8' as const),
        v: fc.string({ unit: 'grapheme', maxLength: 70 }),
      }),
      fc.record({
        t: fc.constant('latin1' as const),
        v: fc.string({
          unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
          maxLength: 40,
        }),
      }),
      fc
        .integer({ min: 1, max: 170 })
        .chain((m) =>
          fc
            .bigInt({ min: 0n, max: 2n ** BigInt(m) - 1n })
            .map((v) => ({ t: 'id' as const, v, m })),
        ),
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 30 }),
        fc.integer({ min: 1, max: 64 }),
        (ops, capacity) => {
          const w = new Writer(capacity);
          for (const o of ops) {
            if (o.t === 'id') w.id(o.v, o.m);
            else if (o.t === 'utf8' || o.t === 'varutf8' || o.t === 'latin1') w[o.t](o.v);
            else if (o.t === 'bytes' || o.t === 'varbytes') w[o.t](o.v);
            else if (o.t === 'u64' || o.t === 'u64le') w[o.t](o.v);
            else w[o.t](o.v as number);
          }
          const r = new Reader(w.finish());
          for (const o of ops) {
            if (o.t === 'id') expect(r.id(o.m)).toBe(o.v);
            else if (o.t === 'bytes') expect(r.bytes(o.v.length)).toEqual(o.v);
            else if (o.t === 'varbytes') expect(r.varbytes()).toEqual(o.v);
            else if (o.t === 'utf8') expect(r.utf8(utf8Length(o.v))).toBe(o.v);
            else if (o.t === 'latin1') expect(r.latin1(o.v.length)).toBe(o.v);
            else expect(r[o.t]()).toBe(o.v);
          }
          r.expectEnd();
        },
      ),
    );
  });

  it('encodes UTF-8 like TextEncoder, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
        const expected = new TextEncoder().encode(text);
        expect(utf8Length(text)).toBe(expected.length);
        expect(new Writer(4).utf8(text).finish()).toEqual(expected);
      }),
    );
  });

  it('returns views, not copies, from bytes()', () => {
    const input = Uint8Array.of(1, 2, 3, 4);
    const view = new Reader(input, 1).bytes(2);
    input[1] = 9;
    expect(Array.from(view)).toEqual([9, 3]);
  });

  it('finish() is a view that stays valid until reset()', () => {
    const w = new Writer(16);
    const first = w.u32(7).finish();
    expect(first.buffer).toBe(w.finish().buffer);
    w.bytes(new Uint8Array(100)); // grows: the old view keeps its bytes
    expect(Array.from(first)).toEqual([0, 0, 0, 7]);
    w.reset();
    expect(w.length).toBe(0);
  });

  it('refuses out-of-range values with ERR_INVALID_ARGUMENT', () => {
    const w = new Writer();
    const bad: (() => unknown)[] = [
      () => w.u8(256),
      () => w.u8(-1),
      () => w.u8(1.5),
      () => w.u16(0x10000),
      () => w.u32(2 ** 32),
      () => w.u32(-1),
      () => w.i32(2 ** 31),
      () => w.u64(-1n),
      () => w.u64(2n ** 64n),
      () => w.varint(-1),
      () => w.varint(2 ** 53),
      () => w.latin1('€'),
      () => w.id(256n, 8),
      () => w.id(-1n, 8),
      () => w.id(1n, 0),
    ];
    for (const fn of bad) expect(isP2PError(decodeError(fn), 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect(w.length).toBe(0);
  });

  it('throws DecodeError on every read past the end, and keeps the position', () => {
    const reads: ((r: Reader) => unknown)[] = [
      (r) => r.u8(),
      (r) => r.u16(),
      (r) => r.u16le(),
      (r) => r.u32(),
      (r) => r.u32le(),
      (r) => r.i32(),
      (r) => r.u64(),
      (r) => r.u64le(),
      (r) => r.bytes(1),
      (r) => r.latin1(1),
      (r) => r.utf8(1),
      (r) => r.id(8),
      (r) => r.skip(1),
    ];
    for (const read of reads) {
      const r = new Reader(new Uint8Array(10), 10);
      expect(decodeError(() => read(r))).toBeInstanceOf(DecodeError);
      expect(r.offset).toBe(10);
    }
    expect(decodeError(() => new Reader(new Uint8Array(4), 0, 2).u32())).toBeInstanceOf(
      DecodeError,
    );
    expect(decodeError(() => new Reader(new Uint8Array(4), 3, 2))).toBeInstanceOf(DecodeError);
    expect(decodeError(() => new Reader(new Uint8Array(4), 0, 5))).toBeInstanceOf(DecodeError);
    expect(decodeError(() => new Reader(Uint8Array.of(5, 1)).varbytes())).toBeInstanceOf(
      DecodeError,
    );
    expect(decodeError(() => new Reader(Uint8Array.of(2, 1, 1)).varbytes(1))).toBeInstanceOf(
      DecodeError,
    );
    expect(decodeError(() => new Reader(Uint8Array.of(0xff)).utf8(1))).toBeInstanceOf(DecodeError);
    expect(decodeError(() => new Reader(Uint8Array.of(0x02)).id(1))).toBeInstanceOf(DecodeError);
    expect(decodeError(() => new Reader(Uint8Array.of(1)).expectEnd())).toBeInstanceOf(DecodeError);
  });

  it('refuses ids with bits above m', () => {
    expect(new Reader(Uint8Array.of(0x7f)).id(7)).toBe(127n);
    expect(decodeError(() => new Reader(Uint8Array.of(0x80)).id(7))).toBeInstanceOf(DecodeError);
    expect(decodeError(() => new Reader(Uint8Array.of(0x02, 0)).id(9))).toBeInstanceOf(DecodeError);
  });

  it('fuzz: random reads on random bytes throw only DecodeError', () => {
    const ops = [
      'u8',
      'u16',
      'u16le',
      'u32',
      'u32le',
      'i32',
      'u64',
      'u64le',
      'varint',
      'varbytes',
      'varutf8',
      'bytes',
      'utf8',
      'latin1',
      'ascii',
      'cstring',
      'cbytes',
      'id',
      'skip',
      'expectEnd',
    ] as const;
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.tuple(fc.constantFrom(...ops), fc.integer({ min: 0, max: 40 })), {
          maxLength: 20,
        }),
        (bytes, script) => {
          const r = new Reader(bytes);
          for (const [op, arg] of script) {
            try {
              if (op === 'bytes' || op === 'utf8' || op === 'latin1' || op === 'skip') r[op](arg);
              else if (op === 'ascii' || op === 'cstring' || op === 'cbytes') r[op](arg);
              else if (op === 'id') r.id(arg + 1);
              else if (op === 'varbytes' || op === 'varutf8') r[op](arg);
              else r[op]();
            } catch (error) {
              if (!(error instanceof DecodeError)) throw error;
            }
            expect(r.offset).toBeLessThanOrEqual(bytes.length);
          }
        },
      ),
    );
  });
});

describe('NUL-terminated and fixed-width ASCII strings', () => {
  it('golden: a Gnutella Query payload (gnutella.md 3.4): flags, then NUL-terminated criteria', () => {
    const payload = new Writer().u8(0x80).u8(0).cstring('free jazz').finish();
    expect(Array.from(payload)).toEqual([
      0x80, 0x00, 0x66, 0x72, 0x65, 0x65, 0x20, 0x6a, 0x61, 0x7a, 0x7a, 0x00,
    ]);
    const r = new Reader(payload);
    expect(r.u16le()).toBe(0x0080);
    expect(r.cstring()).toBe('free jazz');
    r.expectEnd();
  });

  it('golden: an EQHD vendor code is 4 fixed ASCII bytes (gnutella.md 3.5)', () => {
    const bytes = new Writer().ascii('LIME').u8(2).finish();
    expect(Array.from(bytes)).toEqual([0x4c, 0x49, 0x4d, 0x45, 2]);
    expect(new Reader(bytes).ascii(4)).toBe('LIME');
  });

  it('pads fixed-width fields with NUL and strips the padding on read', () => {
    const bytes = new Writer().ascii('ab', 5).finish();
    expect(Array.from(bytes)).toEqual([0x61, 0x62, 0, 0, 0]);
    const r = new Reader(bytes);
    expect(r.ascii(5)).toBe('ab');
    expect(r.remaining).toBe(0);
  });

  it('a Query Hit result: name NUL, empty extension block (a double NUL)', () => {
    const bytes = new Writer()
      .u32le(36)
      .u32le(1000)
      .cstring('Foo.txt')
      .cbytes(new Uint8Array(0))
      .finish();
    const r = new Reader(bytes);
    expect([r.u32le(), r.u32le(), r.cstring(), r.cbytes().length]).toEqual([
      36,
      1000,
      'Foo.txt',
      0,
    ]);
    r.expectEnd();
  });

  it('round-trips UTF-8 cstrings and ASCII fields (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }).filter((t) => !t.includes('\0')),
        fc
          .array(fc.integer({ min: 1, max: 0x7f }), { maxLength: 12 })
          .map((codes) => String.fromCharCode(...codes)),
        fc.nat(4),
        (text, field, pad) => {
          const bytes = new Writer()
            .cstring(text)
            .ascii(field, field.length + pad)
            .finish();
          const r = new Reader(bytes);
          expect(r.cstring()).toBe(text);
          expect(r.ascii(field.length + pad)).toBe(field);
          r.expectEnd();
        },
      ),
    );
  });

  it('refuses a missing NUL, a string over its limit, non-ASCII and invalid UTF-8', () => {
    expect(decodeError(() => new Reader(Uint8Array.of(0x61, 0x62)).cstring())).toBeInstanceOf(
      DecodeError,
    );
    // The NUL exists but past the reader's range end.
    expect(decodeError(() => new Reader(Uint8Array.of(0x61, 0, 0), 0, 1).cbytes())).toBeInstanceOf(
      DecodeError,
    );
    expect(decodeError(() => new Reader(Uint8Array.of(0x61, 0x62, 0)).cstring(1))).toBeInstanceOf(
      DecodeError,
    );
    expect(new Reader(Uint8Array.of(0x61, 0x62, 0)).cstring(2)).toBe('ab');
    expect(decodeError(() => new Reader(Uint8Array.of(0xff, 0)).cstring())).toBeInstanceOf(
      DecodeError,
    );
    expect(decodeError(() => new Reader(Uint8Array.of(0x41, 0x80)).ascii(2))).toBeInstanceOf(
      DecodeError,
    );
  });

  it('refuses to write what would not read back', () => {
    for (const fn of [
      () => new Writer().cstring('a\0b'),
      () => new Writer().cbytes(Uint8Array.of(1, 0)),
      () => new Writer().ascii('é'),
      () => new Writer().ascii('abc', 2),
      () => new Writer().ascii('a\0'),
    ]) {
      expect(isP2PError(decodeError(fn), 'ERR_INVALID_ARGUMENT')).toBe(true);
    }
  });
});

describe('idToBytes / idFromBytes', () => {
  it('uses ceil(m/8) big-endian bytes', () => {
    expect(Array.from(idToBytes(0x1234n, 16))).toEqual([0x12, 0x34]);
    expect(Array.from(idToBytes(1n, 9))).toEqual([0, 1]);
    expect(Array.from(idToBytes(1n, 1))).toEqual([1]);
    expect(idFromBytes(new Uint8Array(0))).toBe(0n);
    expect(idFromBytes(new Uint8Array(20).fill(0xff))).toBe(2n ** 160n - 1n);
  });

  it('round-trips for every width (property)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((m) =>
            fc.tuple(fc.constant(m), fc.bigInt({ min: 0n, max: 2n ** BigInt(m) - 1n })),
          ),
        ([m, id]) => {
          const bytes = idToBytes(id, m);
          expect(bytes.length).toBe(Math.ceil(m / 8));
          expect(idFromBytes(bytes)).toBe(id);
          expect(BigInt(`0x0${Buffer.from(bytes).toString('hex')}`)).toBe(id);
        },
      ),
    );
  });

  it('refuses ids that do not fit', () => {
    expect(
      isP2PError(
        decodeError(() => idToBytes(2n ** 160n, 160)),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(
      isP2PError(
        decodeError(() => idToBytes(-1n, 8)),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });
});
