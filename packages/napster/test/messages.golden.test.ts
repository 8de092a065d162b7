/**
 * Golden vectors: the examples of drscholl's "napster messages", framed by hand (u16le data
 * length, u16le type, data), against our encoder and decoder.
 */
import { DecodeError } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import {
  type ClientMessage,
  decodeClientMessage,
  decodeFrame,
  decodeServerMessage,
  encodeClientMessage,
  encodeServerMessage,
  ipToNapster,
  MessageType,
  napsterToIp,
  type ServerMessage,
} from '../src/index.js';

/** Header bytes written out by hand + the data as ASCII. */
function frame(header: string, data: string): Uint8Array {
  const head = header.split(' ').map((h) => Number.parseInt(h, 16));
  return new Uint8Array([...head, ...[...data].map((c) => c.charCodeAt(0))]);
}

const client: [string, string, ClientMessage][] = [
  [
    '1d 00 02 00',
    'foo badpass 6699 "nap v0.8" 3',
    {
      kind: 'login',
      nick: 'foo',
      password: 'badpass',
      port: 6699,
      clientInfo: 'nap v0.8',
      linkType: 3,
    },
  ],
  [
    '28 00 06 00',
    'foo foo 6699 "nap v0.8" 3 email@here.com',
    {
      kind: 'loginRegister',
      nick: 'foo',
      password: 'foo',
      port: 6699,
      clientInfo: 'nap v0.8',
      linkType: 3,
      email: 'email@here.com',
    },
  ],
  [
    '56 00 64 00',
    '"generic band - generic song.mp3" b92870e0d41bc8e698cf2f0a1ddfeac7 443332 128 44100 60',
    {
      kind: 'share',
      filename: 'generic band - generic song.mp3',
      md5: 'b92870e0d41bc8e698cf2f0a1ddfeac7',
      size: 443332,
      bitrate: 128,
      frequency: 44100,
      duration: 60,
    },
  ],
  [
    '37 00 cb 00',
    'mred "C:\\Program Files\\Napster\\generic cowboy song.mp3"',
    {
      kind: 'download',
      nick: 'mred',
      filename: 'C:\\Program Files\\Napster\\generic cowboy song.mp3',
    },
  ],
  [
    '30 00 c8 00',
    'FILENAME CONTAINS "Sneaker Pimps" MAX_RESULTS 75',
    { kind: 'search', query: 'FILENAME CONTAINS "Sneaker Pimps" MAX_RESULTS 75' },
  ],
  ['00 00 da 00', '', { kind: 'downloadStart' }],
  ['00 00 dd 00', '', { kind: 'uploadEnd' }],
  [
    '27 00 60 02',
    'lefty "generic band - generic song.mp3"',
    { kind: 'uploadAccept', nick: 'lefty', filename: 'generic band - generic song.mp3' },
  ],
  [
    '31 00 6b 02',
    'joebob "C:\\MP3\\Generic Band - Generic Song.mp3" 3',
    {
      kind: 'queueLimit',
      nick: 'joebob',
      filename: 'C:\\MP3\\Generic Band - Generic Song.mp3',
      limit: 3,
    },
  ],
  ['00 00 ee 02', '', { kind: 'serverPing' }],
];

