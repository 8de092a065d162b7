import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asString,
  type BDict,
  BencodeError,
  type BValue,
  bdecode,
  bdecodePrefix,
  bdecodeWithSpans,
  bencode,
  binaryToBytes,
  bytesToBinary,
} from '../../src/bencode/index.js';

const ascii = (s: string) => binaryToBytes(s);
const text = (b: Uint8Array) => bytesToBinary(b);

describe('bencode: BEP 3 examples', () => {
  it('decodes the examples of BEP 3', () => {
    expect(text(bdecode(ascii('4:spam')) as Uint8Array)).toBe('spam');
    expect(bdecode(ascii('i3e'))).toBe(3);
    expect(bdecode(ascii('i-3e'))).toBe(-3);
    expect(bdecode(ascii('i0e'))).toBe(0);
    const list = bdecode(ascii('l4:spam4:eggse')) as BValue[];
    expect(list.map((b) => text(b as Uint8Array))).toEqual(['spam', 'eggs']);
    const dict = bdecode(ascii('d3:cow3:moo4:spam4:eggse')) as BDict;
    expect([...dict.keys()]).toEqual(['cow', 'spam']);
    expect(asString(dict.get('cow'))).toBe('moo');
    const nested = bdecode(ascii('d4:spaml1:a1:bee')) as BDict;
    expect((nested.get('spam') as BValue[]).map((b) => text(b as Uint8Array))).toEqual(['a', 'b']);
  });

  it('encodes the examples of BEP 3 (keys sorted by raw bytes)', () => {
    expect(text(bencode('spam'))).toBe('4:spam');
    expect(text(bencode(3))).toBe('i3e');
    expect(text(bencode(-3))).toBe('i-3e');
    expect(text(bencode(-0))).toBe('i0e');
    expect(text(bencode(['spam', 'eggs']))).toBe('l4:spam4:eggse');
    expect(text(bencode({ spam: 'eggs', cow: 'moo' }))).toBe('d3:cow3:moo4:spam4:eggse');
    expect(text(bencode({ spam: ['a', 'b'] }))).toBe('d4:spaml1:a1:bee');
    expect(
      text(
        bencode(
          new Map([
            ['b', 1],
            ['a', 2],
            ['A', 3],
          ]),
        ),
      ),
    ).toBe('d1:Ai3e1:ai2e1:bi1ee');
    expect(text(bencode({ x: undefined, y: 1 }))).toBe('d1:yi1ee');
    expect(text(bencode(''))).toBe('0:');
    expect(text(bencode([]))).toBe('le');
    expect(text(bencode({}))).toBe('de');
  });

  it('writes strings as UTF-8 and byte strings untouched', () => {
    expect([...bencode('é')]).toEqual([...ascii('2:'), 0xc3, 0xa9]);
    expect([...bencode(new Uint8Array([0, 255]))]).toEqual([...ascii('2:'), 0, 255]);
  });
});

describe('bencode: integers', () => {
  it('keeps numbers below 2^53 and bigints beyond, exactly', () => {
    expect(bdecode(ascii('i9007199254740991e'))).toBe(9007199254740991);
    expect(bdecode(ascii('i-9007199254740991e'))).toBe(-9007199254740991);
    expect(bdecode(ascii('i9007199254740992e'))).toBe(9007199254740992n);
    expect(bdecode(ascii('i-123456789012345678901234567890e'))).toBe(
      -123456789012345678901234567890n,
    );
    expect(text(bencode(123456789012345678901234567890n))).toBe('i123456789012345678901234567890e');
    expect(bdecode(ascii('i000000000000000000000000000007e'), { strict: false })).toBe(7);
  });

  it('refuses what is not an integer', () => {
    expect(() => bencode(1.5)).toThrow(TypeError);
    expect(() => bencode(2 ** 53)).toThrow(TypeError);
    expect(() => bencode(Number.NaN)).toThrow(TypeError);
    expect(() => bencode(true as never)).toThrow(TypeError);
    expect(() => bencode(null as never)).toThrow(TypeError);
  });
});

