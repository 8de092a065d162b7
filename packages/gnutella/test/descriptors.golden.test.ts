import { Reader, Writer } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { cobsDecode, cobsEncode } from '../src/cobs.js';
import {
  type Descriptor,
  decodeDescriptor,
  decodeHeader,
  encodeDescriptor,
  QueryFlags,
} from '../src/descriptors.js';
import { readGgep, writeGgep, writeGgepLength } from '../src/ggep.js';
import { guidFromHex, guidToHex } from '../src/guid.js';
import { parseSha1Urn, sha1Urn } from '../src/urn.js';
import { ascii, hex, toHex } from './helpers.js';

// Every vector below is written by hand from the layout tables (spec sheet §3, the 0.6 draft
// §2.2, QRP appendix B), not produced by our encoder.
const G = 'a9 ab 9b 14 c1 1e 52 aa ff b4 b4 41 75 6d 29 00';
const guid = hex(G);
const SERVENT = '11 22 33 44 55 66 77 88 ff 99 aa bb cc dd ee 00';
const EMPTY_URN = 'urn:sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ'; // SHA-1 of zero bytes

const vectors: { name: string; bytes: string; descriptor: Descriptor }[] = [
  {
    name: 'Ping (TTL 7, empty payload)',
    bytes: `${G} 00 07 00 00 00 00 00`,
    descriptor: { guid, ttl: 7, hops: 0, message: { kind: 'ping' } },
  },
  {
    name: 'Pong 208.17.50.4:6346, 10 files, 1024 KB',
    bytes: `${G} 01 06 01 0e 00 00 00  ca 18  d0 11 32 04  0a 00 00 00  00 04 00 00`,
    descriptor: {
      guid,
      ttl: 6,
      hops: 1,
      message: { kind: 'pong', port: 6346, ip: '208.17.50.4', files: 10, kilobytes: 1024 },
    },
  },
  {
    name: 'Pong with a GGEP DU (daily uptime) extension',
    bytes: `${G} 01 01 00 14 00 00 00  ca 18 7f 00 00 01 00 00 00 00 00 00 00 00  c3 82 44 55 41 05`,
    descriptor: {
      guid,
      ttl: 1,
      hops: 0,
      message: {
        kind: 'pong',
        port: 6346,
        ip: '127.0.0.1',
        files: 0,
        kilobytes: 0,
        ggep: [{ id: 'DU', data: hex('05') }],
      },
    },
  },
  {
    name: 'Query "jazz", flags byte first (modern + GGEP H)',
    bytes: `${G} 80 07 00 07 00 00 00  88 00  ${ascii('jazz')} 00`,
    descriptor: {
      guid,
      ttl: 7,
      hops: 0,
      message: {
        kind: 'query',
        minSpeed: QueryFlags.Modern | QueryFlags.GgepH,
        criteria: 'jazz',
        urns: [],
      },
    },
  },
  {
    name: 'Query by hash: empty criteria, HUGE urn then GGEP, FS-separated',
    bytes: `${G} 80 03 04 34 00 00 00  80 00  00  ${ascii(EMPTY_URN)} 1c  c3 83 47 55 45 41 01`,
    descriptor: {
      guid,
      ttl: 3,
      hops: 4,
      message: {
        kind: 'query',
        minSpeed: QueryFlags.Modern,
        criteria: '',
        urns: [EMPTY_URN],
        ggep: [{ id: 'GUE', data: hex('01') }],
      },
    },
  },
  {
    name: 'Query Hit: one result with a urn, EQHD P2PK (push, not busy), servent id last',
    bytes: `${G} 81 09 00 5a 00 00 00
      01  ca 18  c0 a8 00 01  40 00 00 00
      05 00 00 00  00 10 00 00  ${ascii('a.mp3')} 00  ${ascii(EMPTY_URN)} 00
      ${ascii('P2PK')} 02 05 01
      ${SERVENT}`,
    descriptor: {
      guid,
      ttl: 9,
      hops: 0,
      message: {
        kind: 'queryhit',
        port: 6346,
        ip: '192.168.0.1',
        speed: 64,
        results: [{ index: 5, size: 4096, name: 'a.mp3', urns: [EMPTY_URN] }],
        trailer: { vendor: 'P2PK', push: true, busy: false },
        serventId: hex(SERVENT),
      },
    },
  },
  {
    name: 'Query Hit: two results, empty extension blocks (double NUL), no trailer',
    bytes: `${G} 81 02 03 32 00 00 00
      02  e8 03  0a 00 00 02  00 01 00 00
      00 00 00 00  03 00 00 00  ${ascii('x')} 00 00
      01 00 00 00  ff ff ff ff  ${ascii('yz')} 00 00
      ${SERVENT}`,
    descriptor: {
      guid,
      ttl: 2,
      hops: 3,
      message: {
        kind: 'queryhit',
        port: 1000,
        ip: '10.0.0.2',
        speed: 256,
        results: [
          { index: 0, size: 3, name: 'x', urns: [] },
          { index: 1, size: 0xffffffff, name: 'yz', urns: [] },
        ],
        serventId: hex(SERVENT),
      },
    },
  },
  {
    name: 'Push: servent id, index, IP big-endian, port little-endian',
    bytes: `${G} 40 07 00 1a 00 00 00  ${SERVENT}  05 00 00 00  c0 a8 00 02  ca 18`,
    descriptor: {
      guid,
      ttl: 7,
      hops: 0,
      message: {
        kind: 'push',
        serventId: hex(SERVENT),
        index: 5,
        ip: '192.168.0.2',
        port: 6346,
      },
    },
  },
  {
    name: 'Bye 200 with a NUL-terminated reason',
    bytes: `${G} 02 01 00 0a 00 00 00  c8 00 ${ascii('Closing')} 00`,
    descriptor: {
      guid,
      ttl: 1,
      hops: 0,
      message: { kind: 'bye', code: 200, reason: 'Closing' },
    },
  },
  {
    name: 'Vendor message (0x32): LIME, selector 12, version 1',
    bytes: `${G} 32 01 00 09 00 00 00  ${ascii('LIME')} 0c 00 01 00 2a`,
    descriptor: {
      guid,
      ttl: 1,
      hops: 0,
      message: {
        kind: 'vendor',
        experimental: false,
        vendor: 'LIME',
        selector: 12,
        version: 1,
        data: hex('2a'),
      },
    },
  },
  // QRP appendix B, example 1 and 2 (header GUIDs as printed there).
  {
    name: 'QRP RESET, table 8, infinity 7 (appendix B)',
    bytes: '85 d9 76 4d bf 02 1d 9a ff 72 e7 21 c3 40 dd 00 30 01 00 06 00 00 00 00 08 00 00 00 07',
    descriptor: {
      guid: hex('85 d9 76 4d bf 02 1d 9a ff 72 e7 21 c3 40 dd 00'),
      ttl: 1,
      hops: 0,
      message: { kind: 'qrp-reset', tableLength: 8, infinity: 7 },
    },
  },
  {
    name: 'QRP PATCH 1/1, 8 bits, "test" at distance 1 (appendix B example 1)',
    bytes:
      'a9 ab 9b 14 c1 1e 52 aa ff b4 b4 41 75 6d 29 00 30 01 00 0d 00 00 00 01 01 01 00 08 00 00 fa 00 00 00 00 00',
    descriptor: {
      guid,
      ttl: 1,
      hops: 0,
      message: {
        kind: 'qrp-patch',
        seqNo: 1,
        seqSize: 1,
        compressor: 0,
        entryBits: 8,
        data: hex('00 00 fa 00 00 00 00 00'),
      },
    },
  },
  {
    name: 'QRP PATCH 1/1, compressed, 4 bits (appendix B example 4)',
    bytes:
      'f1 a9 21 cf 47 75 9f 50 ff 08 f1 f3 57 d9 c3 00 30 01 00 11 00 00 00 01 01 01 01 04 78 9c 63 58 c0 c0 00 00 01 e4 00 a1',
    descriptor: {
      guid: hex('f1 a9 21 cf 47 75 9f 50 ff 08 f1 f3 57 d9 c3 00'),
      ttl: 1,
      hops: 0,
      message: {
        kind: 'qrp-patch',
        seqNo: 1,
        seqSize: 1,
        compressor: 1,
        entryBits: 4,
        data: hex('78 9c 63 58 c0 c0 00 00 01 e4 00 a1'),
      },
    },
  },
];

