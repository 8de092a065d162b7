import { DecodeError } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/bencode/index.js';
import { udpTrackerPackets as P } from '../../src/tracker/index.js';

const hex = (s: string) => fromHex(s.replace(/\s+/g, ''))!;
const H = new Uint8Array(20).fill(0xaa);
const ID = new Uint8Array(20).fill(0x2d);
const CONN = hex('0102030405060708');

describe('BEP 15 packets, byte by byte', () => {
  it('connect request: magic, action 0, transaction id', () => {
    expect(toHex(P.encodeConnectRequest(0xdeadbeef))).toBe(
      '0000041727101980' + '00000000' + 'deadbeef',
    );
    expect(P.decodeUdpRequest(P.encodeConnectRequest(7))).toEqual({
      action: 'connect',
      transactionId: 7,
    });
  });

  it('connect response: action 0, transaction id, connection id', () => {
    const bytes = P.encodeConnectResponse(0x11223344, CONN);
    expect(toHex(bytes)).toBe('00000000' + '11223344' + '0102030405060708');
    expect(P.decodeUdpResponse(bytes)).toEqual({
      action: 'connect',
      transactionId: 0x11223344,
      connectionId: CONN,
    });
  });

  it('announce request: 98 bytes, downloaded-left-uploaded, event codes, num_want -1', () => {
    const bytes = P.encodeAnnounceRequest({
      connectionId: CONN,
      transactionId: 0x0a0b0c0d,
      infoHash: H,
      peerId: ID,
      downloaded: 0x100000000,
      left: 2,
      uploaded: 3,
      event: 'started',
      ip: 0,
      key: 0xcafebabe,
      numWant: -1,
      port: 6881,
    });
    expect(bytes).toHaveLength(98);
    expect(toHex(bytes)).toBe(
      '0102030405060708' +
        '00000001' +
        '0a0b0c0d' +
        'aa'.repeat(20) +
        '2d'.repeat(20) +
        '0000000100000000' +
        '0000000000000002' +
        '0000000000000003' +
        '00000002' +
        '00000000' +
        'cafebabe' +
        'ffffffff' +
        '1ae1',
    );
    const back = P.decodeUdpRequest(bytes);
    expect(back).toMatchObject({
      action: 'announce',
      downloaded: 2 ** 32,
      left: 2,
      uploaded: 3,
      event: 'started',
      numWant: -1,
      port: 6881,
      key: 0xcafebabe,
    });
    for (const [event, code] of [
      [undefined, 0],
      ['completed', 1],
      ['started', 2],
      ['stopped', 3],
    ] as const) {
      const b = P.encodeAnnounceRequest({
        connectionId: CONN,
        transactionId: 1,
        infoHash: H,
        peerId: ID,
        downloaded: 0,
        left: 0,
        uploaded: 0,
        event,
        ip: 0,
        key: 0,
        numWant: 50,
        port: 1,
      });
      expect(b[83]).toBe(code);
      expect((P.decodeUdpRequest(b) as { event: unknown }).event).toBe(event);
    }
  });

  it('announce request with BEP 41 options after byte 98 still decodes', () => {
    const base = P.encodeAnnounceRequest({
      connectionId: CONN,
      transactionId: 1,
      infoHash: H,
      peerId: ID,
      downloaded: 0,
      left: 0,
      uploaded: 0,
      event: undefined,
      ip: 0,
      key: 0,
      numWant: 50,
      port: 1,
    });
    const withOptions = new Uint8Array([
      ...base,
      2,
      9,
      ...new TextEncoder().encode('/announce'),
      0,
    ]);
    expect(P.decodeUdpRequest(withOptions)).toMatchObject({ action: 'announce', port: 1 });
  });

  it('announce response: leechers BEFORE seeders, 6-byte peers', () => {
    const peers = hex('7f000001 1ae1 0a000002 c8d5');
    const bytes = P.encodeAnnounceResponse({
      transactionId: 5,
      interval: 1800,
      leechers: 3,
      seeders: 9,
      peers,
    });
    expect(toHex(bytes)).toBe(
      '00000001' + '00000005' + '00000708' + '00000003' + '00000009' + '7f0000011ae10a000002c8d5',
    );
    expect(P.decodeUdpResponse(bytes)).toEqual({
      action: 'announce',
      transactionId: 5,
      interval: 1800,
      leechers: 3,
      seeders: 9,
      peers,
    });
  });

  it("opentracker's 8-byte announce reply is a DecodeError, not a crash", () => {
    expect(() => P.decodeUdpResponse(hex('00000001 00000005'))).toThrow(DecodeError);
    expect(() => P.decodeUdpResponse(hex('00000001 00000005 00000708 0000'))).toThrow(/< 20/);
  });

  it('scrape request and response: seeders, completed, leechers', () => {
    const req = P.encodeScrapeRequest(CONN, 9, [H, ID]);
    expect(toHex(req)).toBe(`01020304050607080000000200000009${'aa'.repeat(20)}${'2d'.repeat(20)}`);
    expect(P.decodeUdpRequest(req)).toEqual({
      action: 'scrape',
      connectionId: CONN,
      transactionId: 9,
      infoHashes: [H, ID],
    });
    const res = P.encodeScrapeResponse(9, [{ seeders: 1, completed: 2, leechers: 3 }]);
    expect(toHex(res)).toBe('00000002' + '00000009' + '00000001' + '00000002' + '00000003');
    expect(P.decodeUdpResponse(res)).toEqual({
      action: 'scrape',
      transactionId: 9,
      entries: [{ seeders: 1, completed: 2, leechers: 3 }],
    });
  });

  it('error response: message, trailing NUL (opentracker) stripped', () => {
    const bytes = new Uint8Array([
      ...hex('00000003 00000004'),
      ...new TextEncoder().encode('Connection ID missmatch.'),
      0,
    ]);
    expect(P.decodeUdpResponse(bytes)).toEqual({
      action: 'error',
      transactionId: 4,
      message: 'Connection ID missmatch.',
    });
    expect(toHex(P.encodeErrorResponse(4, 'no'))).toBe('00000003000000046e6f');
  });

  it('refuses short and unknown requests', () => {
    expect(() => P.decodeUdpRequest(new Uint8Array(15))).toThrow(DecodeError);
    expect(() => P.decodeUdpRequest(hex('0000000000000000 00000000 00000001'))).toThrow(
      /protocol id/,
    );
    expect(() => P.decodeUdpRequest(new Uint8Array([...CONN, 0, 0, 0, 1, 0, 0, 0, 1]))).toThrow(
      /< 98/,
    );
    expect(() => P.decodeUdpRequest(new Uint8Array([...CONN, 0, 0, 0, 9, 0, 0, 0, 1]))).toThrow(
      /unknown/,
    );
    expect(() => P.decodeUdpResponse(hex('00000009 00000001'))).toThrow(/unknown/);
  });

  it('fuzz: decoders throw only DecodeError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 4 }),
        (bytes, action) => {
          const framed = bytes.slice();
          if (framed.length >= 12) framed[11] = action;
          if (framed.length >= 4) framed[3] = action;
          for (const decode of [P.decodeUdpRequest, P.decodeUdpResponse]) {
            for (const input of [bytes, framed]) {
              try {
                decode(input);
              } catch (error) {
                if (!(error instanceof DecodeError)) throw error;
              }
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
