import { createHash } from 'node:crypto';
import { DecodeError } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeExtendedHandshake, encodeExtendedHandshake } from '../../src/wire/extended.js';
import {
  decodeMetadataMessage,
  encodeMetadataMessage,
  MetadataAssembler,
  metadataPiece,
} from '../../src/wire/metadata.js';

const sha1 = (data: Uint8Array) => new Uint8Array(createHash('sha1').update(data).digest());
const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('BEP 10 extended handshake', () => {
  it('encodes canonically (sorted keys)', () => {
    const bytes = encodeExtendedHandshake({
      m: new Map([
        ['ut_metadata', 1],
        ['ut_pex', 0],
      ]),
      p: 6881,
      v: 'p2pkit 0.0.1',
      reqq: 500,
      metadataSize: 31235,
      yourip: Uint8Array.of(127, 0, 0, 1),
    });
    expect(text(bytes)).toBe(
      'd1:md11:ut_metadatai1e6:ut_pexi0ee13:metadata_sizei31235e1:pi6881e4:reqqi500e1:v12:p2pkit 0.0.16:yourip4:\x7f\x00\x00\x01e',
    );
    const back = decodeExtendedHandshake(bytes);
    expect([...back.m]).toEqual([
      ['ut_metadata', 1],
      ['ut_pex', 0],
    ]);
    expect(back).toMatchObject({ p: 6881, v: 'p2pkit 0.0.1', reqq: 500, metadataSize: 31235 });
    expect([...back.yourip!]).toEqual([127, 0, 0, 1]);
  });

  it("decodes BEP 10's example (with µT_PEX's length fixed: 7 bytes in UTF-8) and ignores ill-typed fields", () => {
    const example = new Uint8Array(
      Buffer.from(
        'd1:md11:LT_metadatai1e7:\xc2\xb5T_PEXi2ee1:pi6881e1:v13:\xc2\xb5Torrent 1.2e',
        'latin1',
      ),
    );
    const h = decodeExtendedHandshake(example);
    expect(h.m.get('LT_metadata')).toBe(1);
    expect(h.p).toBe(6881);
    expect(h.v).toBe('µTorrent 1.2');
    const odd = decodeExtendedHandshake(new TextEncoder().encode('d1:m3:abc1:p3:xyz4:reqqi-1ee'));
    expect(odd.m.size).toBe(0);
    expect(odd.p).toBeUndefined();
    expect(odd.reqq).toBeUndefined();
  });

  it('fuzz: only DecodeError escapes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        try {
          decodeExtendedHandshake(bytes);
          decodeMetadataMessage(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('BEP 9 ut_metadata', () => {
  it('encodes the three messages as BEP 9 shows them', () => {
    expect(text(encodeMetadataMessage({ type: 'request', piece: 0 }))).toBe(
      'd8:msg_typei0e5:piecei0ee',
    );
    expect(text(encodeMetadataMessage({ type: 'reject', piece: 0 }))).toBe(
      'd8:msg_typei2e5:piecei0ee',
    );
    const data = encodeMetadataMessage({
      type: 'data',
      piece: 0,
      totalSize: 34256,
      data: Uint8Array.of(120, 120),
    });
    expect(text(data)).toBe('d8:msg_typei1e5:piecei0e10:total_sizei34256eexx');
    const back = decodeMetadataMessage(data);
    expect(back).toMatchObject({ type: 'data', piece: 0, totalSize: 34256 });
    expect(back.type === 'data' && text(back.data)).toBe('xx');
    expect(decodeMetadataMessage(new TextEncoder().encode('d8:msg_typei7e5:piecei3ee'))).toEqual({
      type: 'unknown',
      msgType: 7,
      piece: 3,
    });
  });

  it('assembles, verifies against the info-hash, and starts over on a lie', () => {
    const metadata = new Uint8Array(40000).map((_, i) => (i * 7) & 0xff);
    const infoHash = sha1(metadata);
    const assembler = new MetadataAssembler(metadata.length);
    expect(assembler.pieceCount).toBe(3);
    expect(assembler.add(0, metadataPiece(metadata, 0)!)).toBe(true);
    expect(assembler.add(2, metadata.subarray(0, 100))).toBe(false); // wrong size
    expect(assembler.add(2, metadataPiece(metadata, 2)!)).toBe(true);
    expect(assembler.missing()).toEqual([1]);
    const lie = metadataPiece(metadata, 1)!.slice();
    lie[5] = lie[5]! ^ 1;
    assembler.add(1, lie);
    expect(assembler.verify(infoHash, sha1)).toBeUndefined();
    expect(assembler.missing()).toEqual([0, 1, 2]);
    for (let i = 0; i < 3; i++) assembler.add(i, metadataPiece(metadata, i)!);
    expect(assembler.verify(infoHash, sha1)).toEqual(metadata);
  });
});
