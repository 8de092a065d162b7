/**
 * Streaming parser for peer wire messages. It trusts nothing: the length prefix is checked
 * against a per-message cap as soon as the 5 header bytes are in, BEFORE any buffer is
 * allocated for the body, so a peer announcing 2^31 bytes costs us 5 bytes. Messages that sit
 * whole inside one received chunk are decoded in place (views, no copy); only a message split
 * across chunks is assembled, into a buffer of exactly its size. (Core's FrameDecoder has one
 * cap for every frame; the peer wire needs a cap per message id, known after the fifth byte.)
 */
import { DecodeError } from '@p2pkit/core';
import { BLOCK_SIZE, DEFAULT_MAX_MESSAGE_LENGTH, MessageId } from './constants.js';
import type { WireMessage } from './messages.js';

export interface ParserLimits {
  /** Largest block a piece message may carry. Default 16 KiB (we never request more). */
  maxBlockLength: number;
  /**
   * Largest bitfield payload in bytes. Default: the generic cap (piece count unknown, e.g. a
   * magnet before its metadata); set it to ceil(pieces / 8) (+ slack) once the count is known.
   */
  maxBitfieldLength: number;
  /** Cap for extended and unknown messages. Default 1 MiB. */
  maxMessageLength: number;
}

const DEFAULT_LIMITS: ParserLimits = {
  maxBlockLength: BLOCK_SIZE,
  maxBitfieldLength: DEFAULT_MAX_MESSAGE_LENGTH,
  maxMessageLength: DEFAULT_MAX_MESSAGE_LENGTH,
};

/** Exact lengths (id + payload) of the fixed-size messages; -1 = variable. */
const FIXED_LENGTH: Int8Array = (() => {
  const table = new Int8Array(256).fill(-1);
  for (const id of [
    MessageId.choke,
    MessageId.unchoke,
    MessageId.interested,
    MessageId.notInterested,
    MessageId.haveAll,
    MessageId.haveNone,
  ]) {
    table[id] = 1;
  }
  for (const id of [MessageId.have, MessageId.suggest, MessageId.allowedFast]) table[id] = 5;
  for (const id of [MessageId.request, MessageId.cancel, MessageId.reject]) table[id] = 13;
  table[MessageId.port] = 3;
  return table;
})();

function u32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) |
      (bytes[offset + 1]! << 16) |
      (bytes[offset + 2]! << 8) |
      bytes[offset + 3]!) >>>
    0
  );
}

/** Decodes the body of a message whose length has already been checked. */
function decodeBody(id: number, payload: Uint8Array): WireMessage {
  switch (id) {
    case MessageId.choke:
      return { type: 'choke' };
    case MessageId.unchoke:
      return { type: 'unchoke' };
    case MessageId.interested:
      return { type: 'interested' };
    case MessageId.notInterested:
      return { type: 'not-interested' };
    case MessageId.have:
      return { type: 'have', index: u32(payload, 0) };
    case MessageId.bitfield:
      return { type: 'bitfield', bits: payload };
    case MessageId.request:
      return {
        type: 'request',
        index: u32(payload, 0),
        begin: u32(payload, 4),
        length: u32(payload, 8),
      };
    case MessageId.piece:
      return {
        type: 'piece',
        index: u32(payload, 0),
        begin: u32(payload, 4),
        block: payload.subarray(8),
      };
    case MessageId.cancel:
      return {
        type: 'cancel',
        index: u32(payload, 0),
        begin: u32(payload, 4),
        length: u32(payload, 8),
      };
    case MessageId.port:
      return { type: 'port', port: (payload[0]! << 8) | payload[1]! };
    case MessageId.suggest:
      return { type: 'suggest', index: u32(payload, 0) };
    case MessageId.haveAll:
      return { type: 'have-all' };
    case MessageId.haveNone:
      return { type: 'have-none' };
    case MessageId.reject:
      return {
        type: 'reject',
        index: u32(payload, 0),
        begin: u32(payload, 4),
        length: u32(payload, 8),
      };
    case MessageId.allowedFast:
      return { type: 'allowed-fast', index: u32(payload, 0) };
    case MessageId.extended:
      return { type: 'extended', id: payload[0]!, payload: payload.subarray(1) };
    default:
      return { type: 'unknown', id, payload };
  }
}

/** Body of a piece message carrying a full 16 KiB block (index, begin, block). */
const PIECE_BODY = 8 + BLOCK_SIZE;
/**
 * Assembly buffers of split piece messages, shared by every parser: a block arrives in several
 * chunks on most connections, and a fresh 16 KiB buffer per block was most of the garbage of a
 * simulated 1000-peer swarm. Bounded (16 MiB).
 */
const blockPool: Uint8Array[] = [];
const MAX_POOLED_BLOCKS = 1024;

export class WireParser {
  readonly #onMessage: (message: WireMessage) => void;
  #limits: ParserLimits;
  /** Header bytes of a message whose header was split across chunks. */
  readonly #head = new Uint8Array(5);
  #headFilled = 0;
  /** Body being assembled (a message split across chunks), its id, and how much is in. */
  #body: Uint8Array | undefined;
  #bodyId = 0;
  #bodyFilled = 0;
  #stopped = false;

