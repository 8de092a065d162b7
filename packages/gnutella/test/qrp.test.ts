import { describe, expect, it } from 'vitest';
import { decodeDescriptor, encodeDescriptor } from '../src/descriptors.js';
import {
  nameMatches,
  QrpReceiver,
  QueryRouteTable,
  qrpHash,
  qrpKeywords,
  qrpUpdate,
  splitWords,
} from '../src/qrp.js';
import { hex, toHex } from './helpers.js';

describe('QRP keyword hash (LimeWire HashFunction, QRP appendix A)', () => {
  // Every vector of the reference implementation's unit test.
  const vectors: [string, number, number][] = [
    ['', 13, 0],
    ['eb', 13, 6791],
    ['ebc', 13, 7082],
    ['ebck', 13, 6698],
    ['ebckl', 13, 3179],
    ['ebcklm', 13, 3235],
    ['ebcklme', 13, 6438],
    ['ebcklmen', 13, 1062],
    ['ebcklmenq', 13, 3527],
    ['', 16, 0],
    ['n', 16, 65003],
    ['nd', 16, 54193],
    ['ndf', 16, 4953],
    ['ndfl', 16, 58201],
    ['ndfla', 16, 34830],
    ['ndflal', 16, 36910],
    ['ndflale', 16, 34586],
    ['ndflalem', 16, 37658],
    ['ndflaleme', 16, 45559],
    ['ol2j34lj', 10, 318],
    ['asdfas23', 10, 503],
    ['9um3o34fd', 10, 758],
    ['a234d', 10, 281],
    ['a3f', 10, 767],
    ['3nja9', 10, 581],
    ['2459345938032343', 10, 146],
    ['7777a88a8a8a8', 10, 342],
    ['asdfjklkj3k', 10, 861],
    ['adfk32l', 10, 1011],
    ['zzzzzzzzzzz', 10, 944],
    ['3NJA9', 10, 581],
    ['3nJa9', 10, 581],
    ['test', 3, 2],
    ['qrp', 3, 7],
  ];
  for (const [keyword, bits, expected] of vectors) {
    it(`hash(${JSON.stringify(keyword)}, ${bits}) = ${expected}`, () => {
      expect(qrpHash(keyword, bits)).toBe(expected);
    });
  }

  it('is a prefix of the product bits: k*h(x,n) <= h(x,kn) <= k*h(x,n)+(k-1)', () => {
    for (const word of ['graphics', 'book', 'x', 'longer keyword']) {
      for (let bits = 1; bits < 20; bits++) {
        const small = qrpHash(word, bits);
        const big = qrpHash(word, bits + 1);
        expect(big >> 1).toBe(small);
      }
    }
  });
});

describe('keywords and matching', () => {
  it('splits names into lower-case words without accents', () => {
    expect(splitWords('Café_del-Mar (1999).MP3')).toEqual(['cafe', 'del', 'mar', '1999', 'mp3']);
  });

  it('adds words of 3+ characters with up to 3 trailing characters cut', () => {
    expect(qrpKeywords('Songs of me').sort()).toEqual(['son', 'song', 'songs']);
  });

  it('matches every query word against a word or its trimmed forms', () => {
    expect(nameMatches('Greatest Songs.mp3', 'song greatest')).toBe(true);
    expect(nameMatches('Greatest Songs.mp3', 'songbook')).toBe(false);
    expect(nameMatches('Greatest Songs.mp3', 'ongs')).toBe(false);
    expect(nameMatches('anything', '   ')).toBe(false);
  });

  it('a table built from names passes every query that matches a name', () => {
    const names = ['Greatest Songs.mp3', 'Linux ISO image.iso', 'Café del Mar.ogg'];
    const table = new QueryRouteTable();
    for (const n of names) table.addFile(n);
    for (const q of ['song', 'greatest songs', 'linux iso', 'cafe mar', 'CAFÉ']) {
      expect(names.some((n) => nameMatches(n, q))).toBe(true);
      expect(table.matchesQuery(q)).toBe(true);
    }
    expect(table.matchesQuery('zebra crossing')).toBe(false);
  });
});

