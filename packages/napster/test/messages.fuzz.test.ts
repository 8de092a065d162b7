/**
 * The codec under random input: decoders throw only DecodeError whatever the bytes or text;
 * every valid message of every kind round-trips through its frame.
 */
import { DecodeError } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClientMessage,
  decodeClientMessage,
  decodeFrame,
  decodeServerMessage,
  encodeClientMessage,
  encodeServerMessage,
  MessageType,
  type ServerMessage,
} from '../src/index.js';

const onlyDecodeErrors = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
  }
};

const types = Object.values(MessageType);
const arbType = fc.oneof(fc.constantFrom(...types), fc.nat(0xffff));
// Text made of the characters that matter to the field reader, plus anything else.
const arbData = fc.oneof(
  fc.string(),
  fc
    .array(fc.constantFrom(' ', '"', 'a', '1', '0', '9', 'é', '-', 'x y'), { maxLength: 30 })
    .map((a) => a.join('')),
);

describe('decoders never throw anything but DecodeError', () => {
  it('decodeFrame on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) =>
        onlyDecodeErrors(() => decodeFrame(bytes)),
      ),
    );
  });

  it('decodeFrame on frames with a correct length and random data (invalid UTF-8 included)', () => {
    fc.assert(
      fc.property(arbType, fc.uint8Array({ maxLength: 64 }), (type, data) => {
        const bytes = new Uint8Array([
          data.length & 0xff,
          data.length >> 8,
          type & 0xff,
          type >> 8,
          ...data,
        ]);
        onlyDecodeErrors(() => decodeFrame(bytes));
      }),
    );
  });

  it('both directions, every type, random data', () => {
    fc.assert(
      fc.property(arbType, arbData, (type, data) => {
        onlyDecodeErrors(() => decodeClientMessage(type, data));
        onlyDecodeErrors(() => decodeServerMessage(type, data));
      }),
      { numRuns: 5000 },
    );
  });
});

const word = fc.stringMatching(/^[A-Za-z0-9_.@'!-]{1,20}$/);
const quoted = fc.string({ maxLength: 40 }).filter((s) => !s.includes('"'));
const rest = fc.string({ maxLength: 40 }).filter((s) => !s.startsWith(' '));
const nat = fc.nat();
const u16 = fc.nat(0xffff);
const u32 = fc.nat(0xffff_ffff);
const size = fc.nat({ max: Number.MAX_SAFE_INTEGER });

const arbClient: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record(
    {
      kind: fc.constant('login' as const),
      nick: word,
      password: word,
      port: u16,
      clientInfo: quoted,
      linkType: nat,
      build: word,
    },
    { requiredKeys: ['kind', 'nick', 'password', 'port', 'clientInfo', 'linkType'] },
  ),
  fc.record({
    kind: fc.constant('loginRegister' as const),
    nick: word,
    password: word,
    port: u16,
    clientInfo: quoted,
    linkType: nat,
    email: word,
  }),
  fc.record({
    kind: fc.constant('share' as const),
    filename: quoted,
    md5: word,
    size,
    bitrate: nat,
    frequency: nat,
    duration: nat,
  }),
  fc.record({ kind: fc.constant('unshare' as const), filename: rest }),
  fc.record({ kind: fc.constant('search' as const), query: rest }),
  fc.record({ kind: fc.constant('download' as const), nick: word, filename: quoted }),
  fc.record({ kind: fc.constant('firewallDownload' as const), nick: word, filename: quoted }),
  fc.record({ kind: fc.constant('uploadAccept' as const), nick: word, filename: quoted }),
  fc.record(
    { kind: fc.constant('browse' as const), nick: word, max: nat },
    { requiredKeys: ['kind', 'nick'] },
  ),
  fc.record({ kind: fc.constant('privateMessage' as const), nick: word, text: rest }),
  fc.record(
    { kind: fc.constant('ping' as const), nick: word, text: rest.filter((s) => s.length > 0) },
    { requiredKeys: ['kind', 'nick'] },
  ),
  fc.record({ kind: fc.constant('changeDataPort' as const), port: u16 }),
  fc.constantFrom<ClientMessage>(
    { kind: 'stats' },
    { kind: 'downloadStart' },
    { kind: 'uploadEnd' },
    { kind: 'unshareAll' },
  ),
);

const arbServer: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record(
    {
      kind: fc.constant('searchResult' as const),
      filename: quoted,
      md5: word,
      size,
      bitrate: nat,
      frequency: nat,
      duration: nat,
      nick: word,
      ip: u32,
      linkType: nat,
      weight: nat,
    },
    {
      requiredKeys: [
        'kind',
        'filename',
        'md5',
        'size',
        'bitrate',
        'frequency',
        'duration',
        'nick',
        'ip',
        'linkType',
      ],
    },
  ),
  fc.record({
    kind: fc.constant('downloadAck' as const),
    nick: word,
    ip: u32,
    port: u16,
    filename: quoted,
    md5: word,
    linkType: nat,
  }),
  fc.record({
    kind: fc.constant('firewallUpload' as const),
    nick: word,
    ip: u32,
    port: u16,
    filename: quoted,
    md5: word,
    linkType: nat,
  }),
  fc.record({
    kind: fc.constant('browseEntry' as const),
    nick: word,
    filename: quoted,
    md5: word,
    size,
    bitrate: nat,
    frequency: nat,
    duration: nat,
  }),
  fc.record(
    { kind: fc.constant('browseEnd' as const), nick: word, ip: u32 },
    { requiredKeys: ['kind', 'nick'] },
  ),
  fc.record({ kind: fc.constant('errorMessage' as const), message: rest }),
  fc.record({ kind: fc.constant('error' as const), message: rest }),
  fc.record({ kind: fc.constant('stats' as const), users: nat, files: nat, gigabytes: nat }),
  fc.record(
    { kind: fc.constant('uploadRequest' as const), nick: word, filename: quoted, linkType: nat },
    { requiredKeys: ['kind', 'nick', 'filename'] },
  ),
  fc.record({ kind: fc.constant('getError' as const), nick: word, filename: quoted }),
  fc.record({ kind: fc.constant('redirect' as const), server: word, port: u16 }),
  fc.constantFrom<ServerMessage>({ kind: 'searchEnd' }, { kind: 'ghost' }, { kind: 'nickOk' }),
);

describe('round trips', () => {
  it('client messages', () => {
    fc.assert(
      fc.property(arbClient, (message) => {
        const raw = decodeFrame(encodeClientMessage(message));
        expect(raw.type).toBe(MessageType[message.kind]);
        expect(decodeClientMessage(raw.type, raw.data)).toEqual(message);
      }),
      { numRuns: 2000 },
    );
  });

  it('server messages', () => {
    fc.assert(
      fc.property(arbServer, (message) => {
        const raw = decodeFrame(encodeServerMessage(message));
        expect(raw.type).toBe(MessageType[message.kind]);
        expect(decodeServerMessage(raw.type, raw.data)).toEqual(message);
      }),
      { numRuns: 2000 },
    );
  });
});
