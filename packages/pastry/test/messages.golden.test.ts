/**
 * Byte-exact examples of PROTOCOL.md: each message below is written out by hand there and here,
 * and must encode to exactly these bytes and decode back to the same fields.
 */
import { decodeEnvelope, encodeEnvelope, idSpace, keyId, nodeId } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import * as msg from '../src/messages.js';
import { Peer } from '../src/peer.js';

const space = idSpace(16, 4);
const limits: msg.WireLimits = { space, maxKeySize: 64, maxValueSize: 256 };
const id = (x: bigint) => space.fromBigint(x);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

const a = new Peer(id(0xabcdn), { host: '10.0.0.1', port: 4000 });
const b = new Peer(id(0x0102n), { host: 'node-7', port: 1 });

describe('PROTOCOL.md examples', () => {
  it('a peer: id, then the address (IPv4 and host name)', () => {
    expect(hex(a.wire(space))).toBe('abcd040a0000010fa0');
    expect(hex(b.wire(space))).toBe('0102' + '00066e6f64652d37' + '0001');
  });

  it('ROUTE, a lookup', () => {
    const wire = '02 00 01020304 1234 04 0a000009 0fa0';
    const route: msg.Route = {
      hops: 2,
      purpose: msg.Purpose.LOOKUP,
      routeId: 0x01020304,
      key: id(0x1234n),
      origin: { host: '10.0.0.9', port: 4000 },
    };
    expect(hex(msg.encodeRoute(route, space))).toBe(hex(bytes(wire)));
    expect(msg.decodeRoute(bytes(wire), limits)).toEqual(route);
  });

  it('a whole datagram: a lookup of "colour" from 127.0.0.1:4000 (m = 128) and its hop acknowledgement', () => {
    const space128 = idSpace(128, 4);
    const self = { host: '127.0.0.1', port: 4000 };
    const next = { host: '127.0.0.1', port: 4001 };
    const route: msg.Route = {
      hops: 1,
      purpose: msg.Purpose.LOOKUP,
      routeId: 1,
      key: space128.fromBigint(keyId('colour', 128)),
      origin: self,
    };
    const datagram = encodeEnvelope({
      kind: 'request',
      type: msg.MessageType.ROUTE,
      requestId: 7,
      sender: {
        id: space128.toBytes(space128.fromBigint(nodeId(self.host, self.port, 128))),
        address: self,
      },
      body: msg.encodeRoute(route, space128),
    });
    const wire = `01 00 5002 00000007 10 5e7fa9a124cb44cb28ad5289faa44668 04 7f000001 0fa0
      01 00 00000001 e8fec55856a6a6c5ba53c2462be4852e 04 7f000001 0fa0`;
    expect(hex(datagram)).toBe(hex(bytes(wire)));
    const back = decodeEnvelope(bytes(wire));
    expect(msg.decodeRoute(back.body, { ...limits, space: space128 })).toEqual(route);
    const ack = encodeEnvelope({
      kind: 'response',
      type: msg.MessageType.ROUTE,
      requestId: 7,
      sender: {
        id: space128.toBytes(space128.fromBigint(nodeId(next.host, next.port, 128))),
        address: next,
      },
      body: msg.EMPTY,
    });
    expect(hex(ack)).toBe(
      hex(bytes('01 01 5002 00000007 10 ff5442254f3a1ea52773da3afcecfea2 04 7f000001 0fa1')),
    );
  });

  it('ROUTE, a put', () => {
    const wire = '00 02 00000007 beef 00 06 6e6f64652d37 0001 01 6b 02 7631';
    const decoded = msg.decodeRoute(bytes(wire), limits);
    expect(decoded).toMatchObject({
      hops: 0,
      purpose: msg.Purpose.PUT,
      routeId: 7,
      key: id(0xbeefn),
      origin: { host: 'node-7', port: 1 },
    });
    expect(new TextDecoder().decode(decoded.appKey)).toBe('k');
    expect(new TextDecoder().decode(decoded.value)).toBe('v1');
    expect(hex(msg.encodeRoute(decoded, space))).toBe(hex(bytes(wire)));
  });

  it('ROUTE_RESULT, a found value', () => {
    const wire = '00000009 03 03 00 abcd040a0000010fa0 00000002 02 6869';
    const result: msg.RouteResult = {
      routeId: 9,
      hops: 3,
      purpose: msg.Purpose.GET,
      status: msg.Status.OK,
      responder: a,
      version: 2,
      value: new TextEncoder().encode('hi'),
    };
    expect(hex(msg.encodeRouteResult(result, space))).toBe(hex(bytes(wire)));
    const back = msg.decodeRouteResult(bytes(wire), limits);
    expect(back.responder.key).toBe('10.0.0.1:4000');
    expect({ ...back, responder: undefined, value: [...back.value!] }).toEqual({
      ...result,
      responder: undefined,
      value: [0x68, 0x69],
    });
  });

  it('ROUTE_RESULT, a lookup answer and a missing value', () => {
    expect(
      hex(
        msg.encodeRouteResult(
          { routeId: 1, hops: 0, purpose: msg.Purpose.LOOKUP, status: msg.Status.OK, responder: a },
          space,
        ),
      ),
    ).toBe('00000001' + '00' + '00' + '00' + 'abcd040a0000010fa0');
    expect(
      msg.decodeRouteResult(bytes('00000001 01 03 01 abcd040a0000010fa0'), limits).status,
    ).toBe(msg.Status.NOT_FOUND);
  });

  it('STATE: one row with columns 0 and 15, a leaf set of one, no neighbours', () => {
    const entries: (Peer | undefined)[] = new Array(16).fill(undefined);
    entries[0] = b;
    entries[15] = a;
    const state: msg.State = { rows: [{ index: 1, entries }], leaves: [a], neighbors: [] };
    const wire =
      '01' +
      '01 8001' +
      '0102 00066e6f64652d37 0001' +
      'abcd 040a000001 0fa0' +
      '01 abcd040a0000010fa0' +
      '00';
    expect(hex(msg.encodeState(state, space))).toBe(hex(bytes(wire)));
    const back = msg.decodeState(bytes(wire), limits);
    expect(back.rows[0]!.entries.map((p) => p?.key)).toEqual(entries.map((p) => p?.key));
    expect(back.leaves.map((p) => p.key)).toEqual(['10.0.0.1:4000']);
  });

  it('STATE request, JOIN_STATE, ANNOUNCE, REPLICATE', () => {
    expect(
      hex(
        msg.encodeStateRequest({ parts: msg.PART_LEAVES | msg.PART_ROWS, firstRow: 0, lastRow: 3 }),
      ),
    ).toBe('050003');
    const join: msg.JoinState = {
      flags: msg.JOIN_FIRST | msg.JOIN_FINAL,
      position: 0,
      routeId: 5,
      state: { rows: [], leaves: [], neighbors: [] },
    };
    expect(hex(msg.encodeJoinState(join, space))).toBe('0300' + '00000005' + '000000');
    expect(hex(msg.encodePeers([a, b], space))).toBe(
      '02' + 'abcd040a0000010fa0' + '010200066e6f64652d370001',
    );
    const item = {
      key: new TextEncoder().encode('a'),
      version: 1,
      value: new TextEncoder().encode('xyz'),
    };
    expect(hex(msg.encodeItems([item]))).toBe('01' + '0161' + '00000001' + '0378797a');
  });

  it('refuses what PROTOCOL.md says is refused', () => {
    const refused = [
      () => msg.decodeRoute(bytes('41 00 00000001 1234 04 0a000009 0fa0'), limits), // 65 hops
      () => msg.decodeRoute(bytes('00 04 00000001 1234 04 0a000009 0fa0'), limits), // purpose 4
      () => msg.decodeRoute(bytes('00 00 00000001 1234 04 0a000009 0fa0 00'), limits), // trailing
      () => msg.decodeRoute(bytes('00 03 00000001 1234 04 0a000009 0fa0 00'), limits), // empty key
      () => msg.decodeRoute(bytes('00 00 00000001 1234 00 08 31302e302e302e39 0fa0'), limits), // IPv4 as a name
      () => msg.decodeState(bytes('01 01 0000 00 00'), limits).rows[0]!.entries, // fine, control below
    ];
    for (const f of refused.slice(0, 5)) expect(f).toThrowError(/./);
    expect(refused[5]!()).toHaveLength(16);
    expect(() => msg.decodeState(bytes('02 01 0000 01 0000 00 00'), limits)).toThrow(/order/);
    expect(() => msg.decodeStateRequest(bytes('04 05 01'), limits)).toThrow(/row range/);
    expect(() =>
      msg.decodeRoute(bytes('00 00 00000001 12 34'), { ...limits, space: idSpace(12, 4) }),
    ).toThrow(/bits above/);
  });
});