const server: [string, string, ServerMessage][] = [
  ['0e 00 03 00', 'anon@127.0.0.1', { kind: 'loginAck', email: 'anon@127.0.0.1' }],
  ['10 00 00 00', 'Invalid Password', { kind: 'error', message: 'Invalid Password' }],
  [
    '69 00 c9 00',
    '"random band - random song.mp3" 7d733c1e7419674744768db71bff8bcd 2558199 128 44100 159 lefty 3437166285 4',
    {
      kind: 'searchResult',
      filename: 'random band - random song.mp3',
      md5: '7d733c1e7419674744768db71bff8bcd',
      size: 2558199,
      bitrate: 128,
      frequency: 44100,
      duration: 159,
      nick: 'lefty',
      ip: 3437166285,
      linkType: 4,
    },
  ],
  ['00 00 ca 00', '', { kind: 'searchEnd' }],
  ['0d 00 d6 00', '553 64692 254', { kind: 'stats', users: 553, files: 64692, gigabytes: 254 }],
  [
    '27 00 5f 02',
    'lefty "generic band - generic song.mp3"',
    { kind: 'uploadRequest', nick: 'lefty', filename: 'generic band - generic song.mp3' },
  ],
  [
    '35 00 5c 02',
    'lefty "User" 1203 "80\'s " "Active" 0 0 0 3 "nap v0.8"',
    {
      kind: 'whoisReply',
      nick: 'lefty',
      level: 'User',
      seconds: 1203,
      channels: "80's ",
      status: 'Active',
      shared: 0,
      downloads: 0,
      uploads: 0,
      linkType: 3,
      clientInfo: 'nap v0.8',
    },
  ],
  [
    '5e 00 d4 00',
    'foouser "generic band - generic song.mp3" b92870e0d41bc8e698cf2f0a1ddfeac7 443332 128 44100 60',
    {
      kind: 'browseEntry',
      nick: 'foouser',
      filename: 'generic band - generic song.mp3',
      md5: 'b92870e0d41bc8e698cf2f0a1ddfeac7',
      size: 443332,
      bitrate: 128,
      frequency: 44100,
      duration: 60,
    },
  ],
  [
    '39 00 6c 02',
    'joebob "C:\\MP3\\Generic Band - Generic Song.mp3" 1234567 3',
    {
      kind: 'queueLimitNotice',
      nick: 'joebob',
      filename: 'C:\\MP3\\Generic Band - Generic Song.mp3',
      size: 1234567,
      limit: 3,
    },
  ],
  [
    '5a 00 cc 00',
    'lefty 3437166285 6699 "generic band - generic song.mp3" 10fe9e623b1962da85eea61df7ac1f69 3',
    {
      kind: 'downloadAck',
      nick: 'lefty',
      ip: 3437166285,
      port: 6699,
      filename: 'generic band - generic song.mp3',
      md5: '10fe9e623b1962da85eea61df7ac1f69',
      linkType: 3,
    },
  ],
  ['00 00 ec 02', '', { kind: 'ghost' }],
];

describe('golden frames from the napster messages document', () => {
  it.each(client)('client %s %s', (header, data, message) => {
    const bytes = frame(header, data);
    expect(encodeClientMessage(message)).toEqual(bytes);
    const raw = decodeFrame(bytes);
    expect(raw.type).toBe(MessageType[message.kind]);
    expect(decodeClientMessage(raw.type, raw.data)).toEqual(message);
  });

  it.each(server)('server %s %s', (header, data, message) => {
    const bytes = frame(header, data);
    expect(encodeServerMessage(message)).toEqual(bytes);
    const raw = decodeFrame(bytes);
    expect(raw.type).toBe(MessageType[message.kind]);
    expect(decodeServerMessage(raw.type, raw.data)).toEqual(message);
  });

  it('the length counts the data only, both fields little-endian', () => {
    // 300 bytes of data: length 0x012c written 2c 01.
    const bytes = encodeServerMessage({ kind: 'errorMessage', message: 'x'.repeat(300) });
    expect([...bytes.subarray(0, 4)]).toEqual([0x2c, 0x01, 0x94, 0x01]);
    expect(bytes.length).toBe(304);
  });

  it("the IP is a u32 whose low byte is the first octet (the document's example)", () => {
    expect(napsterToIp(3437166285)).toBe('205.254.222.204');
    expect(ipToNapster('205.254.222.204')).toBe(3437166285);
    expect(ipToNapster('127.0.0.1')).toBe(16777343);
    expect(ipToNapster('sim-host')).toBe(0);
  });

  it("refuses the document's 204 example, whose IP 4877911892 does not fit 32 bits", () => {
    const data =
      'lefty 4877911892 6699 "generic band - generic song.mp3" 10fe9e623b1962da85eea61df7ac1f69 3';
    expect(() => decodeServerMessage(204, data)).toThrow(DecodeError);
  });

  it('keeps unknown types as raw data', () => {
    expect(decodeClientMessage(9999, 'a b')).toEqual({ kind: 'unknown', type: 9999, data: 'a b' });
  });

  it('reads a quoted field up to the next quote, with no escaping', () => {
    // The document's own example of why quotes cannot be escaped.
    const m = decodeClientMessage(203, 'nick "a "quoted" string"');
    expect(m).toEqual({ kind: 'download', nick: 'nick', filename: 'a ' });
    expect(() => encodeClientMessage({ kind: 'download', nick: 'n', filename: 'a "b"' })).toThrow(
      /double quote/,
    );
  });

  it('decodeFrame refuses a length that disagrees with the frame, and invalid UTF-8', () => {
    expect(() => decodeFrame(new Uint8Array([5, 0, 2, 0, 0x61]))).toThrow(DecodeError);
    expect(() => decodeFrame(new Uint8Array([1, 0, 2, 0, 0xff]))).toThrow(DecodeError);
    expect(() => decodeFrame(new Uint8Array([0, 0]))).toThrow(DecodeError);
  });
});
