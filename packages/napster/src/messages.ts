/**
 * The Napster message catalogue and its codec: every client↔server message this package sends
 * or understands, with the layout of its data part (drscholl's "napster messages", and OpenNap's
 * handlers where the text is silent). A message on the wire is
 *
 *   u16le length of the data | u16le type | data (no terminator)
 *
 * and the data is fields separated by single spaces, file names and client strings in double
 * quotes with no escaping. The data is UTF-8 here (strictly: invalid UTF-8 is a DecodeError).
 *
 * Each message is a plain object `{ kind, ...fields }`; `kind` names the type code
 * (`MessageType[kind]`). Types whose layout differs by direction (214 stats, 621 MOTD, …) have
 * one entry per direction, so decoding takes the direction: `decodeClientMessage` for what a
 * server receives, `decodeServerMessage` for what a client receives.
 */
import { DecodeError, P2PError, Reader, Writer } from '@p2pkit/core';
import { checkInteger, checkQuotable, checkWord, FieldReader } from './fields.js';

/** Bytes before the data: u16le data length, u16le type. */
export const HEADER_SIZE = 4;
/** Most data bytes a header can describe (u16 length). */
export const MAX_DATA_LENGTH = 0xffff;

type Kind = 'word' | 'quoted' | 'int' | 'u16' | 'u32' | 'rest';
type FieldSpec = readonly [name: string, kind: Kind | `${Kind}?`];
interface MessageSpec {
  readonly type: number;
  readonly fields: readonly FieldSpec[];
}

const MAX: Record<'int' | 'u16' | 'u32', number> = {
  int: Number.MAX_SAFE_INTEGER,
  u16: 0xffff,
  u32: 0xffff_ffff,
};

/** Messages with one layout in both directions (the server rewrites the nick to the sender's). */
const BOTH = {
  privateMessage: {
    type: 205,
    fields: [
      ['nick', 'word'],
      ['text', 'rest'],
    ],
  },
  dataPortError: { type: 626, fields: [['nick', 'word']] },
  serverPing: { type: 750, fields: [['text', 'rest?']] },
  ping: {
    type: 751,
    fields: [
      ['nick', 'word'],
      ['text', 'rest?'],
    ],
  },
  pong: {
    type: 752,
    fields: [
      ['nick', 'word'],
      ['text', 'rest?'],
    ],
  },
} as const satisfies Record<string, MessageSpec>;

/** Messages a client sends (a server decodes these). */
const CLIENT = {
  ...BOTH,
  versionCheck: { type: 4, fields: [['version', 'rest?']] },
  login: {
    type: 2,
    fields: [
      ['nick', 'word'],
      ['password', 'word'],
      ['port', 'u16'],
      ['clientInfo', 'quoted'],
      ['linkType', 'int'],
      ['build', 'word?'],
    ],
  },
  loginRegister: {
    type: 6,
    fields: [
      ['nick', 'word'],
      ['password', 'word'],
      ['port', 'u16'],
      ['clientInfo', 'quoted'],
      ['linkType', 'int'],
      ['email', 'word'],
    ],
  },
  registerNick: { type: 7, fields: [['nick', 'word']] },
  share: {
    type: 100,
    fields: [
      ['filename', 'quoted'],
      ['md5', 'word'],
      ['size', 'int'],
      ['bitrate', 'int'],
      ['frequency', 'int'],
      ['duration', 'int'],
    ],
  },
  // OpenNap takes the whole data as the name, unquoted (remove_file.c).
  unshare: { type: 102, fields: [['filename', 'rest']] },
  unshareAll: { type: 110, fields: [] },
  search: { type: 200, fields: [['query', 'rest']] },
  download: {
    type: 203,
    fields: [
      ['nick', 'word'],
      ['filename', 'quoted'],
    ],
  },
  hotlistAdd: { type: 207, fields: [['nick', 'word']] },
  hotlist: { type: 208, fields: [['nick', 'word']] },
  browse: {
    type: 211,
    fields: [
      ['nick', 'word'],
      ['max', 'int?'],
    ],
  },
  stats: { type: 214, fields: [] },
  downloadStart: { type: 218, fields: [] },
  downloadEnd: { type: 219, fields: [] },
  uploadStart: { type: 220, fields: [] },
  uploadEnd: { type: 221, fields: [] },
  checkPort: { type: 300, fields: [['port', 'u16']] },
  hotlistRemove: { type: 303, fields: [['nick', 'word']] },
  firewallDownload: {
    type: 500,
    fields: [
      ['nick', 'word'],
      ['filename', 'quoted'],
    ],
  },
  linkSpeed: { type: 600, fields: [['nick', 'word']] },
  whois: { type: 603, fields: [['nick', 'word']] },
  uploadAccept: {
    type: 608,
    fields: [
      ['nick', 'word'],
      ['filename', 'quoted'],
    ],
  },
  queueLimit: {
    type: 619,
    fields: [
      ['nick', 'word'],
      ['filename', 'quoted'],
      ['limit', 'int'],
    ],
  },
  motd: { type: 621, fields: [] },
  changeSpeed: { type: 700, fields: [['linkType', 'int']] },
  changeDataPort: { type: 703, fields: [['port', 'u16']] },
} as const satisfies Record<string, MessageSpec>;