  constructor(onMessage: (message: WireMessage) => void, limits: Partial<ParserLimits> = {}) {
    this.#onMessage = onMessage;
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get limits(): Readonly<ParserLimits> {
    return this.#limits;
  }

  setLimits(limits: Partial<ParserLimits>): void {
    this.#limits = { ...this.#limits, ...limits };
  }

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.#headFilled + this.#bodyFilled;
  }

  /** Stops delivering messages (also from the chunk being parsed): the connection is going. */
  stop(): void {
    this.#stopped = true;
    this.#body = undefined;
    this.#bodyFilled = 0;
    this.#headFilled = 0;
  }

  /** The largest legal length prefix (id + payload) for message `id`. */
  maxLengthFor(id: number): number {
    const fixed = FIXED_LENGTH[id]!;
    if (fixed !== -1) return fixed;
    if (id === MessageId.piece) return 9 + this.#limits.maxBlockLength;
    if (id === MessageId.bitfield) return 1 + this.#limits.maxBitfieldLength;
    return this.#limits.maxMessageLength;
  }

  #check(length: number, id: number): void {
    const fixed = FIXED_LENGTH[id]!;
    if (fixed !== -1) {
      if (length !== fixed) {
        throw new DecodeError(`message ${id} has length ${length}, expected ${fixed}`);
      }
      return;
    }
    const max = this.maxLengthFor(id);
    if (length > max)
      throw new DecodeError(`message ${id} of ${length} bytes exceeds the cap of ${max}`);
    if (id === MessageId.piece && length < 9)
      throw new DecodeError(`piece message too short: ${length}`);
    if (id === MessageId.extended && length < 2)
      throw new DecodeError('extended message without an id');
  }

  #absoluteMax(): number {
    const l = this.#limits;
    return Math.max(9 + l.maxBlockLength, 1 + l.maxBitfieldLength, l.maxMessageLength, 13);
  }

  /**
   * Feeds received bytes; calls onMessage for each complete message, in order. Throws
   * DecodeError on a malformed or oversized message; after that the parser is unusable (drop
   * the connection).
   */
  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let pos = 0;
    try {
      while (pos < n && !this.#stopped) {
        if (this.#body !== undefined) {
          const take = Math.min(n - pos, this.#body.length - this.#bodyFilled);
          this.#body.set(chunk.subarray(pos, pos + take), this.#bodyFilled);
          this.#bodyFilled += take;
          pos += take;
          if (this.#bodyFilled === this.#body.length) {
            const body = this.#body;
            this.#body = undefined;
            this.#bodyFilled = 0;
            if (this.#bodyId === MessageId.piece && body.length === PIECE_BODY) {
              // A block is only valid during the handler (handlers copy it): recycle the buffer.
              try {
                this.#onMessage(decodeBody(MessageId.piece, body));
              } finally {
                if (blockPool.length < MAX_POOLED_BLOCKS) blockPool.push(body);
              }
            } else this.#onMessage(decodeBody(this.#bodyId, body));
          }
          continue;
        }
        let length: number;
        let id: number;
        if (this.#headFilled === 0 && n - pos >= 4) {
          length = u32(chunk, pos);
          if (length === 0) {
            pos += 4;
            this.#onMessage({ type: 'keep-alive' });
            continue;
          }
          if (n - pos < 5) {
            this.#checkLength(length);
            this.#head.set(chunk.subarray(pos, n), 0);
            this.#headFilled = n - pos;
            pos = n;
            continue;
          }
          id = chunk[pos + 4]!;
          pos += 5;
        } else {
          // Header split across chunks: collect up to 5 bytes.
          while (this.#headFilled < 4 && pos < n) this.#head[this.#headFilled++] = chunk[pos++]!;
          if (this.#headFilled < 4) continue;
          length = u32(this.#head, 0);
          if (length === 0) {
            this.#headFilled = 0;
            this.#onMessage({ type: 'keep-alive' });
            continue;
          }
          this.#checkLength(length);
          if (pos >= n) continue;
          id = chunk[pos++]!;
          this.#headFilled = 0;
        }
        this.#check(length, id);
        const payloadLength = length - 1;
        if (n - pos >= payloadLength) {
          const payload = chunk.subarray(pos, pos + payloadLength);
          pos += payloadLength;
          this.#onMessage(decodeBody(id, payload));
        } else {
          this.#body =
            id === MessageId.piece && payloadLength === PIECE_BODY
              ? (blockPool.pop() ?? new Uint8Array(PIECE_BODY))
              : new Uint8Array(payloadLength);
          this.#bodyId = id;
          this.#bodyFilled = n - pos;
          this.#body.set(chunk.subarray(pos, n), 0);
          pos = n;
        }
      }
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  #checkLength(length: number): void {
    const max = this.#absoluteMax();
    if (length > max)
      throw new DecodeError(`message of ${length} bytes exceeds every cap (${max})`);
  }
}
