/** Byte-exact frames of PROTOCOL.md: each vector here is printed there too. */
import { describe, expect, it } from 'vitest';
import {
  decodeBye,
  decodeForward,
  decodeHello,
  decodeHelloReply,
  decodePush,
  decodeQuery,
  decodeResults,
  decodeShare,
  encodeBye,
  encodeForward,
  encodeHello,
  encodeHelloReply,
  encodePush,
  encodeQuery,
  encodeResults,
  encodeShare,
  encodeUnshare,
  Role,
} from '../src/messages.js';
import { encodeGive, parseGive } from '../src/push.js';
import { hashFromHex, hashToHex } from '../src/uuhash.js';
import type { FileEntry } from '../src/wire.js';

const hex = (b: Uint8Array) => hashToHex(b);
const clean = (s: string) => s.replace(/\s+/g, '');
const UU = hashFromHex('e7975d16e678d16390036b1aa745fd4b4f82d477');
const ROOT = new Uint8Array(20).fill(0xab);
const ID = Uint8Array.from({ length: 16 }, (_, i) => i);

const FILE: FileEntry = {
  uuhash: UU,
  root: ROOT,
  size: 1_662_976,
  name: 'song.mp3',
  tags: { artist: 'Ann' },
};

describe('golden frames', () => {
  it('HELLO', () => {
    const h = {
      role: Role.child,
      firewalled: true,
      supernode: false,
      claimedLevel: 1000,
      uptimeS: 3600,
      uploadKBps: 128,
      shares: 300,
    };
    const bytes = encodeHello(h);
    expect(hex(bytes)).toBe(clean('00 01 03e8 00000e10 00000080 ac02'));
    expect(decodeHello(bytes)).toEqual(h);
  });

  it('HELLO reply', () => {
    const r = {
      status: 0 as const,
      supernode: true,
      needSupernodes: true,
      observed: { host: '10.0.0.7', port: 1214 },
      children: 42,
      targetChildren: 100,
      supernodes: [{ address: { host: '192.168.1.2', port: 1214 }, load: 50, ageS: 30 }],
    };
    const bytes = encodeHelloReply(r);
    expect(hex(bytes)).toBe(clean('00 03 0a000007 04be 002a 0064 01 c0a80102 04be 32 001e'));
    expect(decodeHelloReply(bytes)).toEqual(r);
  });

  it('SHARE of one file with one tag', () => {
    const bytes = encodeShare([FILE]);
    expect(hex(bytes)).toBe(
      clean(`01 ${hex(UU)} ${'ab'.repeat(20)} 80c065 08 736f6e672e6d7033 01 06 03 416e6e`),
    );
    expect(decodeShare(bytes)).toEqual([FILE]);
    expect(hex(encodeUnshare([UU]))).toBe(`01${hex(UU)}`);
  });

  it('QUERY and FORWARD', () => {
    const q = { words: 'free music', maxResults: 100 };
    expect(hex(encodeQuery(q))).toBe(clean('0064 00 0a 66726565206d75736963'));
    expect(decodeQuery(encodeQuery(q))).toEqual(q);
    const f = { queryId: ID, ttl: 3, budgetMs: 5000, words: 'music', uuhash: UU, maxResults: 100 };
    const bytes = encodeForward(f);
    expect(hex(bytes)).toBe(
      clean(`000102030405060708090a0b0c0d0e0f 03 1388 0064 01 ${hex(UU)} 05 6d75736963`),
    );
    expect(decodeForward(bytes)).toEqual(f);
  });

  it('RESULTS with one result', () => {
    const list = {
      truncated: false,
      supernodes: 3,
      results: [
        {
          ...FILE,
          holder: { host: '10.0.0.9', port: 6346 },
          holderId: ID,
          firewalled: true,
          supernode: { host: '10.0.0.1', port: 1214 },
        },
      ],
    };
    const bytes = encodeResults(list);
    const file = hex(encodeShare([FILE])).slice(2);
    expect(hex(bytes)).toBe(clean(`00 03 01 ${file} 0a000009 18ca ${hex(ID)} 01 0a000001 04be`));
    expect(decodeResults(bytes)).toEqual(list);
  });

  it('PUSH, BYE and GIVE', () => {
    const p = { pushId: 7, holderId: ID, uuhash: UU, requester: { host: '10.0.0.2', port: 80 } };
    const bytes = encodePush(p);
    expect(hex(bytes)).toBe(clean(`00000007 ${hex(ID)} ${hex(UU)} 0a000002 0050`));
    expect(decodePush(bytes)).toEqual(p);
    const b = { reason: 2 as const, alternatives: [] };
    expect(hex(encodeBye(b))).toBe('0200');
    expect(decodeBye(encodeBye(b))).toEqual(b);
    expect(new TextDecoder().decode(encodeGive(42))).toBe('GIVE 42\r\n');
    expect(parseGive('GIVE 42')).toBe(42);
  });
});