/** Messages a server sends (a client decodes these). */
const SERVER = {
  ...BOTH,
  error: { type: 0, fields: [['message', 'rest']] },
  loginAck: { type: 3, fields: [['email', 'rest']] },
  nickOk: { type: 8, fields: [] },
  nickTaken: { type: 9, fields: [] },
  nickInvalid: { type: 10, fields: [] },
  searchResult: {
    type: 201,
    fields: [
      ['filename', 'quoted'],
      ['md5', 'word'],
      ['size', 'int'],
      ['bitrate', 'int'],
      ['frequency', 'int'],
      ['duration', 'int'],
      ['nick', 'word'],
      ['ip', 'u32'],
      ['linkType', 'int'],
      ['weight', 'int?'],
    ],
  },
  searchEnd: { type: 202, fields: [] },
  downloadAck: {
    type: 204,
    fields: [
      ['nick', 'word'],
      ['ip', 'u32'],
      ['port', 'u16'],
      ['filename', 'quoted'],
      // 32 hex digits, or `firewallerror` when both sides are firewalled (OpenNap download.c).
      ['md5', 'word'],
      ['linkType', 'int'],
    ],
  },
  getError: {
    type: 206,
    fields: [
      ['nick', 'word'],
      ['filename', 'quoted'],
    ],
  },
  userSignon: {
    type: 209,
    fields: [
      ['nick', 'word'],
      ['linkType', 'int'],
    ],
  },
  userSignoff: { type: 210, fields: [['nick', 'word']] },
  browseEntry: {
    type: 212,
    fields: [
      ['nick', 'word'],
      ['filename', 'quoted'],
      ['md5', 'word'],
      ['size', 'int'],
      ['bitrate', 'int'],
      ['frequency', 'int'],
      ['duration', 'int'],
    ],
  },
  browseEnd: {
    type: 213,
    fields: [
      ['nick', 'word'],
      ['ip', 'u32?'],
    ],
  },
  stats: {
    type: 214,
    fields: [
      ['users', 'int'],
      ['files', 'int'],
      ['gigabytes', 'int'],
    ],
  },
  hotlistAck: { type: 301, fields: [['nick', 'word']] },
  hotlistError: { type: 302, fields: [['nick', 'word']] },
  errorMessage: { type: 404, fields: [['message', 'rest']] },
  firewallUpload: {
    type: 501,
    fields: [
      ['nick', 'word'],
      ['ip', 'u32'],
      ['port', 'u16'],
      ['filename', 'quoted'],
      ['md5', 'word'],
      ['linkType', 'int'],
    ],
  },
  linkSpeedReply: {
    type: 601,
    fields: [
      ['nick', 'word'],
      ['linkType', 'int'],
    ],
  },
  whoisReply: {
    type: 604,
    fields: [
      ['nick', 'word'],
      ['level', 'quoted'],
      ['seconds', 'int'],
      ['channels', 'quoted'],
      ['status', 'quoted'],
      ['shared', 'int'],
      ['downloads', 'int'],
      ['uploads', 'int'],
      ['linkType', 'int'],
      ['clientInfo', 'quoted'],
    ],
  },
  whowas: {
    type: 605,
    fields: [
      ['nick', 'word'],
      ['level', 'quoted'],
      ['lastSeen', 'int'],
    ],
  },
  uploadRequest: {
    type: 607,
    fields: [
      ['nick', 'word'],
      ['filename', 'quoted'],
      ['linkType', 'int?'],
    ],
  },
  queueLimitNotice: {
    type: 620,
    fields: [
      ['nick', 'word'],
      ['filename', 'quoted'],
      ['size', 'int'],
      ['limit', 'int'],
    ],
  },
  motd: { type: 621, fields: [['text', 'rest']] },
  ghost: { type: 748, fields: [] },
  redirect: {
    type: 821,
    fields: [
      ['server', 'word'],
      ['port', 'u16'],
    ],
  },
  cycle: { type: 822, fields: [['metaserver', 'word']] },
} as const satisfies Record<string, MessageSpec>;

