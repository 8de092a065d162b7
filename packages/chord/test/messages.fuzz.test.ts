/**
 * Decoders fed random and mutated bytes throw only DecodeError; encode/decode round-trips.
 */
import { DecodeError } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as msg from '../src/messages.js';
import { Peer } from '../src/peer.js';
import { spaceFor } from '../src/space.js';

const limits: msg.WireLimits = { m: 32, maxKeySize: 64, maxValueSize: 256 };

const arbId = fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }).map((x) => spaceFor(32).fromBigint(x));
const arbHost = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((q) => q.join('.')),
  fc.stringMatching(/^[a-z0-9:.-]{1,40}$/),
);
const arbAddress = fc.record({ host: arbHost, port: fc.nat(65535) });
const arbPeer = fc.tuple(arbId, arbAddress).map(([id, a]) => new Peer(id, a));
const arbPeers = fc.array(arbPeer, { maxLength: 8 });
const arbBytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

const decoders: Record<string, (b: Uint8Array) => unknown> = {
  empty: (b) => msg.decodeEmpty(b),
  neighbors: (b) => msg.decodeNeighbors(b, limits),
  findSuccessor: (b) => msg.decodeFindSuccessor(b, limits),
  step: (b) => msg.decodeStep(b, limits),
  lookup: (b) => msg.decodeLookup(b, limits),
  peekLookupKey: (b) => msg.peekLookupKey(b, limits),
  lookupResult: (b) => msg.decodeLookupResult(b, limits),
  leave: (b) => msg.decodeLeave(b, limits),
  peer: (b) => msg.decodePeer(b, limits),
  put: (b) => msg.decodePut(b, limits),
  version: (b) => msg.decodeVersion(b),
  fetch: (b) => msg.decodeFetch(b, limits),
  fetched: (b) => msg.decodeFetched(b, limits),
  replicate: (b) => msg.decodeReplicate(b, limits),
};

/** Valid messages of every kind, to mutate. */
const arbValid = fc.oneof(
  fc
    .record({ predecessor: fc.option(arbPeer, { nil: undefined }), successors: arbPeers })
    .map(msg.encodeNeighbors),
  arbId.map(msg.encodeFindSuccessor),
  fc
    .record({ owners: arbPeers, next: fc.array(arbPeer, { minLength: 1, maxLength: 8 }) })
    .map(msg.encodeStep),
  fc
    .record({
      hops: fc.nat(255),
      phase: fc.constantFrom(0 as const, 1 as const),
      lookupId: fc.nat(2 ** 32 - 1),
      key: arbId,
      origin: arbAddress,
    })
    .map(msg.encodeLookup),
  fc
    .record({ lookupId: fc.nat(2 ** 32 - 1), hops: fc.nat(255), owner: arbPeer })
    .map(msg.encodeLookupResult),
  fc
    .record({ key: arbBytes(1, 64), value: fc.option(arbBytes(0, 256), { nil: undefined }) })
    .map(msg.encodePut),
  arbBytes(1, 64).map(msg.encodeFetch),
  fc
    .array(
      fc.record({
        key: arbBytes(1, 64),
        value: fc.option(arbBytes(0, 256), { nil: undefined }),
        version: fc.nat(),
      }),
      { maxLength: 5 },
    )
    .map(msg.encodeReplicate),
);

function onlyDecodeErrors(bytes: Uint8Array): void {
  for (const [name, decode] of Object.entries(decoders)) {
    try {
      decode(bytes);
    } catch (error) {
      if (!(error instanceof DecodeError)) {
        throw new Error(`${name} threw ${String(error)} on ${[...bytes]}`);
      }
    }
  }
}

describe('decoders under random and mutated bytes', () => {
  it('random bytes: only DecodeError', () => {
    fc.assert(fc.property(arbBytes(0, 200), onlyDecodeErrors), { numRuns: 2000 });
  });

  it('mutated valid messages: only DecodeError', () => {
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
    fc.assert(fc.property(arbMutated, onlyDecodeErrors), { numRuns: 2000 });
  });

  it('oversized keys and values are refused', () => {
    const key = new Uint8Array(65);
    expect(() => msg.decodeFetch(msg.encodeFetch(key), limits)).toThrow(DecodeError);
    const value = new Uint8Array(257);
    expect(() => msg.decodePut(msg.encodePut({ key: new Uint8Array(1), value }), limits)).toThrow(
      DecodeError,
    );
  });
});

describe('round trips', () => {
  it('neighbors, steps, lookups, puts, items', () => {
    fc.assert(
      fc.property(arbPeer, arbPeers, (pred, list) => {
        const back = msg.decodeNeighbors(
          msg.encodeNeighbors({ predecessor: pred, successors: list }),
          limits,
        );
        expect(back.predecessor?.key).toBe(pred.key);
        expect(back.predecessor?.id).toBe(pred.id);
        expect(back.successors.map((p) => [p.id, p.key])).toEqual(list.map((p) => [p.id, p.key]));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        arbId,
        arbAddress,
        fc.nat(255),
        fc.nat(2 ** 32 - 1),
        (key, origin, hops, lookupId) => {
          const l = { hops, phase: 1 as const, lookupId, key, origin };
          const bytes = msg.encodeLookup(l);
          expect(msg.decodeLookup(bytes, limits)).toEqual(l);
          expect(msg.peekLookupKey(bytes, limits)).toBe(key);
          expect(bytes[msg.LOOKUP_HOPS_OFFSET]).toBe(hops);
          expect(bytes.subarray(msg.LOOKUP_KEY_OFFSET, msg.LOOKUP_KEY_OFFSET + 4)).toEqual(
            Uint8Array.from(key, (c) => c.charCodeAt(0)),
          );
        },
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: arbBytes(1, 64),
            value: fc.option(arbBytes(0, 256), { nil: undefined }),
            version: fc.nat(),
          }),
          { maxLength: 10 },
        ),
        (items) => {
          expect(msg.decodeReplicate(msg.encodeReplicate(items), limits)).toEqual(items);
        },
      ),
      { numRuns: 300 },
    );
  });
});
