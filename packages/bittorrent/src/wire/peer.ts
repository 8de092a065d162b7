/**
 * One peer connection after the handshake: decodes what the peer sends into typed events,
 * encodes what we send, and keeps the four choke/interest flags. It enforces the rules that
 * need no knowledge of pieces (BEP 6 messages only when Fast was negotiated, extension ids per
 * BEP 10); piece logic (what was requested, what to serve) belongs to the torrent session.
 *
 * Writes are batched: messages accumulate in one buffer flushed on the microtask queue, or at
 * once when it passes `flushBytes`, so a burst of piece messages becomes a few large socket
 * writes. No timers live here: the session's periodic tick reads `lastReceivedAt` /
 * `lastSentAt` to send keep-alives and drop idle peers.
 */
import {
  type Address,
  allocBytes,
  type Clock,
  type Connection,
  Emitter,
  ProtocolError,
} from '@p2pkit/core';
import type { RC4 } from '../mse/rc4.js';
import { BLOCK_SIZE, MessageId } from './constants.js';
import {
  decodeExtendedHandshake,
  type ExtendedHandshake,
  encodeExtendedHandshake,
} from './extended.js';
import { featuresOf, type Handshake, type HandshakeFeatures } from './handshake.js';
import {
  type BlockRef,
  encodeMessage,
  PIECE_HEADER_LENGTH,
  type WireMessage,
  writePieceHeader,
} from './messages.js';
import { type ParserLimits, WireParser } from './parser.js';

export interface PeerWireEvents {
  choke: [];
  unchoke: [];
  interested: [];
  'not-interested': [];
  have: [index: number];
  /** Raw bits; validate with Bitfield.fromWire against the piece count. May come mid-connection (aria2c). */
  bitfield: [bits: Uint8Array];
  'have-all': [];
  'have-none': [];
  request: [ref: BlockRef];
  cancel: [ref: BlockRef];
  reject: [ref: BlockRef];
  /** `block` is a view into the receive buffer: copy it before the handler returns if you keep it. */
  piece: [index: number, begin: number, block: Uint8Array];
  suggest: [index: number];
  'allowed-fast': [index: number];
  port: [port: number];
  'extended-handshake': [handshake: ExtendedHandshake];
  /** An extension message, by the name we registered its id under. */
  extended: [name: string, payload: Uint8Array];
  /** Bytes we queued were handed to the network after write() pushed back. */
  drain: [];
  /** The connection is gone. `error` says why when it was not a clean close. */
  close: [error?: Error];
}

export interface PeerWireOptions {
  readonly connection: Connection;
  readonly clock: Clock;
  /** The handshake we sent (reserved bits matter) and the one we received. */
  readonly local: Handshake;
  readonly remote: Handshake;
  /** RC4 streams when MSE selected RC4. */
  readonly encrypt?: RC4;
  readonly decrypt?: RC4;
  /** Bytes already received after the remote handshake (decrypted). */
  readonly initialData?: Uint8Array;
  /** Extension name → id we want to receive it as (our `m`). */
  readonly extensions?: ReadonlyMap<string, number>;
  readonly limits?: Partial<ParserLimits>;
  /** Flush the write buffer at once past this many bytes (default 256 KiB). */
  readonly flushBytes?: number;
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

const FAST_ONLY = new Set<WireMessage['type']>([
  'suggest',
  'have-all',
  'have-none',
  'reject',
  'allowed-fast',
]);

export class PeerWire extends Emitter<PeerWireEvents> {
  readonly connection: Connection;
  readonly remoteAddress: Address;
  readonly remote: Handshake;
  /** Extensions both sides announced. */
  readonly features: HandshakeFeatures;
  /** Whether the stream is RC4 encrypted (MSE). */
  readonly encrypted: boolean;

  amChoking = true;
  amInterested = false;
  peerChoking = true;
  peerInterested = false;

  /** The peer's extended handshake, merged across re-sends (BEP 10: `m` is additive). */
  peerExtensions: ExtendedHandshake | undefined;
  /** Block bytes received and sent (piece payloads only), for rates and stats. */
  downloaded = 0;
  uploaded = 0;
  lastReceivedAt: number;
  lastSentAt: number;