type ValueOf<K> = K extends `${'int' | 'u16' | 'u32'}${'' | '?'}` ? number : string;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type BodyOf<F extends readonly FieldSpec[]> = Simplify<
  { -readonly [E in F[number] as E[1] extends `${string}?` ? never : E[0]]: ValueOf<E[1]> } & {
    -readonly [E in F[number] as E[1] extends `${string}?` ? E[0] : never]?: ValueOf<E[1]>;
  }
>;
type MessagesOf<T extends Record<string, MessageSpec>> = {
  [K in keyof T]: Simplify<{ kind: K } & BodyOf<T[K]['fields']>>;
}[keyof T];

/** A message of a type this package does not model, kept as its raw data. */
export interface UnknownMessage {
  kind: 'unknown';
  type: number;
  data: string;
}

/** Every message a client may send; `kind` selects the layout. */
export type ClientMessage = MessagesOf<typeof CLIENT>;
/** Every message a server may send; `kind` selects the layout. */
export type ServerMessage = MessagesOf<typeof SERVER>;
/** The kinds of client messages. */
export type ClientMessageKind = ClientMessage['kind'];
/** The kinds of server messages. */
export type ServerMessageKind = ServerMessage['kind'];
/** The client message of one kind, e.g. `ClientMessageOf<'login'>`. */
export type ClientMessageOf<K extends ClientMessageKind> = Extract<ClientMessage, { kind: K }>;
/** The server message of one kind, e.g. `ServerMessageOf<'searchResult'>`. */
export type ServerMessageOf<K extends ServerMessageKind> = Extract<ServerMessage, { kind: K }>;

/** Type codes by kind, both directions (`MessageType.search === 200`). */
export const MessageType: Readonly<
  { [K in ClientMessageKind]: (typeof CLIENT)[K]['type'] } & {
    [K in ServerMessageKind]: (typeof SERVER)[K]['type'];
  }
> = Object.freeze({
  ...Object.fromEntries(Object.entries(CLIENT).map(([k, v]) => [k, v.type])),
  ...Object.fromEntries(Object.entries(SERVER).map(([k, v]) => [k, v.type])),
}) as never;

const clientByType = new Map<number, [string, MessageSpec]>(
  Object.entries(CLIENT).map(([k, v]) => [v.type, [k, v]]),
);
const serverByType = new Map<number, [string, MessageSpec]>(
  Object.entries(SERVER).map(([k, v]) => [v.type, [k, v]]),
);

/** One message off the wire, before its data is interpreted. */
export interface RawMessage {
  type: number;
  data: string;
}

/**
 * Splits one whole frame (header included, as a FrameDecoder returns it) into type and data.
 * DecodeError when the length field disagrees with the frame or the data is not UTF-8.
 */