describe('descriptor golden vectors', () => {
  for (const v of vectors) {
    it(`decodes: ${v.name}`, () => {
      expect(decodeDescriptor(hex(v.bytes))).toEqual(v.descriptor);
    });
    it(`encodes: ${v.name}`, () => {
      expect(toHex(encodeDescriptor(v.descriptor))).toBe(toHex(hex(v.bytes)));
    });
  }

  it('reads the header fields at their offsets', () => {
    const h = decodeHeader(hex(`${G} 81 05 02 10 27 00 00`));
    expect(guidToHex(h.guid)).toBe('A9AB9B14C11E52AAFFB4B441756D2900');
    expect([h.type, h.ttl, h.hops, h.length]).toEqual([0x81, 5, 2, 10000]);
  });

  it('keeps an unknown payload type as raw bytes', () => {
    const d = decodeDescriptor(hex(`${G} 10 01 00 02 00 00 00 aa bb`));
    expect(d.message).toEqual({ kind: 'unknown', type: 0x10, payload: hex('aa bb') });
  });

  it('tolerates a stray NUL after a query', () => {
    const d = decodeDescriptor(hex(`${G} 80 07 00 05 00 00 00 00 00 61 00 00`));
    expect(d.message).toMatchObject({ kind: 'query', criteria: 'a', urns: [] });
  });

  it('reads the servent id from the last 16 bytes, whatever trailer precedes it', () => {
    const bytes = hex(`${G} 81 07 00 20 00 00 00  00 ca 18 7f 00 00 01 00 00 00 00
      ${ascii('GTKG')} 07 ${SERVENT}`);
    const d = decodeDescriptor(bytes);
    expect(d.message).toMatchObject({
      kind: 'queryhit',
      results: [],
      extra: hex(`${ascii('GTKG')} 07`),
    });
    if (d.message.kind === 'queryhit') expect(toHex(d.message.serventId)).toBe(toHex(hex(SERVENT)));
  });

  it('reads an EQHD with an XML length and a GGEP block in the private area', () => {
    // open data 4 bytes: flags 0x3c (busy, uploaded, speed, GGEP meaningful) / 0x24, XML length 3.
    const bytes = hex(`${G} 81 07 00 2c 00 00 00  00 ca 18 7f 00 00 01 00 00 00 00
      ${ascii('LIME')} 04 3c 24 03 00  c3 81 48 41 01  ${ascii('<a>')}  ${SERVENT}`);
    const d = decodeDescriptor(bytes);
    expect(d.message).toMatchObject({
      kind: 'queryhit',
      trailer: {
        vendor: 'LIME',
        busy: true,
        uploaded: false,
        measuredSpeed: false,
        ggep: [{ id: 'H', data: hex('01') }],
        xml: hex(ascii('<a>')),
      },
    });
    expect(toHex(encodeDescriptor(d))).toBe(toHex(bytes));
  });

  it('refuses a length field that disagrees with the bytes', () => {
    expect(() => decodeDescriptor(hex(`${G} 00 07 00 01 00 00 00`))).toThrow(/payload length/);
  });
});

