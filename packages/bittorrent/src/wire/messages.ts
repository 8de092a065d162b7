/**
 * Peer wire messages after the handshake (BEP 3, 5, 6, 10) and their encoders. Frame:
 * `u32be length` (id + payload), `u8 id`, payload; length 0 is a keep-alive.
 */
import { MessageId } from './constants.js';

/** A block reference: request, cancel and reject carry the same three numbers. */
export interface BlockRef {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}

export type WireMessage =
  | { readonly type: 'keep-alive' }
  | { readonly type: 'choke' }
  | { readonly type: 'unchoke' }
  | { readonly type: 'interested' }
  | { readonly type: 'not-interested' }
  | { readonly type: 'have'; readonly index: number }
  /** Raw bits as received (validate with Bitfield.fromWire once the piece count is known). */
  | { readonly type: 'bitfield'; readonly bits: Uint8Array }
  | ({ readonly type: 'request' } & BlockRef)
  /** `block` is a view into the receive buffer: copy it if you keep it past the callback. */
  | {
      readonly type: 'piece';
      readonly index: number;
      readonly begin: number;
      readonly block: Uint8Array;
    }
  | ({ readonly type: 'cancel' } & BlockRef)
  | { readonly type: 'port'; readonly port: number }
  | { readonly type: 'suggest'; readonly index: number }
  | { readonly type: 'have-all' }
  | { readonly type: 'have-none' }
  | ({ readonly type: 'reject' } & BlockRef)
  | { readonly type: 'allowed-fast'; readonly index: number }
  /** BEP 10: `id` 0 is the extended handshake; `payload` is a view into the receive buffer. */
  | { readonly type: 'extended'; readonly id: number; readonly payload: Uint8Array }
  /** A message id we do not know; ignored by the peer layer (BEP 3 leaves room for them). */
  | { readonly type: 'unknown'; readonly id: number; readonly payload: Uint8Array };

export type WireMessageType = WireMessage['type'];

const SIMPLE_IDS = {
  choke: MessageId.choke,
  unchoke: MessageId.unchoke,
  interested: MessageId.interested,
  'not-interested': MessageId.notInterested,
  'have-all': MessageId.haveAll,
  'have-none': MessageId.haveNone,
} as const;

const INDEX_IDS = {
  have: MessageId.have,
  suggest: MessageId.suggest,
  'allowed-fast': MessageId.allowedFast,
} as const;

const BLOCK_IDS = {
  request: MessageId.request,
  cancel: MessageId.cancel,
  reject: MessageId.reject,
} as const;

function frame(id: number, payloadLength: number): { out: Uint8Array; view: DataView } {
  const out = new Uint8Array(5 + payloadLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, 1 + payloadLength);
  out[4] = id;
  return { out, view };
}

/** The 4-byte keep-alive. */
export const KEEP_ALIVE: Uint8Array = new Uint8Array(4);

/** Encodes one message into a fresh buffer (the hot path uses writePieceHeader instead). */
export function encodeMessage(message: WireMessage): Uint8Array {
  switch (message.type) {
    case 'keep-alive':
      return new Uint8Array(4);
    case 'choke':
    case 'unchoke':
    case 'interested':
    case 'not-interested':
    case 'have-all':
    case 'have-none':
      return frame(SIMPLE_IDS[message.type], 0).out;
    case 'have':
    case 'suggest':
    case 'allowed-fast': {
      const { out, view } = frame(INDEX_IDS[message.type], 4);
      view.setUint32(5, message.index);
      return out;
    }
    case 'request':
    case 'cancel':
    case 'reject': {
      const { out, view } = frame(BLOCK_IDS[message.type], 12);
      view.setUint32(5, message.index);
      view.setUint32(9, message.begin);
      view.setUint32(13, message.length);
      return out;
    }
    case 'bitfield': {
      const { out } = frame(MessageId.bitfield, message.bits.length);
      out.set(message.bits, 5);
      return out;
    }
    case 'piece': {
      const out = new Uint8Array(13 + message.block.length);
      writePieceHeader(out, 0, message.index, message.begin, message.block.length);
      out.set(message.block, 13);
      return out;
    }
    case 'port': {
      const { out, view } = frame(MessageId.port, 2);
      view.setUint16(5, message.port);
      return out;
    }
    case 'extended': {
      const { out } = frame(MessageId.extended, 1 + message.payload.length);
      out[5] = message.id;
      out.set(message.payload, 6);
      return out;
    }
    case 'unknown': {
      const { out } = frame(message.id, message.payload.length);
      out.set(message.payload, 5);
      return out;
    }
  }
}

/** Length of the header before a piece's block: u32 length, u8 id, u32 index, u32 begin. */
export const PIECE_HEADER_LENGTH = 13;

/**
 * Writes the 13-byte header of a piece message at `offset` in `target`; the caller puts the
 * block right after it. Lets a sender batch many piece messages into one socket write.
 */
export function writePieceHeader(
  target: Uint8Array,
  offset: number,
  index: number,
  begin: number,
  blockLength: number,
): void {
  const length = 9 + blockLength;
  target[offset] = length >>> 24;
  target[offset + 1] = (length >>> 16) & 0xff;
  target[offset + 2] = (length >>> 8) & 0xff;
  target[offset + 3] = length & 0xff;
  target[offset + 4] = MessageId.piece;
  target[offset + 5] = index >>> 24;
  target[offset + 6] = (index >>> 16) & 0xff;
  target[offset + 7] = (index >>> 8) & 0xff;
  target[offset + 8] = index & 0xff;
  target[offset + 9] = begin >>> 24;
  target[offset + 10] = (begin >>> 16) & 0xff;
  target[offset + 11] = (begin >>> 8) & 0xff;
  target[offset + 12] = begin & 0xff;
}