export function decodeFrame(frame: Uint8Array): RawMessage {
  if (frame.length < HEADER_SIZE) throw new DecodeError(`frame of ${frame.length} bytes`);
  const reader = new Reader(frame);
  const length = reader.u16le();
  const type = reader.u16le();
  if (length !== frame.length - HEADER_SIZE) {
    throw new DecodeError(`length field ${length} but ${frame.length - HEADER_SIZE} data bytes`);
  }
  return { type, data: reader.utf8(length) };
}

/** One frame: header + the UTF-8 of `data`. Throws ERR_INVALID_ARGUMENT above 65,535 bytes. */
export function encodeFrame(type: number, data: string): Uint8Array {
  checkInteger(type, 'message type', 0xffff);
  const w = new Writer(HEADER_SIZE + data.length * 3);
  w.u16le(0).u16le(type).utf8(data);
  const frame = w.finish();
  const length = frame.length - HEADER_SIZE;
  if (length > MAX_DATA_LENGTH) {
    throw new P2PError(`message data of ${length} bytes exceeds 65535`, 'ERR_INVALID_ARGUMENT');
  }
  frame[0] = length & 0xff;
  frame[1] = length >>> 8;
  return frame;
}

/** Interprets the data of a message a client sent. Unknown types come back as `unknown`. */
export function decodeClientMessage(type: number, data: string): ClientMessage | UnknownMessage {
  return decodeWith(clientByType, type, data) as ClientMessage | UnknownMessage;
}

/** Interprets the data of a message a server sent. Unknown types come back as `unknown`. */
export function decodeServerMessage(type: number, data: string): ServerMessage | UnknownMessage {
  return decodeWith(serverByType, type, data) as ServerMessage | UnknownMessage;
}

/** The data string of a client message (no header). */
export function clientMessageData(message: ClientMessage): string {
  return encodeData(CLIENT[message.kind], message as unknown as Record<string, unknown>);
}

/** The data string of a server message (no header). */
export function serverMessageData(message: ServerMessage): string {
  return encodeData(SERVER[message.kind], message as unknown as Record<string, unknown>);
}

/** A client message as one frame, ready to write. */
export function encodeClientMessage(message: ClientMessage): Uint8Array {
  return encodeFrame(CLIENT[message.kind].type, clientMessageData(message));
}

/** A server message as one frame, ready to write. */
export function encodeServerMessage(message: ServerMessage): Uint8Array {
  return encodeFrame(SERVER[message.kind].type, serverMessageData(message));
}

function decodeWith(
  table: Map<number, [string, MessageSpec]>,
  type: number,
  data: string,
): Record<string, unknown> {
  const entry = table.get(type);
  if (entry === undefined) return { kind: 'unknown', type, data };
  const [kind, spec] = entry;
  const out: Record<string, unknown> = { kind };
  const reader = new FieldReader(data);
  for (const [name, kindSpec] of spec.fields) {
    const optional = kindSpec.endsWith('?');
    const k = (optional ? kindSpec.slice(0, -1) : kindSpec) as Kind;
    if (k === 'rest') {
      const rest = reader.rest();
      if (!optional || rest.length > 0) out[name] = rest;
      break;
    }
    if (optional && reader.atEnd()) break;
    if (k === 'word') out[name] = reader.word(name);
    else if (k === 'quoted') out[name] = reader.quoted(name);
    else out[name] = reader.integer(name, MAX[k]);
  }
  // Fields past the layout are ignored, as OpenNap's split_line does.
  return out;
}

function encodeData(spec: MessageSpec, message: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [name, kindSpec] of spec.fields) {
    const optional = kindSpec.endsWith('?');
    const k = (optional ? kindSpec.slice(0, -1) : kindSpec) as Kind;
    const value = message[name];
    if (value === undefined) {
      if (optional) break;
      throw new P2PError(`missing field ${name}`, 'ERR_INVALID_ARGUMENT');
    }
    if (k === 'rest') {
      const text = String(value);
      if (!(optional && text.length === 0)) parts.push(text);
      break;
    }
    if (k === 'word') parts.push(checkWord(String(value), name));
    else if (k === 'quoted') parts.push(`"${checkQuotable(String(value), name)}"`);
    else parts.push(String(checkInteger(value as number, name, MAX[k])));
  }
  return parts.join(' ');
}
