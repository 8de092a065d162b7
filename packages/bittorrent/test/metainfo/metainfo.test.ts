import { createHash } from 'node:crypto';
import { type Hasher, P2PError, sha1 } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BEncodable,
  bdecode,
  bencode,
  bytesToBinary,
  toHex,
  utf8,
} from '../../src/bencode/index.js';
import {
  choosePieceLength,
  createMetainfo,
  MetainfoError,
  memorySource,
  parseInfoDictionary,
  parseMetainfo,
  pieceHash,
  pieceSize,
} from '../../src/metainfo/index.js';

/** An independent SHA-1 (node:crypto) to cross-check the info-hash and piece hashes. */
const nodeHasher: Hasher = {
  sha1: (data) => new Uint8Array(createHash('sha1').update(data).digest()),
};

function bytesOf(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A valid multi-file torrent dict whose fields a test can override. */
function torrentDict(overrides: Record<string, BEncodable | undefined> = {}, paths?: BEncodable) {
  const length = 40000;
  return {
    announce: 'http://tracker.example/announce',
    info: {
      files: [
        { length: 30000, path: paths ?? ['a', 'b.txt'] },
        { length: 10000, path: ['c.txt'] },
      ],
      name: 'top',
      'piece length': 16384,
      pieces: new Uint8Array(Math.ceil(length / 16384) * 20),
      ...overrides,
    },
  };
}

function refusal(fn: () => unknown): MetainfoError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MetainfoError) return error;
    throw error;
  }
  throw new Error('expected a MetainfoError');
}

