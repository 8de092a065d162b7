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
  // The rest of the catalogue: layouts from the document's message list (OpenNap's handlers
  // where it is silent); headers computed from the data's length by hand.
  [
    '15 00 cd 00',
    "lefty hey, what's up?",
    { kind: 'privateMessage', nick: 'lefty', text: "hey, what's up?" },
  ],
  ['05 00 72 02', 'lefty', { kind: 'dataPortError', nick: 'lefty' }],
  ['05 00 ef 02', 'lefty', { kind: 'ping', nick: 'lefty' }],
  ['0a 00 f0 02', 'lefty 1234', { kind: 'pong', nick: 'lefty', text: '1234' }],
  ['03 00 04 00', '2.0', { kind: 'versionCheck', version: '2.0' }],
  ['03 00 07 00', 'foo', { kind: 'registerNick', nick: 'foo' }],
  [
    '1f 00 66 00',
    'generic band - generic song.mp3',
    { kind: 'unshare', filename: 'generic band - generic song.mp3' },
  ],
  ['00 00 6e 00', '', { kind: 'unshareAll' }],
  ['05 00 cf 00', 'lefty', { kind: 'hotlistAdd', nick: 'lefty' }],
  ['05 00 d0 00', 'lefty', { kind: 'hotlist', nick: 'lefty' }],
  ['05 00 d3 00', 'lefty', { kind: 'browse', nick: 'lefty' }],
  ['09 00 d3 00', 'lefty 100', { kind: 'browse', nick: 'lefty', max: 100 }],
  ['00 00 db 00', '', { kind: 'downloadEnd' }],
  ['00 00 dc 00', '', { kind: 'uploadStart' }],
  ['04 00 2c 01', '6699', { kind: 'checkPort', port: 6699 }],
  ['05 00 2f 01', 'lefty', { kind: 'hotlistRemove', nick: 'lefty' }],
  [
    '27 00 f4 01',
    'lefty "generic band - generic song.mp3"',
    { kind: 'firewallDownload', nick: 'lefty', filename: 'generic band - generic song.mp3' },
  ],
  ['05 00 58 02', 'lefty', { kind: 'linkSpeed', nick: 'lefty' }],
  ['05 00 5b 02', 'lefty', { kind: 'whois', nick: 'lefty' }],
  ['00 00 6d 02', '', { kind: 'motd' }],
  ['02 00 bc 02', '10', { kind: 'changeSpeed', linkType: 10 }],
  ['04 00 bf 02', '6699', { kind: 'changeDataPort', port: 6699 }],
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
  [
    '1e 00 94 01',
    'user lefty is not a known user',
    { kind: 'errorMessage', message: 'user lefty is not a known user' },
  ],
  ['09 00 cd 00', 'lefty hey', { kind: 'privateMessage', nick: 'lefty', text: 'hey' }],
  ['05 00 72 02', 'lefty', { kind: 'dataPortError', nick: 'lefty' }],
  ['05 00 ef 02', 'lefty', { kind: 'ping', nick: 'lefty' }],
  ['05 00 f0 02', 'lefty', { kind: 'pong', nick: 'lefty' }],
  ['00 00 ee 02', '', { kind: 'serverPing' }],
  ['00 00 08 00', '', { kind: 'nickOk' }],
  ['00 00 09 00', '', { kind: 'nickTaken' }],
  ['00 00 0a 00', '', { kind: 'nickInvalid' }],
  [
    '27 00 ce 00',
    'lefty "generic band - generic song.mp3"',
    { kind: 'getError', nick: 'lefty', filename: 'generic band - generic song.mp3' },
  ],
  ['07 00 d1 00', 'lefty 3', { kind: 'userSignon', nick: 'lefty', linkType: 3 }],
  ['05 00 d2 00', 'lefty', { kind: 'userSignoff', nick: 'lefty' }],
  ['10 00 d5 00', 'lefty 3437166285', { kind: 'browseEnd', nick: 'lefty', ip: 3437166285 }],
  ['05 00 d5 00', 'lefty', { kind: 'browseEnd', nick: 'lefty' }],
  ['05 00 2d 01', 'lefty', { kind: 'hotlistAck', nick: 'lefty' }],
  ['05 00 2e 01', 'lefty', { kind: 'hotlistError', nick: 'lefty' }],
  [
    '5a 00 f5 01',
    'lefty 3437166285 6699 "generic band - generic song.mp3" 10fe9e623b1962da85eea61df7ac1f69 3',
    {
      kind: 'firewallUpload',
      nick: 'lefty',
      ip: 3437166285,
      port: 6699,
      filename: 'generic band - generic song.mp3',
      md5: '10fe9e623b1962da85eea61df7ac1f69',
      linkType: 3,
    },
  ],
  ['07 00 59 02', 'lefty 3', { kind: 'linkSpeedReply', nick: 'lefty', linkType: 3 }],
  [
    '16 00 5d 02',
    'lefty "User" 965952000',
    { kind: 'whowas', nick: 'lefty', level: 'User', lastSeen: 965952000 },
  ],
  ['14 00 6d 02', 'VERSION opennap 0.44', { kind: 'motd', text: 'VERSION opennap 0.44' }],
  [
    '17 00 35 03',
    'server.example.com 8888',
    { kind: 'redirect', server: 'server.example.com', port: 8888 },
  ],
  ['10 00 36 03', 'meta.example.com', { kind: 'cycle', metaserver: 'meta.example.com' }],
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

  it('covers every message of the catalogue', () => {
    const covered = new Set([...client, ...server].map(([, , m]) => m.kind));
    const missing = Object.keys(MessageType).filter((kind) => !covered.has(kind as never));
    expect(missing).toEqual([]);
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
