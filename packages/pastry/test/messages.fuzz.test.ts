/**
 * Decoders fed random and mutated bytes throw only DecodeError; encode/decode round-trips.
 */
import { DecodeError, idSpace } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as msg from '../src/messages.js';
import { Peer } from '../src/peer.js';

const space = idSpace(32, 4);
const limits: msg.WireLimits = { space, maxKeySize: 64, maxValueSize: 256 };

const arbId = fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }).map((x) => space.fromBigint(x));
const arbHost = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((q) => q.join('.')),
  fc.stringMatching(/^[a-z][a-z0-9:.-]{0,39}$/),
);
const arbAddress = fc.record({ host: arbHost, port: fc.nat(65535) });
const arbPeer = fc.tuple(arbId, arbAddress).map(([id, a]) => new Peer(id, a));
const arbPeers = fc.array(arbPeer, { maxLength: 8 });
const arbKey = fc.uint8Array({ minLength: 1, maxLength: 64 });
const arbValue = fc.uint8Array({ maxLength: 256 });
const arbRow = fc
  .tuple(
    fc.nat(space.digits - 1),
    fc.array(fc.option(arbPeer, { nil: undefined }), { minLength: 16, maxLength: 16 }),
  )
  .map(([index, entries]) => ({ index, entries }));
const arbState = fc
  .record({
    rows: fc.uniqueArray(arbRow, { selector: (r) => r.index, maxLength: 3 }),
    leaves: arbPeers,
    neighbors: arbPeers,
  })
  .map((s) => ({ ...s, rows: s.rows.sort((x, y) => x.index - y.index) }));
const arbRoute = fc
  .record({
    hops: fc.nat(msg.MAX_HOPS),
    purpose: fc.constantFrom(...Object.values(msg.Purpose)),
    routeId: fc.nat(2 ** 32 - 1),
    key: arbId,
    origin: arbAddress,
    appKey: arbKey,
    value: arbValue,
  })
  .map((r): msg.Route => {
    const { appKey, value, ...rest } = r;
    if (r.purpose === msg.Purpose.PUT) return { ...rest, appKey, value };
    if (r.purpose === msg.Purpose.GET) return { ...rest, appKey };
    return rest;
  });
const arbResult = fc.record({
  routeId: fc.nat(2 ** 32 - 1),
  hops: fc.nat(msg.MAX_HOPS),
  purpose: fc.constantFrom(...Object.values(msg.Purpose)),
  status: fc.constantFrom(...Object.values(msg.Status)),
  responder: arbPeer,
  version: fc.nat(2 ** 32 - 1),
  replicas: fc.nat(255),
  value: arbValue,
});
const arbItems = fc.array(
  fc.record({ key: arbKey, version: fc.nat(2 ** 32 - 1), value: arbValue }),
  { maxLength: 4 },
);

const decoders: Record<string, (b: Uint8Array) => unknown> = {
  empty: (b) => msg.decodeEmpty(b),
  route: (b) => msg.decodeRoute(b, limits),
  routeResult: (b) => msg.decodeRouteResult(b, limits),
  joinState: (b) => msg.decodeJoinState(b, limits),
  stateRequest: (b) => msg.decodeStateRequest(b, limits),
  state: (b) => msg.decodeState(b, limits),
  peers: (b) => msg.decodePeers(b, limits),
  items: (b) => msg.decodeItems(b, limits),
};

const arbValid = fc.oneof(
  arbRoute.map((r) => msg.encodeRoute(r, space)),
  arbResult.map((r) => msg.encodeRouteResult(r, space)),
  fc
    .record({
      flags: fc.nat(3),
      position: fc.nat(msg.MAX_HOPS),
      routeId: fc.nat(2 ** 32 - 1),
      state: arbState,
    })
    .map((j) => msg.encodeJoinState(j, space)),
  arbState.map((s) => msg.encodeState(s, space)),
  arbPeers.map((p) => msg.encodePeers(p, space)),
  arbItems.map((items) => msg.encodeItems(items)),
);

function onlyDecodeErrors(decode: (b: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
  }
}

describe('decoders', () => {
  it('throw only DecodeError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const decode of Object.values(decoders)) onlyDecodeErrors(decode, bytes);
      }),
      { numRuns: 2000 },
    );
  }, 30_000);

  it('throw only DecodeError on mutated valid messages (flipped, cut, extended)', () => {
    fc.assert(
      fc.property(arbValid, fc.nat(), fc.nat(255), fc.nat(16), (valid, at, value, cut) => {
        const flipped = valid.slice();
        if (flipped.length > 0) flipped[at % flipped.length] = value;
        const truncated = valid.subarray(0, Math.max(0, valid.length - 1 - cut));
        const extended = Uint8Array.from([...valid, value]);
        for (const decode of Object.values(decoders)) {
          for (const bytes of [flipped, truncated, extended]) onlyDecodeErrors(decode, bytes);
        }
      }),
      { numRuns: 1000 },
    );
    // About 2 s on a quiet machine; a loaded CI runner can take several times that.
  }, 30_000);
});

describe('round trips', () => {
  const keys = (list: readonly (Peer | undefined)[]) =>
    list.map((p) => p && `${space.toHex(p.id)}@${p.key}`);

  it('ROUTE', () => {
    fc.assert(
      fc.property(arbRoute, (route) => {
        const back = msg.decodeRoute(msg.encodeRoute(route, space), limits);
        expect({
          ...back,
          appKey: back.appKey && [...back.appKey],
          value: back.value && [...back.value],
        }).toEqual({
          ...route,
          appKey: route.appKey && [...route.appKey],
          value: route.value && [...route.value],
        });
      }),
    );
  });

  it('ROUTE_RESULT keeps what its status and purpose carry', () => {
    fc.assert(
      fc.property(arbResult, (result) => {
        const back = msg.decodeRouteResult(msg.encodeRouteResult(result, space), limits);
        expect(keys([back.responder])).toEqual(keys([result.responder]));
        expect([back.routeId, back.hops, back.purpose, back.status]).toEqual([
          result.routeId,
          result.hops,
          result.purpose,
          result.status,
        ]);
        const ok = result.status === msg.Status.OK;
        expect(back.version).toBe(
          ok && result.purpose >= msg.Purpose.PUT ? result.version : undefined,
        );
        expect(back.value && [...back.value]).toEqual(
          ok && result.purpose === msg.Purpose.GET ? [...result.value] : undefined,
        );
      }),
    );
  });

  it('STATE and ANNOUNCE', () => {
    fc.assert(
      fc.property(arbState, (state) => {
        const back = msg.decodeState(msg.encodeState(state, space), limits);
        expect(back.rows.map((r) => [r.index, keys(r.entries)])).toEqual(
          state.rows.map((r) => [r.index, keys(r.entries)]),
        );
        expect(keys(back.leaves)).toEqual(keys(state.leaves));
        expect(keys(back.neighbors)).toEqual(keys(state.neighbors));
        expect(keys(msg.decodePeers(msg.encodePeers(state.leaves, space), limits))).toEqual(
          keys(state.leaves),
        );
      }),
    );
  });

  it('REPLICATE', () => {
    fc.assert(
      fc.property(arbItems, (items) => {
        const back = msg.decodeItems(msg.encodeItems(items), limits);
        expect(back.map((i) => [[...i.key], i.version, [...i.value]])).toEqual(
          items.map((i) => [[...i.key], i.version, [...i.value]]),
        );
      }),
    );
  });
});
