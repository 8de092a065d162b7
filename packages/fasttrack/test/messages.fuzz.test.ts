import { DecodeError } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as m from '../src/messages.js';
import { parseGive } from '../src/push.js';
import { parseTarget } from '../src/transfer.js';
import { MAX_TAGS, TAG_IDS, type TagName } from '../src/wire.js';

const hash = fc.uint8Array({ minLength: 20, maxLength: 20 });
const id = fc.uint8Array({ minLength: 16, maxLength: 16 });
const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const address = fc.record({ host: ip, port: fc.nat(0xffff) });
const text = fc.string({ maxLength: 60 });
const name = fc.string({ minLength: 1, maxLength: 60 });
const tags = fc
  .dictionary(fc.constantFrom(...(Object.keys(TAG_IDS) as TagName[])), text, {
    maxKeys: MAX_TAGS,
  })
  .map((t) => ({ ...t }));
const file = fc.record({
  uuhash: hash,
  root: hash,
  size: fc.nat(Number.MAX_SAFE_INTEGER),
  name,
  tags,
});
const entry = fc.record({ address, load: fc.nat(255), ageS: fc.nat(0xffff) });
const spec = fc.record({ words: text, maxResults: fc.nat(m.MAX_RESULTS) });

const DECODERS: [string, (b: Uint8Array) => unknown][] = [
  ['hello', m.decodeHello],
  ['helloReply', m.decodeHelloReply],
  ['refresh', m.decodeRefresh],
  ['share', m.decodeShare],
  ['shareReply', m.decodeShareReply],
  ['unshare', m.decodeUnshare],
  ['query', m.decodeQuery],
  ['forward', m.decodeForward],
  ['results', m.decodeResults],
  ['push', m.decodePush],
  ['status', m.decodeStatus],
  ['report', m.decodeReport],
  ['credit', m.decodeCredit],
  ['levelQuery', m.decodeLevelQuery],
  ['levelReply', m.decodeLevelReply],
  ['bye', m.decodeBye],
  ['empty', m.decodeEmpty],
];

describe('decoders on arbitrary bytes', () => {
  for (const [label, decode] of DECODERS) {
    it(`${label}: a value or DecodeError, nothing else`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          try {
            decode(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
          }
        }),
        { numRuns: 400 },
      );
    });
  }

  it('GIVE lines and request targets: a value, DecodeError or undefined', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        try {
          parseGive(s);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
        const t = parseTarget(s);
        if (t && t.kind !== 'probe') expect(t.uuhash).toMatch(/^[0-9a-f]{40}$/);
      }),
    );
  });
});

describe('round trips', () => {
  it('SHARE', () => {
    fc.assert(
      fc.property(fc.array(file, { maxLength: 5 }), (files) => {
        expect(m.decodeShare(m.encodeShare(files))).toEqual(files);
      }),
    );
  });

  it('QUERY and FORWARD', () => {
    fc.assert(
      fc.property(
        spec,
        id,
        fc.nat(255),
        fc.nat(0xffff),
        fc.option(hash, { nil: undefined }),
        (q, queryId, ttl, budgetMs, uuhash) => {
          const query = uuhash ? { ...q, uuhash } : q;
          expect(m.decodeQuery(m.encodeQuery(query))).toEqual(query);
          const f = { ...query, queryId, ttl, budgetMs };
          expect(m.decodeForward(m.encodeForward(f))).toEqual(f);
        },
      ),
    );
  });

  it('RESULTS, REFRESH and HELLO', () => {
    const result = fc.record({
      uuhash: hash,
      root: hash,
      size: fc.nat(Number.MAX_SAFE_INTEGER),
      name,
      tags,
      holder: address,
      holderId: id,
      firewalled: fc.boolean(),
      supernode: address,
    });
    fc.assert(
      fc.property(
        fc.array(result, { maxLength: 4 }),
        fc.nat(1000),
        fc.boolean(),
        (results, supernodes, truncated) => {
          const list = { results, supernodes, truncated };
          expect(m.decodeResults(m.encodeResults(list))).toEqual(list);
        },
      ),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 10 }), (list) => {
        expect(m.decodeRefresh(m.encodeRefresh(list))).toEqual(list);
      }),
    );
    const hello = fc.record({
      role: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<m.Role>,
      firewalled: fc.boolean(),
      supernode: fc.boolean(),
      claimedLevel: fc.nat(1000),
      uptimeS: fc.nat(0xffff_ffff),
      uploadKBps: fc.nat(0xffff_ffff),
      shares: fc.nat(1e9),
    });
    fc.assert(
      fc.property(hello, (h) => {
        expect(m.decodeHello(m.encodeHello(h))).toEqual(h);
      }),
    );
  });
});