describe('GGEP', () => {
  it('encodes data lengths at the 6-bit chunk boundaries (spec table)', () => {
    const cases: [number, string][] = [
      [0, '40'],
      [63, '7f'],
      [64, '81 40'],
      [4095, 'bf 7f'],
      [4096, '81 80 40'],
      [262143, 'bf bf 7f'],
    ];
    for (const [n, bytes] of cases) {
      const w = new Writer();
      writeGgepLength(w, n);
      expect(toHex(w.finish())).toBe(bytes);
    }
  });

  it('reads a two-extension block and stops after the last flag', () => {
    const r = new Reader(hex('c3 02 44 55 41 05 c1 48 43 01 02 02 ff'));
    // DU (not last), then H, COBS-flagged, length 3: COBS "01 02 02" decodes to 00 02.
    expect(readGgep(r)).toEqual([
      { id: 'DU', data: hex('05') },
      { id: 'H', data: hex('00 02'), cobs: true, deflate: false },
    ]);
    expect(r.remaining).toBe(1);
  });

  it('round-trips deflated and COBS-encoded data', () => {
    const data = new Uint8Array(300).map((_, i) => (i % 7 === 0 ? 0 : i));
    const w = new Writer();
    writeGgep(w, [{ id: 'ALT', data, cobs: true, deflate: true }]);
    const bytes = w.finish();
    expect(bytes.slice(1).includes(0)).toBe(false);
    expect(readGgep(new Reader(bytes))[0]!.data).toEqual(data);
  });

  it('refuses the reserved flag, an empty id, and a length with no end', () => {
    expect(() => readGgep(new Reader(hex('c3 91 41 40')))).toThrow(/reserved/);
    expect(() => readGgep(new Reader(hex('c3 80 40')))).toThrow(/empty id/);
    expect(() => readGgep(new Reader(hex('c3 81 41 01')))).toThrow(/length/);
    expect(() => readGgep(new Reader(hex('c3 81 41 81 81 81 40')))).toThrow(/longer than 3/);
  });
});

describe('COBS and urns', () => {
  it('encodes the classic COBS examples', () => {
    expect(toHex(cobsEncode(hex('00')))).toBe('01 01');
    expect(toHex(cobsEncode(hex('11 22 00 33')))).toBe('03 11 22 02 33');
    expect(toHex(cobsDecode(hex('03 11 22 02 33')))).toBe('11 22 00 33');
    expect(() => cobsDecode(hex('05 11'))).toThrow(/past the end/);
  });

  it('writes the SHA-1 of nothing as its well-known urn', () => {
    const digest = hex('da 39 a3 ee 5e 6b 4b 0d 32 55 bf ef 95 60 18 90 af d8 07 09');
    expect(sha1Urn(digest)).toBe(EMPTY_URN);
    expect(parseSha1Urn(EMPTY_URN.toLowerCase().replace('urn:sha1:', 'URN:SHA1:'))).toEqual(digest);
    expect(parseSha1Urn('urn:sha1:short')).toBeUndefined();
  });

  it('parses GUIDs from GIV hex in either case', () => {
    expect(guidToHex(guidFromHex('809bc12168a1852cff5d7a785833f600'))).toBe(
      '809BC12168A1852CFF5D7A785833F600',
    );
    expect(() => guidFromHex('xyz')).toThrow();
  });
});