  readonly #clock: Clock;
  readonly #parser: WireParser;
  readonly #encrypt: RC4 | undefined;
  readonly #decrypt: RC4 | undefined;
  readonly #extensionNames = new Map<number, string>();
  readonly #remoteIds = new Map<string, number>();
  readonly #flushBytes: number;
  #out: Uint8Array | undefined;
  #outLength = 0;
  /** Bytes of piece messages the caller said it is about to queue (expectPieces). */
  #expected = 0;
  #flushScheduled = false;
  #closed = false;
  #needDrain = false;
  #started = false;
  #initialData: Uint8Array | undefined;

  constructor(options: PeerWireOptions) {
    super();
    this.connection = options.connection;
    this.remoteAddress = options.connection.remoteAddress;
    this.remote = options.remote;
    const local = featuresOf(options.local.reserved);
    const remote = featuresOf(options.remote.reserved);
    this.features = {
      extended: local.extended && remote.extended,
      fast: local.fast && remote.fast,
      dht: remote.dht,
    };
    this.encrypted = options.encrypt !== undefined;
    this.#clock = options.clock;
    this.#encrypt = options.encrypt;
    this.#decrypt = options.decrypt;
    this.#flushBytes = options.flushBytes ?? 256 * 1024;
    for (const [name, id] of options.extensions ?? [])
      if (id > 0) this.#extensionNames.set(id, name);
    this.lastReceivedAt = this.lastSentAt = options.clock.now();
    this.#parser = new WireParser((message) => this.#dispatch(message), options.limits);
    this.#initialData = options.initialData;
  }

