/**
 * Golden vectors: the exact bytes of every Chord message body (PROTOCOL.md). If one of these
 * changes, the wire format changed: update PROTOCOL.md and think about old nodes.
 */
import { describe, expect, it } from 'vitest';
import * as msg from '../src/messages.js';
import { Peer } from '../src/peer.js';
import { spaceFor } from '../src/space.js';

const limits: msg.WireLimits = { m: 16, maxKeySize: 1024, maxValueSize: 16384 };
const id16 = (x: number) => spaceFor(16).fromBigint(BigInt(x));
const p1 = new Peer(id16(0xabcd), { host: '10.0.0.1', port: 4000 });
const p2 = new Peer(id16(0x0102), { host: 'node-7', port: 1 });
const P1 = 'abcd 04 0a000001 0fa0';
const P2 = '0102 00 06 6e6f64652d37 0001';
const enc = new TextEncoder();

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

describe('golden vectors (m = 16)', () => {
  it('message type numbers', () => {
    expect(msg.MessageType).toEqual({
      PING: 0x4301,
      NEIGHBORS: 0x4302,
      NOTIFY: 0x4303,
      FIND_SUCCESSOR: 0x4304,
      LOOKUP: 0x4305,
      LOOKUP_RESULT: 0x4306,
      LEAVE: 0x4307,
      SUCCESSOR_HINT: 0x4308,
      PUT: 0x4310,
      FETCH: 0x4311,
      REPLICATE: 0x4312,
    });
  });

  it('peers: IPv4 and textual hosts', () => {
    expect(p1.wire).toEqual(hex(P1));
    expect(p2.wire).toEqual(hex(P2));
    expect(msg.decodePeer(hex(P2), limits)).toMatchObject({ id: p2.id, address: p2.address });
  });

  const cases: Array<[string, Uint8Array, string, (b: Uint8Array) => unknown, unknown]> = [
    [
      'NEIGHBORS answer',
      msg.encodeNeighbors({ predecessor: p1, successors: [p2] }),
      `01 ${P1} 01 ${P2}`,
      (b) => msg.decodeNeighbors(b, limits),
      { predecessor: p1, successors: [p2] },
    ],
    [
      'NEIGHBORS answer, no predecessor, empty list',
      msg.encodeNeighbors({ predecessor: undefined, successors: [] }),
      '00 00',
      (b) => msg.decodeNeighbors(b, limits),
      { predecessor: undefined, successors: [] },
    ],
    [
      'FIND_SUCCESSOR request',
      msg.encodeFindSuccessor(id16(0x1234)),
      '1234',
      (b) => msg.decodeFindSuccessor(b, limits),
      id16(0x1234),
    ],
    [
      'FIND_SUCCESSOR answer (owner candidates and a fallback hop)',
      msg.encodeStep({ owners: [p1], next: [p2] }),
      `01 ${P1} 01 ${P2}`,
      (b) => msg.decodeStep(b, limits),
      { owners: [p1], next: [p2] },
    ],
    [
      'FIND_SUCCESSOR answer (next hops only)',
      msg.encodeStep({ owners: [], next: [p1, p2] }),
      `00 02 ${P1} ${P2}`,
      (b) => msg.decodeStep(b, limits),
      { owners: [], next: [p1, p2] },
    ],
    [
      'LOOKUP',
      msg.encodeLookup({
        hops: 3,
        phase: 0,
        lookupId: 0x01020304,
        key: id16(0x1234),
        origin: { host: '127.0.0.1', port: 9000 },
      }),
      '03 00 01020304 1234 04 7f000001 2328',
      (b) => msg.decodeLookup(b, limits),
      {
        hops: 3,
        phase: 0,
        lookupId: 0x01020304,
        key: id16(0x1234),
        origin: { host: '127.0.0.1', port: 9000 },
      },
    ],
    [
      'LOOKUP_RESULT',
      msg.encodeLookupResult({ lookupId: 7, hops: 2, owner: p1 }),
      `00000007 02 ${P1}`,
      (b) => msg.decodeLookupResult(b, limits),
      { lookupId: 7, hops: 2, owner: p1 },
    ],
    [
      'LEAVE',
      msg.encodeLeave({ predecessor: p2, successors: [p1] }),
      `01 ${P2} 01 ${P1}`,
      (b) => msg.decodeLeave(b, limits),
      { predecessor: p2, successors: [p1] },
    ],
    ['SUCCESSOR_HINT', msg.encodePeer(p1), P1, (b) => msg.decodePeer(b, limits), p1],
    [
      'PUT',
      msg.encodePut({ key: enc.encode('k'), value: enc.encode('v') }),
      '00 01 6b 01 76',
      (b) => msg.decodePut(b, limits),
      { key: enc.encode('k'), value: enc.encode('v') },
    ],
    [
      'PUT (delete)',
      msg.encodePut({ key: enc.encode('k'), value: undefined }),
      '01 01 6b',
      (b) => msg.decodePut(b, limits),
      { key: enc.encode('k'), value: undefined },
    ],
    ['PUT answer (version 300)', msg.encodeVersion(300), 'ac02', (b) => msg.decodeVersion(b), 300],
    [
      'FETCH request',
      msg.encodeFetch(enc.encode('k')),
      '01 6b',
      (b) => msg.decodeFetch(b, limits),
      enc.encode('k'),
    ],
    [
      'FETCH answer (found)',
      msg.encodeFetched({ status: 'found', version: 1, value: enc.encode('v'), replicas: [] }),
      '01 01 01 76 00',
      (b) => msg.decodeFetched(b, limits),
      { status: 'found', version: 1, value: enc.encode('v'), replicas: [] },
    ],
    [
      'FETCH answer (deleted)',
      msg.encodeFetched({ status: 'deleted', version: 5, replicas: [] }),
      '02 05 00',
      (b) => msg.decodeFetched(b, limits),
      { status: 'deleted', version: 5, replicas: [] },
    ],
    [
      'FETCH answer (missing, ask these replicas)',
      msg.encodeFetched({ status: 'missing', replicas: [p1] }),
      `00 01 ${P1}`,
      (b) => msg.decodeFetched(b, limits),
      { status: 'missing', replicas: [p1] },
    ],
    [
      'REPLICATE',
      msg.encodeReplicate([
        { key: enc.encode('k'), value: enc.encode('v'), version: 1 },
        { key: enc.encode('x'), value: undefined, version: 2 },
      ]),
      '02 00 01 01 6b 01 76 01 02 01 78',
      (b) => msg.decodeReplicate(b, limits),
      [
        { key: enc.encode('k'), value: enc.encode('v'), version: 1 },
        { key: enc.encode('x'), value: undefined, version: 2 },
      ],
    ],
  ];

  for (const [name, bytes, expected, decode, value] of cases) {
    it(name, () => {
      expect(bytes).toEqual(hex(expected));
      const decoded = decode(bytes);
      expect(JSON.parse(JSON.stringify(decoded, replacer))).toEqual(
        JSON.parse(JSON.stringify(value, replacer)),
      );
    });
  }

  it('a 160-bit id takes 20 bytes; bits above m are refused', () => {
    const l160 = { ...limits, m: 160 };
    const key = spaceFor(160).fromBigint((1n << 159n) + 5n);
    const body = msg.encodeFindSuccessor(key);
    expect(body.length).toBe(20);
    expect(msg.decodeFindSuccessor(body, l160)).toBe(key);
    const l12 = { ...limits, m: 12 };
    expect(() => msg.decodeFindSuccessor(hex('1fff'), l12)).toThrow(/bits above m/);
    expect(msg.decodeFindSuccessor(hex('0fff'), l12)).toBe(spaceFor(12).fromBigint(0xfffn));
  });
});

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Peer)
    return { id: [...value.id].map((c) => c.charCodeAt(0)), address: value.address };
  if (value instanceof Uint8Array) return [...value];
  if (typeof value === 'string') return [...value].map((c) => c.charCodeAt(0));
  return value;
}