describe('metainfo: parse', () => {
  it('parses a multi-file torrent; the info-hash is SHA-1 of the raw info bytes', () => {
    const torrent = bencode({
      ...torrentDict(),
      'announce-list': [['http://a/announce', 'udp://b:80'], [], ['http://c/announce']],
      'creation date': 1700000000,
      comment: 'hello',
      'created by': 'p2pkit',
      'url-list': 'http://seed/',
    });
    const meta = parseMetainfo(torrent);
    // Canonical input: the info bytes are exactly the encoding of the info dict.
    const rawInfo = bencode(torrentDict().info);
    expect(bytesToBinary(torrent)).toContain(bytesToBinary(rawInfo));
    expect(meta.infoBytes).toEqual(rawInfo);
    expect(meta.infoHash).toEqual(nodeHasher.sha1(rawInfo));
    expect(meta.infoHashHex).toBe(createHash('sha1').update(rawInfo).digest('hex'));
    expect(meta.name).toBe('top');
    expect(meta.multiFile).toBe(true);
    expect(meta.length).toBe(40000);
    expect(meta.pieceCount).toBe(3);
    expect(pieceSize(meta, 0)).toBe(16384);
    expect(pieceSize(meta, 2)).toBe(40000 - 2 * 16384);
    expect(pieceHash(meta, 2)).toHaveLength(20);
    expect(() => pieceHash(meta, 3)).toThrow(RangeError);
    expect(meta.files).toEqual([
      { path: ['top', 'a', 'b.txt'], length: 30000, offset: 0, attr: '', padding: false },
      { path: ['top', 'c.txt'], length: 10000, offset: 30000, attr: '', padding: false },
    ]);
    expect(meta.announce).toBe('http://tracker.example/announce');
    expect(meta.announceList).toEqual([['http://a/announce', 'udp://b:80'], ['http://c/announce']]);
    expect(meta.urlList).toEqual(['http://seed/']);
    expect(meta.creationDate).toBe(1700000000);
    expect(meta.comment).toBe('hello');
    expect(meta.createdBy).toBe('p2pkit');
    expect(meta.private).toBe(false);
  });

  it('parses a single-file private torrent; announce alone becomes one tier', () => {
    const meta = parseMetainfo(
      bencode({
        announce: 'udp://t:1',
        info: {
          length: 5,
          name: 'f.bin',
          'piece length': 32768,
          pieces: new Uint8Array(20),
          private: 1,
        },
      }),
    );
    expect(meta.multiFile).toBe(false);
    expect(meta.files).toEqual([
      { path: ['f.bin'], length: 5, offset: 0, attr: '', padding: false },
    ]);
    expect(meta.private).toBe(true);
    expect(meta.announceList).toEqual([['udp://t:1']]);
  });

  it('accepts a trackerless torrent and BEP 47 padding files (duplicate pad paths allowed)', () => {
    const meta = parseMetainfo(
      bencode({
        info: {
          files: [
            { length: 1, path: ['x'] },
            { attr: 'p', length: 16383, path: ['.pad', '16383'] },
            { length: 1, path: ['y'] },
            { attr: 'p', length: 16383, path: ['.pad', '16383'] },
            { length: 1, path: ['z'] },
          ],
          name: 'd',
          'piece length': 16384,
          pieces: new Uint8Array(60),
        },
      }),
    );
    expect(meta.announceList).toEqual([]);
    expect(meta.files.map((f) => f.padding)).toEqual([false, true, false, true, false]);
  });

  it('uses name.utf-8 / path.utf-8 when present', () => {
    const meta = parseMetainfo(
      bencode(
        torrentDict(
          {
            name: new Uint8Array([0xe9]),
            'name.utf-8': 'é',
            files: [
              { length: 30000, path: [new Uint8Array([0xff])], 'path.utf-8': ['ü'] },
              { length: 10000, path: ['c'] },
            ],
          },
          undefined,
        ),
      ),
    );
    expect(meta.name).toBe('é');
    expect(meta.files[0]!.path).toEqual(['é', 'ü']);
  });

  it('the info-hash comes from the raw bytes even when lenient accepts non-canonical info', () => {
    // Unsorted keys inside info: a re-encoding would sort them and change the hash.
    const info = utf8(
      'd12:piece lengthi16384e4:name1:x6:lengthi5e6:pieces20:AAAAAAAAAAAAAAAAAAAAe',
    );
    const torrent = new Uint8Array([...utf8('d4:info'), ...info, ...utf8('e')]);
    expect(refusal(() => parseMetainfo(torrent)).code).toBe('ERR_METAINFO_BENCODE');
    const meta = parseMetainfo(torrent, { lenient: true });
    expect(meta.infoHash).toEqual(nodeHasher.sha1(info));
    // A decode/encode round trip would have sorted the keys and produced another hash.
    const reencoded = bencode(bdecode(info, { strict: false }));
    expect(toHex(meta.infoHash)).not.toBe(toHex(sha1(reencoded)));
  });

  it('builds a Metainfo from a raw info dictionary (magnet + BEP 9)', () => {
    const full = parseMetainfo(bencode(torrentDict()));
    const meta = parseInfoDictionary(full.infoBytes, { announceList: [['http://x/announce']] });
    expect(meta.infoHash).toEqual(full.infoHash);
    expect(meta.files).toEqual(full.files);
    expect(meta.announceList).toEqual([['http://x/announce']]);
    expect(meta.raw).toBeUndefined();
  });
});