describe('bencode: strict decoding refuses non-canonical and malformed input', () => {
  const bad: [string, string][] = [
    ['i-0e', 'negative zero'],
    ['i03e', 'leading zero'],
    ['i-03e', 'leading zero'],
    ['ie', 'without digits'],
    ['i-e', 'without digits'],
    ['i3', 'unterminated'],
    ['i3x', 'invalid byte'],
    ['i+3e', 'invalid byte'],
    ['03:abc', 'leading zero'],
    ['4:abc', 'past end'],
    ['4abc', 'invalid byte'],
    ['d1:b0:1:a0:e', 'not sorted'],
    ['d1:a0:1:a0:e', 'duplicate'],
    ['di1e0:e', 'not a string'],
    ['d1:a', 'unexpected end'],
    ['l', 'unterminated list'],
    ['d', 'unterminated dictionary'],
    ['', 'unexpected end'],
    ['x', 'unexpected byte'],
    ['i1ei2e', 'trailing'],
    ['e', 'unexpected byte'],
  ];
  for (const [input, why] of bad) {
    it(`refuses ${JSON.stringify(input)} (${why})`, () => {
      let caught: unknown;
      try {
        bdecode(ascii(input));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(BencodeError);
      expect((caught as BencodeError).code).toBe('ERR_DECODE');
      expect((caught as BencodeError).message).toContain(why);
    });
  }

  it('lenient mode accepts leading zeros, -0 and unsorted keys, never duplicates', () => {
    expect(bdecode(ascii('i03e'), { strict: false })).toBe(3);
    expect(bdecode(ascii('i-0e'), { strict: false })).toBe(0);
    expect(text(bdecode(ascii('03:abc'), { strict: false }) as Uint8Array)).toBe('abc');
    const dict = bdecode(ascii('d1:bi1e1:ai2ee'), { strict: false }) as BDict;
    expect([...dict.entries()]).toEqual([
      ['b', 1],
      ['a', 2],
    ]);
    expect(() => bdecode(ascii('d1:bi1e1:ai2e1:bi3ee'), { strict: false })).toThrow(BencodeError);
  });
});

describe('bencode: limits', () => {
  it('enforces maxSize, maxDepth, maxStringLength, maxItems and maxIntegerDigits', () => {
    expect(() => bdecode(ascii('4:spam'), { maxSize: 5 })).toThrow(/maxSize/);
    expect(() => bdecode(ascii(`${'l'.repeat(65)}${'e'.repeat(65)}`))).toThrow(/maxDepth/);
    expect(bdecode(ascii(`${'l'.repeat(64)}${'e'.repeat(64)}`))).toBeDefined();
    expect(() => bdecode(ascii('4:spam'), { maxStringLength: 3 })).toThrow(/maxStringLength/);
    expect(() => bdecode(ascii('li1ei2ei3ee'), { maxItems: 3 })).toThrow(/maxItems/);
    expect(() => bdecode(ascii(`i${'9'.repeat(65)}e`))).toThrow(/digits/);
  });

  it('refuses a huge declared string length before reading it', () => {
    expect(() => bdecode(ascii('99999999999999999:x'))).toThrow(BencodeError);
    expect(() => bdecode(ascii('9999999:x'))).toThrow(/maxStringLength|past end/);
  });

  it('does not recurse on a deep dictionary chain beyond maxDepth', () => {
    const deep = `${'d1:a'.repeat(10000)}i1e${'e'.repeat(10000)}`;
    expect(() => bdecode(ascii(deep))).toThrow(/maxDepth/);
  });
});

describe('bencode: keys that are not UTF-8', () => {
  it('round-trips arbitrary key bytes through binary strings', () => {
    const key = new Uint8Array([0xff, 0x00, 0x80, 0x41]);
    const input = new Uint8Array([...ascii('d4:'), ...key, ...ascii('i1ee')]);
    const dict = bdecode(input) as BDict;
    expect([...dict.keys()]).toEqual([bytesToBinary(key)]);
    expect(bencode(dict)).toEqual(input);
  });

  it('refuses keys that are not binary strings when encoding', () => {
    expect(() => bencode(new Map([['€', 1]]))).toThrow(TypeError);
  });
});

describe('bencode: raw spans', () => {
  it('gives the exact bytes of any value, so hashes use the input, not a re-encoding', () => {
    const input = ascii('d8:announce3:url4:infod6:lengthi5e4:name1:xe3:zzzli7ei8eee');
    const decoded = bdecodeWithSpans(input);
    expect(text(decoded.rawAt(['info'])!)).toBe('d6:lengthi5e4:name1:xe');
    expect(text(decoded.rawAt(['info', 'length'])!)).toBe('i5e');
    expect(text(decoded.rawAt(['zzz', 1])!)).toBe('i8e');
    expect(text(decoded.rawAt([])!)).toBe(text(input));
    expect(decoded.rawAt(['missing'])).toBeUndefined();
    expect(decoded.rawAt(['zzz', 5])).toBeUndefined();
    expect(decoded.rawAt(['announce', 0])).toBeUndefined();
    const info = (decoded.value as BDict).get('info')!;
    expect(decoded.spanOf(info)).toEqual({ start: 22, end: 44 });
  });

  it('keeps non-canonical bytes as they were (lenient)', () => {
    const input = ascii('d4:infod4:name1:x6:lengthi05eee');
    const decoded = bdecodeWithSpans(input, { strict: false });
    expect(text(decoded.rawAt(['info'])!)).toBe('d4:name1:x6:lengthi05ee');
  });

  it('decodes a prefix and says where it ended (BEP 9 data messages)', () => {
    const input = ascii('d8:msg_typei1e5:piecei0eeRAWDATA');
    const { value, end } = bdecodePrefix(input);
    expect((value as BDict).get('msg_type')).toBe(1);
    expect(text(input.subarray(end))).toBe('RAWDATA');
  });
});

// --- properties -----------------------------------------------------------------------------

const bvalue: fc.Arbitrary<BValue> = fc.letrec<{ value: BValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 40 }),
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }).map((n) => {
      const safe = n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER);
      return safe ? Number(n) : n;
    }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .array(fc.tuple(fc.uint8Array({ maxLength: 6 }).map(bytesToBinary), tie('value')), {
        maxLength: 5,
      })
      .map((entries) => {
        const sorted = [...new Map(entries).entries()].sort((a, b) =>
          a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
        );
        return new Map(sorted);
      }),
  ),
})).value;

describe('bencode: properties', () => {
  it('decode(encode(v)) equals v, and the encoding is canonical (strict decode accepts it)', () => {
    fc.assert(
      fc.property(bvalue, (value) => {
        const bytes = bencode(value);
        const back = bdecode(bytes);
        expect(back).toEqual(value);
        expect(bencode(back)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes: only BencodeError escapes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, strict) => {
        try {
          bdecode(bytes, { strict });
        } catch (error) {
          if (!(error instanceof BencodeError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid encodings: only BencodeError escapes, and a success re-encodes', () => {
    fc.assert(
      fc.property(
        bvalue,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(),
        (value, edits, cut) => {
          const bytes = bencode(value).slice();
          for (const [at, byte] of edits) if (bytes.length > 0) bytes[at % bytes.length] = byte;
          const input = bytes.subarray(0, bytes.length - (cut % 3));
          try {
            const decoded = bdecode(input);
            // Strict mode accepted it, so it is canonical: encoding gives back the same bytes.
            expect(bencode(decoded)).toEqual(input);
          } catch (error) {
            if (!(error instanceof BencodeError)) throw error;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
