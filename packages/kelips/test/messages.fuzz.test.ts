/**
 * Decoders fed random and mutated bytes throw only DecodeError; every message round-trips; and
 * anything a decoder accepts re-encodes to the same bytes (one encoding per message).
 */
import { DecodeError } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as msg from '../src/messages.js';

const arbHost = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((q) => q.join('.')),
  fc.stringMatching(/^[a-z][a-z0-9.-]{0,30}$/),
);
const arbAddress = fc.record({ host: arbHost, port: fc.nat(65535) });
// Names are any UTF-8 of 1..255 bytes; keep to strings without lone surrogates.
const arbName = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .filter((s) => new TextEncoder().encode(s).length <= 255);
const arbAge = fc.nat(0xffff).map((d) => d * 100);
const arbMember = fc.record({ address: arbAddress, heartbeat: fc.nat(2 ** 32 - 1), ageMs: arbAge });
const arbTuple = fc.record({
  name: arbName,
  home: arbAddress,
  heartbeat: fc.nat(2 ** 32 - 1),
  ageMs: arbAge,
});
const arbGroups = fc.integer({ min: 1, max: 0xffff });
const arbBytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const arbGossip = fc.record({
  groups: arbGroups,
  heartbeat: fc.nat(2 ** 32 - 1),
  members: fc.array(arbMember, { maxLength: 8 }),
  tuples: fc.array(arbTuple, { maxLength: 4 }),
});
const arbInfoMembers = fc.record({
  groups: arbGroups,
  heartbeat: fc.nat(2 ** 32 - 1),
  total: fc.nat(2 ** 32 - 1),
  offset: fc.nat(2 ** 32 - 1),
  members: fc.array(
    fc.record({
      address: arbAddress,
      heartbeat: fc.nat(2 ** 32 - 1),
      ageMs: arbAge,
      rttMs: fc.option(fc.nat(0xfffe), { nil: undefined }),
    }),
    { maxLength: 6 },
  ),
  tuples: fc.constant([]),
});

/** name → [decode, encode of what decode returns] */
const codecs: Record<string, [(b: Uint8Array) => unknown, ((x: never) => Uint8Array) | undefined]> =
  {
    empty: [msg.decodeEmpty, undefined],
    pong: [msg.decodePong, msg.encodePong],
    gossip: [msg.decodeGossip, msg.encodeGossip],
    join: [msg.decodeJoin, msg.encodeJoin],
    joinReply: [msg.decodeJoinReply, msg.encodeJoinReply],
    lookup: [msg.decodeLookup, msg.encodeLookup],
    lookupReply: [msg.decodeLookupReply, msg.encodeLookupReply],
    insert: [(b) => msg.decodeInsert(b, 256), msg.encodeInsert],
    insertReply: [msg.decodeInsertReply, msg.encodeInsertReply],
    store: [(b) => msg.decodeStore(b, 256), msg.encodeStore],
    fetch: [msg.decodeFetch, msg.encodeFetch],
    fetchReply: [(b) => msg.decodeFetchReply(b, 256), msg.encodeFetchReply],
    leave: [msg.decodeLeave, msg.encodeLeave],
    info: [msg.decodeInfo, msg.encodeInfo],
    infoPage: [
      msg.decodeInfoPage,
      ((p: ReturnType<typeof msg.decodeInfoPage>) => msg.encodeInfoPage(p, p.section)) as never,
    ],
  };

/** Valid messages of every kind, to mutate. */
const arbValid = fc.oneof(
  fc.record({ groups: arbGroups, heartbeat: fc.nat(2 ** 32 - 1) }).map(msg.encodePong),
  arbGossip.map(msg.encodeGossip),
  fc.nat(0xffff).map(msg.encodeJoin),
  arbGossip.map(msg.encodeJoinReply),
  fc.record({ ttl: fc.nat(255), name: arbName }).map(msg.encodeLookup),
  fc
    .record({ home: fc.option(arbAddress, { nil: undefined }), hops: fc.nat(255) })
    .map(msg.encodeLookupReply),
  fc.record({ ttl: fc.nat(255), name: arbName, value: arbBytes(0, 300) }).map(msg.encodeInsert),
  fc.record({ home: arbAddress, hops: fc.nat(255) }).map(msg.encodeInsertReply),
  fc.record({ name: arbName, value: arbBytes(0, 300) }).map(msg.encodeStore),
  arbName.map(msg.encodeFetch),
  fc.option(arbBytes(0, 300), { nil: undefined }).map(msg.encodeFetchReply),
  fc.nat(2 ** 32 - 1).map(msg.encodeLeave),
  fc
    .record({ section: fc.constantFrom(0 as const, 1 as const), offset: fc.nat(2 ** 32 - 1) })
    .map(msg.encodeInfo),
  arbInfoMembers.map((p) => msg.encodeInfoPage(p, msg.InfoSection.MEMBERS)),
);