describe('QRP RESET/PATCH (appendix B)', () => {
  const guid = hex('a9 ab 9b 14 c1 1e 52 aa ff b4 b4 41 75 6d 29 00');
  const payloads = (messages: ReturnType<typeof qrpUpdate>) =>
    messages.map((m) =>
      toHex(encodeDescriptor({ guid, ttl: 1, hops: 0, message: m }).subarray(23)),
    );

  function tables() {
    const t1 = new QueryRouteTable(3, 7).addKeyword('test');
    const t2 = t1.clone().addKeyword('qrp');
    const t3 = new QueryRouteTable(3, 7).addKeyword('qrp');
    return [t1, t2, t3] as const;
  }

  it('example 1: 8-bit entries, no compression', () => {
    const [t1, t2, t3] = tables();
    const o = { entryBits: 8, compress: false } as const;
    expect(payloads(qrpUpdate(t1, undefined, o))).toEqual([
      '00 08 00 00 00 07',
      '01 01 01 00 08 00 00 fa 00 00 00 00 00',
    ]);
    expect(payloads(qrpUpdate(t2, t1, o))).toEqual(['01 01 01 00 08 00 00 00 00 00 00 00 fa']);
    expect(payloads(qrpUpdate(t3, t2, o))).toEqual(['01 01 01 00 08 00 00 06 00 00 00 00 00']);
  });

  // Appendix B's 4-bit examples put "qrp" (hash 7) in the last byte's HIGH nibble, i.e. slot 6
  // under LimeWire's own packing (QueryRouteTable.halve: array[2i] << 4 | array[2i+1] & 0xF),
  // while its 8-bit example has it at slot 7. We follow the code: slot 7 is the low nibble.
  it('example 2 and 3: 4-bit entries, whole and split in two (high nibble first)', () => {
    const [t1, t2, t3] = tables();
    expect(payloads(qrpUpdate(t1, undefined, { compress: false }))).toEqual([
      '00 08 00 00 00 07',
      '01 01 01 00 04 00 a0 00 00',
    ]);
    expect(payloads(qrpUpdate(t2, t1, { compress: false }))).toEqual([
      '01 01 01 00 04 00 00 00 0a',
    ]);
    expect(payloads(qrpUpdate(t3, t2, { compress: false, maxChunk: 2 }))).toEqual([
      '01 01 02 00 04 00 60',
      '01 02 02 00 04 00 00',
    ]);
  });

  it('applies the compressed sequences of examples 4 and 5 byte for byte', () => {
    const receiver = new QrpReceiver();
    const apply = (h: string) => {
      const d = decodeDescriptor(hex(h));
      if (d.message.kind !== 'qrp-reset' && d.message.kind !== 'qrp-patch') throw new Error();
      receiver.apply(d.message);
    };
    const header = (len: string) => `${toHex(guid)} 30 01 00 ${len} 00 00 00`;
    apply(`${header('06')} 00 08 00 00 00 07`);
    expect(receiver.table).toBeUndefined();
    apply(`${header('11')} 01 01 01 01 04 78 9c 63 58 c0 c0 00 00 01 e4 00 a1`);
    expect([...receiver.table!.slots]).toEqual([7, 7, 1, 7, 7, 7, 7, 7]);
    // Example 5, "adding qrp", split across two messages (slot 6: see the note above).
    apply(`${header('0f')} 01 01 02 01 04 78 9c 63 60 60 58 00 00 00 a4`);
    apply(`${header('07')} 01 02 02 01 04 00 a1`);
    expect([...receiver.table!.slots]).toEqual([7, 7, 1, 7, 7, 7, 1, 7]);
    apply(`${header('11')} 01 01 01 01 04 78 9c 63 48 60 60 00 00 01 24 00 61`);
    expect([...receiver.table!.slots]).toEqual([7, 7, 7, 7, 7, 7, 1, 7]);
    expect(receiver.table!.hasKeyword('test')).toBe(false);
  });

  it('a 64K table with real names survives encode, compress, chunk and apply', () => {
    const table = new QueryRouteTable();
    for (let i = 0; i < 500; i++) table.addFile(`track ${i} artist${i % 37} album${i % 11}.mp3`);
    const messages = qrpUpdate(table, undefined, { maxChunk: 256 });
    expect(messages.length).toBeGreaterThan(2);
    const receiver = new QrpReceiver();
    for (const m of messages) receiver.apply(m);
    // First differing slot, -1 when equal (toEqual on 65,536 slots takes seconds).
    const firstDiff = (a: Uint8Array, b: Uint8Array) =>
      a.length === b.length ? a.findIndex((v, i) => v !== b[i]) : -2;
    expect(firstDiff(receiver.table!.slots, table.slots)).toBe(-1);
    const next = table.clone().addFile('new upload.ogg');
    for (const m of qrpUpdate(next, table)) receiver.apply(m);
    expect(firstDiff(receiver.table!.slots, next.slots)).toBe(-1);
    expect(qrpUpdate(next, next.clone())).toHaveLength(0);
  });

  it('absorb: the union one hop further, converting table sizes as QRP says', () => {
    const leaf = new QueryRouteTable(4).addKeyword('linux'); // 16 slots
    const slot = qrpHash('linux', 4);
    const same = new QueryRouteTable(4).absorb(leaf);
    expect(same.slots[slot]).toBe(2);
    expect(same.slots.filter((v) => v < 7)).toHaveLength(1);
    // 16 -> 8 slots: slot i of 16 lands in slot i/2 (the hash's top bits).
    const smaller = new QueryRouteTable(3).absorb(leaf);
    expect(smaller.slots[slot >> 1]).toBe(2);
    expect(smaller.hasKeyword('linux')).toBe(true);
    // 16 -> 32 slots: slot i covers slots 2i and 2i + 1.
    const larger = new QueryRouteTable(5).absorb(leaf);
    expect([larger.slots[2 * slot], larger.slots[2 * slot + 1]]).toEqual([2, 2]);
    expect(larger.slots.filter((v) => v < 7)).toHaveLength(2);
    expect(larger.hasKeyword('linux')).toBe(true);
    // Never past infinity - 1, never above what is already there.
    const far = new QueryRouteTable(4);
    far.slots[slot] = 6;
    expect(new QueryRouteTable(4).absorb(far).slots[slot]).toBe(6);
    expect(new QueryRouteTable(4).addKeyword('linux').absorb(leaf).slots[slot]).toBe(1);
  });

  it('refuses out-of-order, pre-RESET and inconsistent patches', () => {
    const r = new QrpReceiver();
    const patch = (seqNo: number, seqSize: number, data = hex('00')) =>
      ({ kind: 'qrp-patch', seqNo, seqSize, compressor: 0, entryBits: 4, data }) as const;
    expect(() => r.apply(patch(1, 1))).toThrow(/before any RESET/);
    r.apply({ kind: 'qrp-reset', tableLength: 8, infinity: 7 });
    expect(() => r.apply(patch(2, 2))).toThrow(/out of order/);
    r.apply(patch(1, 3));
    expect(() => r.apply(patch(2, 4))).toThrow(/change within/);
    expect(() =>
      new QrpReceiver().apply({ kind: 'qrp-reset', tableLength: 7, infinity: 7 }),
    ).toThrow(/power of two/);
    const r2 = new QrpReceiver();
    r2.apply({ kind: 'qrp-reset', tableLength: 8, infinity: 7 });
    expect(() => r2.apply(patch(1, 1, hex('00')))).toThrow(/needs 4/);
  });
});