describe('metainfo: refusals with stable codes', () => {
  const cases: [string, () => Uint8Array, string][] = [
    ['not bencode', () => utf8('d4:info'), 'ERR_METAINFO_BENCODE'],
    ['not a dict', () => bencode([1]), 'ERR_METAINFO_INVALID'],
    ['no info', () => bencode({ announce: 'x' }), 'ERR_METAINFO_INVALID'],
    ['info not a dict', () => bencode({ info: 'x' }), 'ERR_METAINFO_INVALID'],
    ['no name', () => bencode(torrentDict({ name: undefined })), 'ERR_METAINFO_INVALID'],
    ['no pieces', () => bencode(torrentDict({ pieces: undefined })), 'ERR_METAINFO_INVALID'],
    [
      'v2 only',
      () => bencode(torrentDict({ pieces: undefined, 'meta version': 2, 'file tree': {} })),
      'ERR_METAINFO_UNSUPPORTED',
    ],
    [
      'pieces not 20n',
      () => bencode(torrentDict({ pieces: new Uint8Array(59) })),
      'ERR_METAINFO_PIECES',
    ],
    [
      'too few pieces',
      () => bencode(torrentDict({ pieces: new Uint8Array(40) })),
      'ERR_METAINFO_PIECES',
    ],
    [
      'too many pieces',
      () => bencode(torrentDict({ pieces: new Uint8Array(80) })),
      'ERR_METAINFO_PIECES',
    ],
    [
      'piece length 0',
      () => bencode(torrentDict({ 'piece length': 0 })),
      'ERR_METAINFO_PIECE_LENGTH',
    ],
    [
      'piece length 3·2^13',
      () => bencode(torrentDict({ 'piece length': 24576 })),
      'ERR_METAINFO_PIECE_LENGTH',
    ],
    [
      'piece length 8 KiB',
      () => bencode(torrentDict({ 'piece length': 8192 })),
      'ERR_METAINFO_PIECE_LENGTH',
    ],
    [
      'piece length 2^30',
      () => bencode(torrentDict({ 'piece length': 2 ** 30 })),
      'ERR_METAINFO_PIECE_LENGTH',
    ],
    ['both length and files', () => bencode(torrentDict({ length: 5 })), 'ERR_METAINFO_INVALID'],
    [
      'negative length',
      () => bencode(torrentDict({ files: [{ length: -1, path: ['a'] }] })),
      'ERR_METAINFO_LENGTH',
    ],
    [
      'huge length',
      () => bencode(torrentDict({ files: [{ length: 2n ** 64n, path: ['a'] }] })),
      'ERR_METAINFO_LENGTH',
    ],
    [
      'zero bytes',
      () =>
        bencode(torrentDict({ files: [{ length: 0, path: ['a'] }], pieces: new Uint8Array(0) })),
      'ERR_METAINFO_LENGTH',
    ],
    ['empty files', () => bencode(torrentDict({ files: [] })), 'ERR_METAINFO_INVALID'],
    [
      'bad name utf-8',
      () => bencode(torrentDict({ name: new Uint8Array([0xff]) })),
      'ERR_METAINFO_ENCODING',
    ],
    [
      'bad path utf-8',
      () => bencode(torrentDict({}, [new Uint8Array([0xc3])])),
      'ERR_METAINFO_ENCODING',
    ],
    ['duplicate path', () => bencode(torrentDict({}, ['c.txt'])), 'ERR_METAINFO_DUPLICATE_PATH'],
    [
      'file under a file',
      () => bencode(torrentDict({}, ['c.txt', 'x'])),
      'ERR_METAINFO_DUPLICATE_PATH',
    ],
  ];
  for (const [what, make, code] of cases) {
    it(`${what} → ${code}`, () => {
      expect(refusal(() => parseMetainfo(make())).code).toBe(code);
    });
  }

  it('lenient mode accepts any positive piece length', () => {
    const meta = parseMetainfo(
      bencode(torrentDict({ 'piece length': 24576, pieces: new Uint8Array(40) })),
      {
        lenient: true,
      },
    );
    expect(meta.pieceCount).toBe(2);
  });
});

