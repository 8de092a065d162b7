/**
 * Byte-exact vectors of every Kelips message, as PROTOCOL.md prints them. The expected bytes are
 * written out from the layout tables by hand, not produced by the encoder.
 */
import { decodeEnvelope, encodeEnvelope, idToBytes, nodeId } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { groupOfAddress, groupOfName } from '../src/groups.js';
import * as msg from '../src/messages.js';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const bytes = (h: string) =>
  Uint8Array.from(h.replace(/\s+/g, '').match(/../g) ?? [], (x) => parseInt(x, 16));
const utf8 = (s: string) => new TextEncoder().encode(s);

const A2 = { host: '10.0.0.2', port: 4000 };
const A3 = { host: '10.0.0.3', port: 4000 };

const vectors: { name: string; encoded: Uint8Array; expected: string }[] = [
  {
    name: 'PING response (pong)',
    encoded: msg.encodePong({ groups: 30, heartbeat: 7 }),
    expected: '001e 00000007',
  },
  {
    name: 'GOSSIP',
    encoded: msg.encodeGossip({
      groups: 30,
      heartbeat: 42,
      members: [{ address: A2, heartbeat: 41, ageMs: 2500 }],
      tuples: [{ name: 'song.mp3', home: A3, heartbeat: 9, ageMs: 100 }],
    }),
    expected: `001e 0000002a
      01  04 0a000002 0fa0 00000029 0019
      01  08 736f6e672e6d7033  04 0a000003 0fa0 00000009 0001`,
  },
  { name: 'JOIN (k unknown)', encoded: msg.encodeJoin(0), expected: '0000' },
  {
    name: 'JOIN reply',
    encoded: msg.encodeJoinReply({
      groups: 30,
      heartbeat: 5,
      members: [{ address: A2, heartbeat: 41, ageMs: 0 }],
      tuples: [],
    }),
    expected: '001e 00000005 0001 04 0a000002 0fa0 00000029 0000 0000',
  },
  {
    name: 'LOOKUP',
    encoded: msg.encodeLookup({ ttl: 1, name: 'song.mp3' }),
    expected: '01 08 736f6e672e6d7033',
  },
  {
    name: 'LOOKUP reply, found',
    encoded: msg.encodeLookupReply({ home: A3, hops: 0 }),
    expected: '01 00 04 0a000003 0fa0',
  },
  {
    name: 'LOOKUP reply, not found',
    encoded: msg.encodeLookupReply({ home: undefined, hops: 0 }),
    expected: '00 00',
  },
  {
    name: 'INSERT',
    encoded: msg.encodeInsert({ ttl: 0, name: 'a', value: utf8('hi') }),
    expected: '00 01 61 0002 6869',
  },
  {
    name: 'INSERT reply (a host name address)',
    encoded: msg.encodeInsertReply({ home: { host: 'node-7', port: 1 }, hops: 2 }),
    expected: '02 00 06 6e6f64652d37 0001',
  },
  {
    name: 'STORE',
    encoded: msg.encodeStore({ name: 'a', value: utf8('hi') }),
    expected: '01 61 0002 6869',
  },
  { name: 'FETCH (UTF-8 name)', encoded: msg.encodeFetch('é'), expected: '02 c3a9' },
  {
    name: 'FETCH reply, found',
    encoded: msg.encodeFetchReply(utf8('hi')),
    expected: '01 0002 6869',
  },
  {
    name: 'FETCH reply, not stored',
    encoded: msg.encodeFetchReply(undefined),
    expected: '00',
  },
  { name: 'LEAVE', encoded: msg.encodeLeave(42), expected: '0000002a' },
  {
    name: 'INFO',
    encoded: msg.encodeInfo({ section: msg.InfoSection.TUPLES, offset: 256 }),
    expected: '01 00000100',
  },
  {
    name: 'INFO page (members)',
    encoded: msg.encodeInfoPage(
      {
        groups: 30,
        heartbeat: 7,
        total: 1,
        offset: 0,
        members: [{ address: A2, heartbeat: 41, ageMs: 2500, rttMs: 12 }],
        tuples: [],
      },
      msg.InfoSection.MEMBERS,
    ),
    expected: '001e 00000007 00 00000001 00000000 0001 04 0a000002 0fa0 00000029 0019 000c',
  },
];