  /**
   * Starts reading: first the bytes that came with the handshake, then the connection. Call it
   * once your listeners are attached.
   */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const connection = this.connection;
    connection.on('data', this.#onData);
    connection.on('drain', this.#onDrain);
    connection.on('end', this.#onEnd);
    connection.on('close', this.#onClose);
    const initial = this.#initialData;
    this.#initialData = undefined;
    // Already decrypted by whoever read it.
    if (initial && initial.length > 0) this.#receive(initial);
    if (connection.destroyed) this.#finish(undefined);
    else connection.resume();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True when the connection pushed back and we wait for `drain`. */
  get congested(): boolean {
    return this.#needDrain;
  }

  /** Bytes queued here and in the connection, not yet handed to the network. */
  get bufferedAmount(): number {
    return this.#outLength + this.connection.writableLength;
  }

  setLimits(limits: Partial<ParserLimits>): void {
    this.#parser.setLimits(limits);
  }

  /** The id the peer wants extension `name` sent as, or 0 when it does not support it. */
  remoteExtensionId(name: string): number {
    return this.#remoteIds.get(name) ?? 0;
  }

  // --- sending -----------------------------------------------------------------------------

  choke(): void {
    if (this.amChoking) return;
    this.amChoking = true;
    this.#send({ type: 'choke' });
  }

  unchoke(): void {
    if (!this.amChoking) return;
    this.amChoking = false;
    this.#send({ type: 'unchoke' });
  }

  interested(): void {
    if (this.amInterested) return;
    this.amInterested = true;
    this.#send({ type: 'interested' });
  }

  notInterested(): void {
    if (!this.amInterested) return;
    this.amInterested = false;
    this.#send({ type: 'not-interested' });
  }

  have(index: number): void {
    // The most frequent message of a swarm (every piece, to every peer): encoded in place.
    if (this.#closed) return;
    const at = this.#reserve(9);
    const out = this.#out!;
    writeU32(out, at, 5);
    out[at + 4] = MessageId.have;
    writeU32(out, at + 5, index);
    this.#queued();
  }

  bitfield(bits: Uint8Array): void {
    this.#send({ type: 'bitfield', bits });
  }

  haveAll(): void {
    this.#requireFast('have-all');
    this.#send({ type: 'have-all' });
  }

  haveNone(): void {
    this.#requireFast('have-none');
    this.#send({ type: 'have-none' });
  }

  request(index: number, begin: number, length: number): void {
    this.#sendBlockRef(MessageId.request, index, begin, length);
  }

  cancel(index: number, begin: number, length: number): void {
    this.#sendBlockRef(MessageId.cancel, index, begin, length);
  }

  /** request and cancel (one per block), encoded in place. */
  #sendBlockRef(id: number, index: number, begin: number, length: number): void {
    if (this.#closed) return;
    const at = this.#reserve(17);
    const out = this.#out!;
    writeU32(out, at, 13);
    out[at + 4] = id;
    writeU32(out, at + 5, index);
    writeU32(out, at + 9, begin);
    writeU32(out, at + 13, length);
    this.#queued();
  }

  reject(index: number, begin: number, length: number): void {
    this.#requireFast('reject');
    this.#send({ type: 'reject', index, begin, length });
  }

  allowedFast(index: number): void {
    this.#requireFast('allowed-fast');
    this.#send({ type: 'allowed-fast', index });
  }

  suggest(index: number): void {
    this.#requireFast('suggest');
    this.#send({ type: 'suggest', index });
  }

  port(port: number): void {
    this.#send({ type: 'port', port });
  }

  keepAlive(): void {
    this.#send({ type: 'keep-alive' });
  }

  /** Sends a piece message; the block is copied into the write batch. */
  piece(index: number, begin: number, block: Uint8Array): void {
    if (this.#closed) return;
    const at = this.#reserve(PIECE_HEADER_LENGTH + block.length, true);
    writePieceHeader(this.#out!, at, index, begin, block.length);
    this.#out!.set(block, at + PIECE_HEADER_LENGTH);
    this.uploaded += block.length;
    this.#queued();
  }

  /** Sends our extended handshake (BEP 10); only when both sides announced the extension bit. */
  extendedHandshake(handshake: ExtendedHandshake): void {
    if (!this.features.extended) return;
    this.#send({ type: 'extended', id: 0, payload: encodeExtendedHandshake(handshake) });
  }

  /** Sends extension message `name` with the id the peer chose; false if it does not support it. */
  extended(name: string, payload: Uint8Array): boolean {
    const id = this.remoteExtensionId(name);
    if (id === 0) return false;
    this.#send({ type: 'extended', id, payload });
    return true;
  }

  /**
   * The caller is about to queue `bytes` of piece messages (headers included): the batch is
   * sized for them once, instead of doubling as they come (each doubling allocates the batch
   * again and copies it; a 256 KiB burst of blocks allocated 496 KiB and copied 240 KiB more).
   */
  expectPieces(bytes: number): void {
    this.#expected = Math.max(
      0,
      Math.min(bytes, this.#flushBytes + PIECE_HEADER_LENGTH + BLOCK_SIZE),
    );
  }

  /** Writes what is batched now (normally done on the microtask queue). */
  flush(): void {
    this.#flushScheduled = false;
    this.#expected = 0;
    if (this.#outLength === 0 || this.#closed) return;
    const data = this.#out!.subarray(0, this.#outLength);
    this.#out = undefined;
    this.#outLength = 0;
    if (this.#encrypt) this.#encrypt.apply(data);
    this.lastSentAt = this.#clock.now();
    if (!this.connection.write(data)) this.#needDrain = true;
  }

  /** Closes the connection (reset). */
  destroy(error?: Error): void {
    if (this.#closed) return;
    this.#parser.stop();
    this.connection.destroy(error);
    this.#finish(error);
  }

  #requireFast(type: string): void {
    if (!this.features.fast)
      throw new ProtocolError(`${type} needs the Fast extension, not negotiated`);
  }

  #send(message: WireMessage): void {
    if (this.#closed) return;
    const bytes = encodeMessage(message);
    const at = this.#reserve(bytes.length);
    this.#out!.set(bytes, at);
    this.#queued();
  }

  /** Room for `n` more bytes in the write batch; returns where they go. */
  #reserve(n: number, bulk = false): number {
    const need = this.#outLength + n;
    if (this.#out === undefined) {
      // Piece messages: exactly one message (a burst grows by doubling). Control messages:
      // 128 bytes carved from core's shared slabs (allocBytes): no backing store of its own to
      // allocate and collect, and flush()'s subarray stays a cheap view (a subarray of a small
      // on-heap array would force V8 to move it off the heap).
      this.#out = bulk
        ? new Uint8Array(Math.max(need, this.#expected))
        : allocBytes(Math.max(need, 128));
    } else if (need > this.#out.length) {
      const expected = bulk ? this.#outLength + this.#expected : 0;
      const next = allocBytes(Math.max(need, this.#out.length * 2, expected));
      next.set(this.#out.subarray(0, this.#outLength));
      this.#out = next;
    }
    if (bulk) this.#expected = Math.max(0, this.#expected - n);
    const at = this.#outLength;
    this.#outLength = need;
    return at;
  }

  #queued(): void {
    if (this.#outLength >= this.#flushBytes) {
      this.flush();
      return;
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  // --- receiving ---------------------------------------------------------------------------

  readonly #onData = (chunk: Uint8Array): void => {
    if (this.#decrypt) this.#decrypt.apply(chunk);
    this.#receive(chunk);
  };

  #receive(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.lastReceivedAt = this.#clock.now();
    try {
      this.#parser.push(chunk);
    } catch (error) {
      this.destroy(error instanceof Error ? error : new ProtocolError(String(error)));
    }
  }

  readonly #onDrain = (): void => {
    if (!this.#needDrain) return;
    this.#needDrain = false;
    this.emit('drain');
  };

  readonly #onEnd = (): void => {
    // BitTorrent has no use for half-open connections.
    this.destroy();
  };

  readonly #onClose = (error?: Error): void => {
    this.#parser.stop();
    this.#finish(error);
  };

  #finish(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#out = undefined;
    this.#outLength = 0;
    this.connection.off('data', this.#onData);
    this.connection.off('drain', this.#onDrain);
    this.connection.off('end', this.#onEnd);
    this.emit('close', error);
  }

  /** Called by the parser for each message; throwing here drops the connection. */
  #dispatch(message: WireMessage): void {
    if (FAST_ONLY.has(message.type) && !this.features.fast) {
      throw new ProtocolError(`${message.type} without the Fast extension`);
    }
    switch (message.type) {
      case 'keep-alive':
        return;
      case 'choke':
        this.peerChoking = true;
        this.emit('choke');
        return;
      case 'unchoke':
        this.peerChoking = false;
        this.emit('unchoke');
        return;
      case 'interested':
        this.peerInterested = true;
        this.emit('interested');
        return;
      case 'not-interested':
        this.peerInterested = false;
        this.emit('not-interested');
        return;
      case 'have':
        this.emit('have', message.index);
        return;
      case 'bitfield':
        this.emit('bitfield', message.bits);
        return;
      case 'have-all':
        this.emit('have-all');
        return;
      case 'have-none':
        this.emit('have-none');
        return;
      case 'request':
        this.emit('request', message);
        return;
      case 'cancel':
        this.emit('cancel', message);
        return;
      case 'reject':
        this.emit('reject', message);
        return;
      case 'piece':
        this.downloaded += message.block.length;
        this.emit('piece', message.index, message.begin, message.block);
        return;
      case 'suggest':
        this.emit('suggest', message.index);
        return;
      case 'allowed-fast':
        this.emit('allowed-fast', message.index);
        return;
      case 'port':
        this.emit('port', message.port);
        return;
      case 'extended':
        this.#onExtended(message.id, message.payload);
        return;
      case 'unknown':
        // BEP 52 hash messages and anything newer: not for us.
        return;
    }
  }

  #onExtended(id: number, payload: Uint8Array): void {
    if (!this.features.extended) throw new ProtocolError('extended message without BEP 10');
    if (id === 0) {
      const handshake = decodeExtendedHandshake(payload);
      for (const [name, remoteId] of handshake.m) {
        if (remoteId === 0) this.#remoteIds.delete(name);
        else this.#remoteIds.set(name, remoteId);
      }
      const previous = this.peerExtensions;
      this.peerExtensions = {
        m: new Map(this.#remoteIds),
        p: handshake.p ?? previous?.p,
        v: handshake.v ?? previous?.v,
        reqq: handshake.reqq ?? previous?.reqq,
        metadataSize: handshake.metadataSize ?? previous?.metadataSize,
        yourip: handshake.yourip ?? previous?.yourip,
      };
      this.emit('extended-handshake', this.peerExtensions);
      return;
    }
    const name = this.#extensionNames.get(id);
    // A message for an id we never advertised: ignore it (it may be a disabled extension).
    if (name !== undefined) this.emit('extended', name, payload);
  }
}