describe('metainfo: path safety', () => {
  const unsafe: [string, BEncodable][] = [
    ['..', ['..', 'etc', 'passwd']],
    ['.. deeper', ['a', '..', '..', 'x']],
    ['.', ['.', 'x']],
    ['...', ['...']],
    ['empty component', ['a', '', 'b']],
    ['empty path', []],
    ['absolute', ['/etc/passwd']],
    ['slash inside', ['a/../../b']],
    ['backslash', ['..\\..\\windows']],
    ['drive letter', ['C:', 'x']],
    ['drive-relative', ['c:evil']],
    ['NUL', ['a\u0000b']],
    ['control char', ['a\nb']],
    ['too long', ['x'.repeat(256)]],
    ['too deep', Array.from({ length: 65 }, () => 'd')],
    ['path component not a string', [1]],
  ];
  for (const [what, path] of unsafe) {
    it(`refuses a path with ${what}`, () => {
      const error = refusal(() => parseMetainfo(bencode(torrentDict({}, path))));
      expect(['ERR_METAINFO_UNSAFE_PATH', 'ERR_METAINFO_INVALID']).toContain(error.code);
      expect(error).toBeInstanceOf(P2PError);
    });
  }

  for (const name of ['..', '.', '', '/', 'a/b', 'C:', '\\x']) {
    it(`refuses the torrent name ${JSON.stringify(name)}`, () => {
      expect(refusal(() => parseMetainfo(bencode(torrentDict({ name })))).code).toBe(
        'ERR_METAINFO_UNSAFE_PATH',
      );
    });
  }

  it('accepts names real torrents use', () => {
    const names = ['aux.c', 'Movie: Part 2', '.hidden', 'a..b', 'spaces in name ', 'ünïcödé 日本'];
    for (const name of names) {
      expect(parseMetainfo(bencode(torrentDict({}, [name]))).files[0]!.path).toEqual(['top', name]);
    }
  });
});

describe('metainfo: create', () => {
  it('creates a single-file torrent whose piece hashes match an independent SHA-1', async () => {
    const data = bytesOf(100_000);
    const { torrent, metainfo } = await createMetainfo(
      memorySource('data.bin', [{ path: [], data }]),
      {
        hasher: nodeHasher,
        announce: 'http://127.0.0.1:8000/announce',
        pieceLength: 32768,
        comment: 'c',
        createdBy: 'p2pkit test',
        creationDate: 1234,
      },
    );
    expect(metainfo.pieceCount).toBe(4);
    for (let i = 0; i < 4; i++) {
      expect(pieceHash(metainfo, i)).toEqual(
        nodeHasher.sha1(data.subarray(i * 32768, (i + 1) * 32768)),
      );
    }
    expect(parseMetainfo(torrent).infoHash).toEqual(metainfo.infoHash);
    expect(metainfo.files).toEqual([
      { path: ['data.bin'], length: 100000, offset: 0, attr: '', padding: false },
    ]);
    expect(metainfo.announceList).toEqual([['http://127.0.0.1:8000/announce']]);
    expect(metainfo.creationDate).toBe(1234);
    // Exact layout: keys sorted, info fields as BEP 3 lists them.
    expect(bytesToBinary(torrent)).toMatch(
      /^d8:announce30:http:\/\/127\.0\.0\.1:8000\/announce7:comment1:c10:created by11:p2pkit test13:creation datei1234e4:infod6:lengthi100000e4:name8:data\.bin12:piece lengthi32768e6:pieces80:/,
    );
  });

  it('creates a multi-file torrent with pieces spanning file boundaries', async () => {
    const a = bytesOf(20000, 2);
    const b = bytesOf(1, 3);
    const c = bytesOf(50000, 4);
    const { metainfo } = await createMetainfo(
      memorySource('dir', [
        { path: ['a.bin'], data: a },
        { path: ['sub', 'b.bin'], data: b },
        { path: ['sub', 'c.bin'], data: c },
      ]),
      {
        hasher: nodeHasher,
        announceList: [['http://t1/announce'], ['udp://t2:6969']],
        private: true,
      },
    );
    const all = new Uint8Array([...a, ...b, ...c]);
    expect(metainfo.pieceLength).toBe(16384);
    expect(metainfo.pieceCount).toBe(Math.ceil(all.length / 16384));
    for (let i = 0; i < metainfo.pieceCount; i++) {
      expect(pieceHash(metainfo, i)).toEqual(
        nodeHasher.sha1(all.subarray(i * 16384, (i + 1) * 16384)),
      );
    }
    expect(metainfo.files.map((f) => f.path.join('/'))).toEqual([
      'dir/a.bin',
      'dir/sub/b.bin',
      'dir/sub/c.bin',
    ]);
    expect(metainfo.announce).toBe('http://t1/announce');
    expect(metainfo.private).toBe(true);
  });

  it('refuses unsafe paths, no data, and a source that lies about its length', async () => {
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (error) {
        return (error as MetainfoError).code;
      }
      return 'resolved';
    };
    const opts = { hasher: nodeHasher };
    expect(
      await code(
        createMetainfo(memorySource('x', [{ path: ['..', 'y'], data: bytesOf(5) }]), opts),
      ),
    ).toBe('ERR_METAINFO_UNSAFE_PATH');
    expect(
      await code(createMetainfo(memorySource('..', [{ path: [], data: bytesOf(5) }]), opts)),
    ).toBe('ERR_METAINFO_UNSAFE_PATH');
    expect(
      await code(createMetainfo(memorySource('x', [{ path: [], data: new Uint8Array(0) }]), opts)),
    ).toBe('ERR_METAINFO_LENGTH');
    expect(
      await code(
        createMetainfo(memorySource('x', [{ path: [], data: bytesOf(5) }]), {
          ...opts,
          pieceLength: 1000,
        }),
      ),
    ).toBe('ERR_METAINFO_PIECE_LENGTH');
    const liar = {
      name: 'x',
      files: [
        {
          path: [],
          length: 10,
          async *read() {
            yield new Uint8Array(9);
          },
        },
      ],
    };
    expect(await code(createMetainfo(liar, opts))).toBe('ERR_METAINFO_SOURCE');
    const longer = {
      name: 'x',
      files: [
        {
          path: [],
          length: 10,
          async *read() {
            yield new Uint8Array(11);
          },
        },
      ],
    };
    expect(await code(createMetainfo(longer, opts))).toBe('ERR_METAINFO_SOURCE');
  });

  it('chooses piece lengths by size: 1024..2048 pieces within 16 KiB..16 MiB', () => {
    expect(choosePieceLength(1)).toBe(16384);
    expect(choosePieceLength(2048 * 16384)).toBe(16384);
    expect(choosePieceLength(2048 * 16384 + 1)).toBe(32768);
    expect(choosePieceLength(256 * 2 ** 20)).toBe(128 * 1024);
    expect(choosePieceLength(4 * 2 ** 30)).toBe(2 * 2 ** 20);
    expect(choosePieceLength(2 ** 50)).toBe(16 * 2 ** 20);
    fc.assert(
      fc.property(fc.integer({ min: 2048 * 16384, max: 2048 * 16 * 2 ** 20 }), (size) => {
        const pieces = Math.ceil(size / choosePieceLength(size));
        expect(pieces).toBeGreaterThan(1024);
        expect(pieces).toBeLessThanOrEqual(2048);
      }),
    );
  });
});