describe('golden vectors (PROTOCOL.md)', () => {
  for (const v of vectors) {
    it(v.name, () => {
      expect(hex(v.encoded)).toBe(v.expected.replace(/\s+/g, ''));
    });
  }

  it('decoders read the vectors back', () => {
    expect(msg.decodeLookup(bytes('01 08 736f6e672e6d7033'))).toEqual({ ttl: 1, name: 'song.mp3' });
    expect(msg.decodeLookupReply(bytes('01 00 04 0a000003 0fa0'))).toEqual({ home: A3, hops: 0 });
    expect(msg.decodeInsertReply(bytes('02 00 06 6e6f64652d37 0001'))).toEqual({
      home: { host: 'node-7', port: 1 },
      hops: 2,
    });
    expect(msg.decodeFetch(bytes('02 c3a9'))).toBe('é');
    expect(msg.decodeLeave(bytes('0000002a'))).toBe(42);
    expect(msg.decodePong(bytes('001e 00000007'))).toEqual({ groups: 30, heartbeat: 7 });
    expect(msg.decodeJoin(bytes('0000'))).toBe(0);
    expect(msg.decodeLookupReply(bytes('00 00'))).toEqual({ home: undefined, hops: 0 });
    expect(msg.decodeInfo(bytes('01 00000100'))).toEqual({ section: 1, offset: 256 });
    expect(msg.decodeFetchReply(bytes('00'))).toBeUndefined();
    expect([...(msg.decodeFetchReply(bytes('01 0002 6869')) ?? [])]).toEqual([...utf8('hi')]);
    const store = msg.decodeStore(bytes('01 61 0002 6869'));
    expect([store.name, [...store.value]]).toEqual(['a', [...utf8('hi')]]);
    const g = msg.decodeGossip(
      bytes(`001e 0000002a 01 04 0a000002 0fa0 00000029 0019
             01 08 736f6e672e6d7033 04 0a000003 0fa0 00000009 0001`),
    );
    expect(g).toEqual({
      groups: 30,
      heartbeat: 42,
      members: [{ address: A2, heartbeat: 41, ageMs: 2500 }],
      tuples: [{ name: 'song.mp3', home: A3, heartbeat: 9, ageMs: 100 }],
    });
  });

  it('a whole GOSSIP datagram: the envelope from 10.0.0.1:4000, then the body', () => {
    const sender = {
      id: idToBytes(nodeId('10.0.0.1', 4000, 160), 160),
      address: { host: '10.0.0.1', port: 4000 },
    };
    const body = msg.encodeGossip({ groups: 30, heartbeat: 42, members: [], tuples: [] });
    const datagram = encodeEnvelope({
      kind: 'oneway',
      type: msg.MessageType.GOSSIP,
      requestId: 0,
      sender,
      body,
    });
    expect(hex(datagram)).toBe(
      [
        '01 03 4b02 00000000', // version, oneway, GOSSIP, requestId 0
        '14 2b45b454da1ba888d6d1ea26af6d3c263656af04', // SHA-1("10.0.0.1:4000")
        '04 0a000001 0fa0', // 10.0.0.1:4000
        '001e 0000002a 00 00', // k = 30, heartbeat 42, no members, no filetuples
      ]
        .join('')
        .replace(/\s+/g, ''),
    );
    expect(decodeEnvelope(datagram).body).toEqual(body);
  });

  it('groups: SHA-1 of "host:port" or of the name, mod k', () => {
    // SHA-1("10.0.0.1:4000") = 2b45b4…af04, whose value mod 30 is 26.
    expect(groupOfAddress({ host: '10.0.0.1', port: 4000 }, 30)).toBe(26);
    expect(groupOfAddress({ host: '10.0.0.3', port: 4000 }, 30)).toBe(22);
    // SHA-1("song.mp3") = 059df8…3354, mod 30 = 14.
    expect(groupOfName('song.mp3', 30)).toBe(14);
    expect(groupOfName('a', 30)).toBe(22);
  });
});
