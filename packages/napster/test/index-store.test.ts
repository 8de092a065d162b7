/**
 * The file index against a naive model: random shares, unshares and logouts, then searches whose
 * results must be exactly the model's (as sets, when under the limit).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileIndex, type FileRecord, tokenizeText } from '../src/index.js';

const file = (filename: string, extra: Partial<FileRecord> = {}): FileRecord => ({
  filename,
  md5: '0123456789abcdef0123456789abcdef',
  size: 1000,
  bitrate: 128,
  frequency: 44100,
  duration: 60,
  ...extra,
});

describe('FileIndex', () => {
  it('finds files by every word, skips the searcher, filters by numbers', () => {
    const index = new FileIndex();
    const a = index.add(1, file('Sneaker Pimps - Tesko Suicide.mp3', { bitrate: 192 }));
    const b = index.add(2, file('sneaker pimps - 6 underground.mp3'));
    index.add(3, file('Pimps of Joytime.mp3'));
    const out = new Uint32Array(10);
    const found = (words: string[], extra = {}) =>
      [...out.subarray(0, index.search({ words, ...extra }, 10, out))].sort();
    expect(found(['sneaker', 'pimps'])).toEqual([a, b].sort());
    expect(found(['pimps'], { skipOwner: 2 })).toHaveLength(2);
    expect(found(['sneaker'], { bitrate: { min: 160 } })).toEqual([a]);
    expect(found(['sneaker'], { excludes: ['underground'] })).toEqual([a]);
    expect(found(['sneak'])).toEqual([]);
    expect(found(['nothing', 'pimps'])).toEqual([]);
    expect(found([])).toEqual([]);
    expect(index.file(a as number)).toEqual(
      file('Sneaker Pimps - Tesko Suicide.mp3', { bitrate: 192 }),
    );
  });

  it('refuses duplicates per user, long names and out-of-range numbers', () => {
    const index = new FileIndex({ maxFilenameBytes: 20 });
    expect(typeof index.add(1, file('a.mp3'))).toBe('number');
    expect(index.add(1, file('a.mp3'))).toBe('duplicate');
    expect(typeof index.add(2, file('a.mp3'))).toBe('number');
    expect(index.add(1, file('x'.repeat(21)))).toBe('too long');
    expect(index.add(1, file('é'.repeat(11)))).toBe('too long'); // 22 bytes of UTF-8
    expect(index.add(1, file('b', { bitrate: 2 ** 32 }))).toBe('out of range');
    expect(index.files).toBe(2);
    expect(() => new FileIndex({ maxFilenameBytes: 70_000 })).toThrow(RangeError);
  });

  it('writes the fields of 201/212 byte for byte, MD5 packed or not', () => {
    const index = new FileIndex();
    const a = index.add(
      1,
      file('x y.mp3', { md5: 'B92870E0D41BC8E698CF2F0A1DDFEAC7', size: 443332 }),
    ) as number;
    const b = index.add(
      1,
      file('z.mp3', { md5: 'd41d8cd98f00b204e9800998ecf8427e-3000' }),
    ) as number;
    const buf = new Uint8Array(index.maxFieldsBytes);
    const text = (slot: number) =>
      new TextDecoder().decode(buf.subarray(0, index.writeFields(slot, buf, 0)));
    expect(text(a)).toBe('"x y.mp3" b92870e0d41bc8e698cf2f0a1ddfeac7 443332 128 44100 60');
    expect(text(b)).toBe('"z.mp3" d41d8cd98f00b204e9800998ecf8427e-3000 1000 128 44100 60');
  });

  it('agrees with a naive model under random shares, unshares, logouts and sweeps', () => {
    const vocabulary = ['red', 'blue', 'green', "don't", 'ünï', 'x1', 'the', 'mp3'];
    const name = fc
      .array(fc.constantFrom(...vocabulary), { minLength: 1, maxLength: 4 })
      .chain((words) =>
        fc.constantFrom(words.join(' '), `${words.join('_')}.mp3`, words.join(' - ').toUpperCase()),
      );
    const op = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          op: fc.constant('add' as const),
          owner: fc.nat(4),
          name,
          bitrate: fc.constantFrom(128, 192, 320),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ op: fc.constant('remove' as const), owner: fc.nat(4), name }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('logout' as const), owner: fc.nat(4) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('sweep' as const) }) },
      {
        weight: 3,
        arbitrary: fc.record({
          op: fc.constant('search' as const),
          words: fc.array(fc.constantFrom(...vocabulary), { minLength: 1, maxLength: 3 }),
          skipOwner: fc.option(fc.nat(4), { nil: undefined }),
          minBitrate: fc.option(fc.constantFrom(160, 192), { nil: undefined }),
          limit: fc.constantFrom(2, 100),
        }),
      },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const index = new FileIndex();
        // Slots are renumbered by sweeps: the model knows files by owner and name.
        const model = new Map<string, { owner: number; name: string; bitrate: number }>();
        const keyOf = (slot: number) => `${index.ownerOf(slot)}\0${index.file(slot).filename}`;
        const out = new Uint32Array(100);
        for (const o of ops) {
          if (o.op === 'add') {
            const key = `${o.owner}\0${o.name}`;
            const slot = index.add(o.owner, file(o.name, { bitrate: o.bitrate }));
            if (model.has(key)) expect(slot).toBe('duplicate');
            else {
              expect(typeof slot).toBe('number');
              model.set(key, {
                owner: o.owner,
                name: o.name,
                bitrate: o.bitrate,
              });
            }
          } else if (o.op === 'remove') {
            const key = `${o.owner}\0${o.name}`;
            expect(index.remove(o.owner, o.name)).toBe(model.delete(key));
          } else if (o.op === 'logout') {
            let n = 0;
            for (const [k, v] of model) if (v.owner === o.owner && model.delete(k)) n++;
            expect(index.removeOwner(o.owner)).toBe(n);
          } else if (o.op === 'sweep') {
            index.sweep();
          } else {
            const words = [...new Set(o.words.flatMap((w) => tokenizeText(w)))];
            const expected = [...model.values()]
              .filter(
                (f) => words.length > 0 && words.every((w) => tokenizeText(f.name).includes(w)),
              )
              .filter((f) => f.owner !== o.skipOwner)
              .filter((f) => o.minBitrate === undefined || f.bitrate >= o.minBitrate)
              .map((f) => `${f.owner}\0${f.name}`)
              .sort();
            const n = index.search(
              {
                words,
                skipOwner: o.skipOwner,
                bitrate: o.minBitrate === undefined ? undefined : { min: o.minBitrate },
              },
              o.limit,
              out,
            );
            const got = [...out.subarray(0, n)].map(keyOf).sort();
            if (expected.length <= o.limit) expect(got).toEqual(expected);
            else {
              expect(got).toHaveLength(o.limit);
              for (const key of got) expect(expected).toContain(key);
            }
          }
          expect(index.files).toBe(model.size);
        }
        for (const f of model.values()) {
          const slot = index.slotOf(f.owner, f.name);
          expect(index.isLive(slot)).toBe(true);
          expect(index.file(slot).filename).toBe(f.name);
          expect(index.ownerOf(slot)).toBe(f.owner);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reuses slots only after a sweep, and compacts its name arena', () => {
    const index = new FileIndex();
    const n = 5000;
    for (let i = 0; i < n; i++) index.add(1, file(`song number ${i} ${'x'.repeat(200)}.mp3`));
    const before = index.columnBytes;
    expect(index.removeOwner(1)).toBe(n); // triggers a sweep (n >= 1024)
    for (let i = 0; i < n; i++) index.add(2, file(`track ${i} ${'y'.repeat(200)}.mp3`));
    const out = new Uint32Array(10);
    expect(index.search({ words: ['song'] }, 10, out)).toBe(0);
    expect(index.search({ words: ['track', '4999'] }, 10, out)).toBe(1);
    expect(index.file(out[0]!).filename).toBe(`track 4999 ${'y'.repeat(200)}.mp3`);
    // The second library took the first one's slots and arena room: no growth to speak of.
    expect(index.columnBytes).toBeLessThanOrEqual(before * 1.6);
    expect(index.files).toBe(n);
  });

  it('holds a file shared byte for byte by several users once, through removals and compaction', () => {
    const index = new FileIndex();
    const long = 'z'.repeat(200);
    const song = (i: number) => file(`song ${i} ${long}.mp3`, { size: 1000 + i });
    for (let i = 0; i < 4000; i++) {
      index.add(1, song(i));
      index.add(2, song(i));
      index.add(3, file(`junk ${i} ${long} ${'j'.repeat(40)}.mp3`));
    }
    expect(index.files).toBe(12_000);
    expect(index.distinctFiles).toBe(8000);
    // Owner 3's entries become garbage; owner 1's stay (owner 2 still shares them).
    index.removeOwner(3);
    index.removeOwner(1);
    expect(index.distinctFiles).toBe(4000);
    // New files fill the arena until it compacts (more garbage than live), moving the shared
    // entries.
    const before = index.columnBytes;
    for (let i = 0; i < 8000; i++) index.add(4, file(`new ${i} ${long}.mp3`));
    expect(index.columnBytes).toBeLessThan(before * 2);
    for (let i = 0; i < 4000; i += 7) {
      const slot = index.slotOf(2, song(i).filename);
      expect(index.file(slot)).toEqual(song(i));
      expect(index.ownerOf(slot)).toBe(2);
    }
    const out = new Uint32Array(10);
    expect(index.search({ words: ['song', '3999'] }, 10, out)).toBe(1);
    expect(index.file(out[0]!)).toEqual(song(3999));
    // A second copy after the others left is again the same entry.
    expect(typeof index.add(5, song(3999))).toBe('number');
    expect(index.distinctFiles).toBe(12_000);
  });

  it('answers through the bitmaps of common words as through their lists, before and after a sweep', () => {
    const index = new FileIndex();
    const names = new Map<number, string>();
    // Every file has "common"; every third "three"; every 50th "rare": lists of 9000, 3000, 180.
    for (let i = 0; i < 9000; i++) {
      const name = `common ${i % 3 === 0 ? 'three' : 'other'} ${i % 50 === 0 ? 'rare' : 'plain'} n${i}.mp3`;
      const slot = index.add(i % 7, file(name)) as number;
      names.set(slot, name);
    }
    const out = new Uint32Array(10_000);
    const expected = (words: string[], excludes: string[] = []) =>
      [...names.entries()]
        .filter(([slot, name]) => {
          const w = tokenizeText(name);
          return (
            index.isLive(slot) &&
            words.every((x) => w.includes(x)) &&
            !excludes.some((x) => w.includes(x))
          );
        })
        .map(([, name]) => name)
        .sort();
    const found = (words: string[], excludes: string[] = []) =>
      [...out.subarray(0, index.search({ words, excludes }, out.length, out))]
        .map((slot) => index.file(slot).filename)
        .sort();
    const check = () => {
      for (const [words, excludes] of [
        [['rare', 'common'], []],
        [['three', 'common'], []],
        [['common', 'three', 'rare'], []],
        [['rare'], ['three']],
        [['common'], ['three', 'rare']],
      ] as [string[], string[]][]) {
        expect(found(words, excludes)).toEqual(expected(words, excludes));
      }
    };
    check();
    // Owners 0-2 leave: a sweep renumbers the slots and rebuilds the bitmaps.
    for (const owner of [0, 1, 2]) index.removeOwner(owner);
    const renamed = new Map<number, string>();
    for (let slot = 0; slot < 9000; slot++) {
      if (index.isLive(slot)) renamed.set(slot, index.file(slot).filename);
    }
    names.clear();
    for (const [slot, name] of renamed) names.set(slot, name);
    for (let i = 9000; i < 12_000; i++) {
      const name = `common three n${i}.mp3`;
      names.set(index.add(3, file(name)) as number, name);
    }
    check();
  });
});