describe('metainfo: fuzzing', () => {
  const valid = bencode(torrentDict());
  it('mutated torrents: only MetainfoError escapes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (edits) => {
          const bytes = valid.slice();
          for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
          for (const lenient of [false, true]) {
            try {
              parseMetainfo(bytes, { lenient });
            } catch (error) {
              if (!(error instanceof MetainfoError)) throw error;
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random structures: only MetainfoError escapes', () => {
    const anyValue = fc.letrec<{ v: BEncodable }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.uint8Array({ maxLength: 25 }),
        fc.constantFrom('..', '', 'a', '/x', 'udp://x:1'),
        fc.integer({ min: -5, max: 70000 }),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(
          fc.constantFrom('length', 'path', 'name', 'files', 'pieces', 'piece length', 'attr'),
          tie('v'),
          {
            maxKeys: 5,
          },
        ),
      ),
    })).v;
    fc.assert(
      fc.property(
        fc.record(
          {
            files: anyValue,
            name: anyValue,
            pieces: anyValue,
            'piece length': anyValue,
            length: anyValue,
          },
          {
            requiredKeys: [],
          },
        ),
        anyValue,
        (info, announceList) => {
          try {
            parseMetainfo(bencode({ 'announce-list': announceList, info }));
          } catch (error) {
            if (!(error instanceof MetainfoError)) throw error;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