/** Every decoder on `bytes`: only DecodeError; an accepted message re-encodes to `bytes`. */
function check(bytes: Uint8Array): void {
  for (const [name, [decode, encode]] of Object.entries(codecs)) {
    let decoded: unknown;
    try {
      decoded = decode(bytes);
    } catch (error) {
      if (!(error instanceof DecodeError)) {
        throw new Error(`${name} threw ${String(error)} on ${[...bytes]}`);
      }
      continue;
    }
    if (encode !== undefined) {
      expect([...encode(decoded as never)], `${name} re-encoded`).toEqual([...bytes]);
    }
  }
}

describe('decoders under random and mutated bytes', { timeout: 30_000 }, () => {
  it('random bytes: only DecodeError, and canonical when accepted', () => {
    fc.assert(fc.property(arbBytes(0, 200), check), { numRuns: 3000 });
  });

  it('mutated valid messages: only DecodeError, and canonical when accepted', () => {
    const arbMutated = fc
      .tuple(
        arbValid,
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        fc.nat(),
      )
      .map(([bytes, flips, cut]) => {
        const out = bytes.slice(0, bytes.length === 0 ? 0 : 1 + (cut % bytes.length));
        for (const [at, v] of flips) if (out.length > 0) out[at % out.length] = v;
        return out;
      });
    fc.assert(fc.property(arbMutated, check), { numRuns: 3000 });
  });
});

describe('round trips', { timeout: 30_000 }, () => {
  it('every message decodes to what was encoded', () => {
    fc.assert(
      fc.property(arbGossip, (g) => {
        expect(msg.decodeGossip(msg.encodeGossip(g))).toEqual(g);
        expect(msg.decodeJoinReply(msg.encodeJoinReply(g))).toEqual(g);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat(255), arbName, arbBytes(0, 300), arbAddress, (ttl, name, value, home) => {
        expect(msg.decodeLookup(msg.encodeLookup({ ttl, name }))).toEqual({ ttl, name });
        const insert = msg.decodeInsert(msg.encodeInsert({ ttl, name, value }));
        expect({ ...insert, value: [...insert.value] }).toEqual({ ttl, name, value: [...value] });
        expect(msg.decodeLookupReply(msg.encodeLookupReply({ home, hops: ttl }))).toEqual({
          home,
          hops: ttl,
        });
        expect(msg.decodeInsertReply(msg.encodeInsertReply({ home, hops: ttl }))).toEqual({
          home,
          hops: ttl,
        });
        expect([...(msg.decodeFetchReply(msg.encodeFetchReply(value)) ?? [])]).toEqual([...value]);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(arbInfoMembers, (p) => {
        const back = msg.decodeInfoPage(msg.encodeInfoPage(p, msg.InfoSection.MEMBERS));
        expect(back).toEqual({ ...p, section: msg.InfoSection.MEMBERS });
      }),
      { numRuns: 200 },
    );
  });
});

describe('limits', () => {
  it('a gossip message above its byte or entry limit is refused, not read', () => {
    const member = { address: { host: '10.0.0.1', port: 4000 }, heartbeat: 1, ageMs: 0 };
    const full = msg.encodeGossip({
      groups: 30,
      heartbeat: 1,
      members: Array.from({ length: msg.MAX_GOSSIP_ENTRIES }, () => member),
      tuples: [],
    });
    expect(msg.decodeGossip(full).members.length).toBe(msg.MAX_GOSSIP_ENTRIES);
    // One entry more, written by hand (the encoder refuses it too).
    const over = new Uint8Array(full.length + 13);
    over.set(full.subarray(0, full.length - 1));
    over[6] = msg.MAX_GOSSIP_ENTRIES + 1;
    over.set(full.subarray(7, 20), full.length - 1);
    over[over.length - 1] = 0;
    expect(() => msg.decodeGossip(over)).toThrow(/above limit/);
    expect(() =>
      msg.encodeGossip({
        groups: 30,
        heartbeat: 1,
        members: Array.from({ length: msg.MAX_GOSSIP_ENTRIES + 1 }, () => member),
        tuples: [],
      }),
    ).toThrow(/above limit/);
    expect(() => msg.decodeGossip(new Uint8Array(msg.MAX_GOSSIP_BODY + 1))).toThrow(DecodeError);
  });

  it('values above the receiver limit are refused', () => {
    const body = msg.encodeStore({ name: 'f', value: new Uint8Array(300) });
    expect(() => msg.decodeStore(body, 299)).toThrow(DecodeError);
    expect(msg.decodeStore(body, 300).value.length).toBe(300);
  });

  it('k = 0 is refused where a system speaks, allowed in a JOIN (learn k)', () => {
    expect(msg.decodeJoin(msg.encodeJoin(0))).toBe(0);
    expect(() => msg.decodePong(Uint8Array.of(0, 0, 0, 0, 0, 1))).toThrow(DecodeError);
  });

  it('ages saturate at 6553.5 s and round down to tenths', () => {
    const g = msg.decodeGossip(
      msg.encodeGossip({
        groups: 2,
        heartbeat: 0,
        members: [
          { address: { host: '1.2.3.4', port: 1 }, heartbeat: 0, ageMs: 10 ** 9 },
          { address: { host: '1.2.3.4', port: 2 }, heartbeat: 0, ageMs: 1299 },
        ],
        tuples: [],
      }),
    );
    expect(g.members.map((m) => m.ageMs)).toEqual([msg.MAX_AGE_MS, 1200]);
  });
});
