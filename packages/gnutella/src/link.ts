/**
 * One established Gnutella connection: descriptors in (inflate, frame, decode) and out
 * (priority queue with a drop policy, deflate, backpressure), after the handshake.
 */
import {
  type Address,
  type Connection,
  DecodeError,
  FrameDecoder,
  type Logger,
  type Runtime,
  type TimerHandle,
} from '@p2pkit/core';
import {
  type DescriptorHeader,
  decodeHeader,
  decodePayload,
  encodeDescriptor,
  HEADER_LENGTH,
  MAX_PAYLOAD_LENGTH,
  type Message,
  PayloadType,
} from './descriptors.js';
import { newGuid } from './guid.js';
import { DeflateStream, InflateStream } from './inflate.js';

/** What the other side announced in the handshake. */
export interface PeerInfo {
  readonly ultrapeer: boolean;
  readonly userAgent: string;
  /** Where it listens (Listen-IP), when it said. */
  readonly listen?: Address;
  readonly ggep: boolean;
  readonly byePacket: boolean;
  readonly pongCaching: boolean;
  readonly queryRouting: boolean;
  /** It takes and sends last-hop QRP tables between ultrapeers. */
  readonly ultrapeerQueryRouting: boolean;
}

export interface LinkOptions {
  readonly runtime: Runtime;
  readonly connection: Connection;
  readonly peer: PeerInfo;
  /** We dialled (true) or accepted (false). */
  readonly outgoing: boolean;
  /** The peer deflates what it sends (its Content-Encoding: deflate). */
  readonly inflate: boolean;
  /** We deflate what we send. */
  readonly deflate: boolean;
  /** Largest payload accepted; larger is desync and closes the link (default 65,536). */
  readonly maxPayload?: number;
  /** Bytes we queue beyond the socket's own buffer before dropping (default 256 KiB). */
  readonly maxQueuedBytes?: number;
  /** Undecodable descriptors tolerated before the link is closed (default 5). */
  readonly maxBadDescriptors?: number;
  readonly log: Logger;
  readonly onDescriptor: (
    link: Link,
    header: DescriptorHeader,
    message: Message,
    raw: Uint8Array,
  ) => void;
  readonly onClose: (link: Link, error?: Error) => void;
}

/** Send priorities, most urgent first (0.6 draft §3.1): Push > Query Hit > Pong > Query > Ping. */
enum Priority {
  Control = 0,
  Push = 1,
  QueryHit = 2,
  Pong = 3,
  Query = 4,
  Ping = 5,
}
const PRIORITIES = 6;

function priorityOf(type: number): Priority {
  switch (type) {
    case PayloadType.Push:
      return Priority.Push;
    case PayloadType.QueryHit:
      return Priority.QueryHit;
    case PayloadType.Pong:
      return Priority.Pong;
    case PayloadType.Query:
      return Priority.Query;
    case PayloadType.Ping:
      return Priority.Ping;
    default:
      return Priority.Control;
  }
}

/** Messages of these priorities may be dropped when the queue is full. */
const DROPPABLE = Priority.Pong;

/** Input is inflated in slices this large so one chunk cannot expand without bound. */
const INFLATE_SLICE = 1024;

let nextLinkId = 1;

export class Link {
  readonly id = nextLinkId++;
  readonly remoteAddress: Address;
  readonly peer: PeerInfo;
  readonly outgoing: boolean;
  /** Messages sent / received / dropped by our queue / undecodable, for stats and tests. */
  readonly counts = { sent: 0, received: 0, dropped: 0, bad: 0 };
  private readonly runtime: Runtime;
  private readonly connection: Connection;
  private readonly frames: FrameDecoder;
  private readonly queues: Uint8Array[][] = Array.from({ length: PRIORITIES }, () => []);
  private queuedBytes = 0;
  private readonly maxQueuedBytes: number;
  private readonly maxBad: number;
  private readonly options: LinkOptions;
  private readonly deflater: DeflateStream | undefined;
  private readonly inflater: InflateStream | undefined;
  private flushPending = false;
  private byeTimer: TimerHandle | undefined;
  private blocked = false;
  private closed = false;
  private closing = false;

  constructor(options: LinkOptions) {
    this.options = options;
    this.runtime = options.runtime;
    this.connection = options.connection;
    this.remoteAddress = options.connection.remoteAddress;
    this.peer = options.peer;
    this.outgoing = options.outgoing;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 256 * 1024;
    this.maxBad = options.maxBadDescriptors ?? 5;
    this.frames = new FrameDecoder({
      prefix: 'u32le',
      header: { size: HEADER_LENGTH, lengthOffset: 19 },
      maxFrameSize: options.maxPayload ?? MAX_PAYLOAD_LENGTH,
    });
    if (options.deflate) {
      // One zlib stream for the life of the link, sync-flushed, never finished (spec §2.1).
      this.deflater = new DeflateStream((chunk) => this.writeOut(chunk));
    }
    if (options.inflate) {
      this.inflater = new InflateStream((chunk) => this.frames.push(chunk));
    }
    this.connection.on('data', (chunk) => this.receive(chunk));
    this.connection.on('drain', () => this.pump());
    this.connection.on('end', () => this.close());
    this.connection.on('close', (error) => this.close(error));
  }

  /** We deflate what we send. */
  get deflating(): boolean {
    return this.deflater !== undefined;
  }

  get isOpen(): boolean {
    return !this.closed && !this.closing;
  }

  /** Queue at least half full: the servent stops accepting queries from this peer (§3.1). */
  get flowControlled(): boolean {
    return this.queuedBytes >= this.maxQueuedBytes / 2;
  }

  /** Feeds bytes that arrived before the link existed (after the handshake's last line). */
  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    try {
      if (this.inflater) {
        for (let i = 0; i < chunk.length && !this.closed; i += INFLATE_SLICE) {
          this.inflater.write(chunk.subarray(i, Math.min(chunk.length, i + INFLATE_SLICE)));
          this.drainFrames();
        }
      } else {
        this.frames.push(chunk);
        this.drainFrames();
      }
    } catch (error) {
      // Desync (oversize length, bad zlib stream): the byte stream cannot be trusted any more.
      this.options.log('link %d: %s', this.id, (error as Error).message);
      this.bye(error instanceof DecodeError ? 400 : 501, 'Desync');
    }
  }

  private drainFrames(): void {
    for (let frame = this.frames.next(); frame && !this.closed; frame = this.frames.next()) {
      const header = decodeHeader(frame);
      this.counts.received++;
      let message: Message;
      try {
        message = decodePayload(header.type, frame.subarray(HEADER_LENGTH));
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        this.counts.bad++;
        this.options.log(
          'link %d: bad descriptor 0x%s: %s',
          this.id,
          header.type.toString(16),
          error.message,
        );
        if (this.counts.bad > this.maxBad) this.bye(400, 'Too many bad descriptors');
        continue;
      }
      this.options.onDescriptor(this, header, message, frame);
    }
  }

  /**
   * Queues a whole descriptor. Returns false when it was dropped (queue full of more urgent
   * traffic). A Push, Query Hit or control message that cannot be queued closes the link with
   * Bye 502, as the draft prescribes.
   */
  send(bytes: Uint8Array): boolean {
    if (!this.isOpen) return false;
    const priority = priorityOf(bytes[16]!);
    if (
      this.queuedBytes + bytes.length > this.maxQueuedBytes &&
      !this.makeRoom(bytes.length, priority)
    ) {
      this.counts.dropped++;
      if (priority < DROPPABLE) this.bye(502, 'Send queue full');
      return false;
    }
    this.queues[priority]!.push(bytes);
    this.queuedBytes += bytes.length;
    this.pump();
    return true;
  }

  /** Encodes and queues a message. */
  sendMessage(
    message: Message,
    ttl: number,
    hops = 0,
    guid = newGuid(this.runtime.random),
  ): boolean {
    return this.send(encodeDescriptor({ guid, ttl, hops, message }));
  }

  /** Drops queued messages less urgent than `priority` (least urgent, newest first). */
  private makeRoom(needed: number, priority: number): boolean {
    for (let p = PRIORITIES - 1; p > priority && p >= DROPPABLE; p--) {
      const q = this.queues[p]!;
      while (q.length > 0 && this.queuedBytes + needed > this.maxQueuedBytes) {
        this.queuedBytes -= q.pop()!.length;
        this.counts.dropped++;
      }
    }
    return this.queuedBytes + needed <= this.maxQueuedBytes;
  }

  private pump(): void {
    if (this.closed) return;
    this.blocked = false;
    for (let p = 0; p < PRIORITIES && !this.blocked; p++) {
      const q = this.queues[p]!;
      while (q.length > 0 && !this.blocked) {
        const bytes = q.shift()!;
        this.queuedBytes -= bytes.length;
        this.counts.sent++;
        if (this.deflater) {
          this.deflater.write(bytes);
          this.scheduleFlush();
        } else {
          this.writeOut(bytes);
        }
      }
    }
  }

  private writeOut(chunk: Uint8Array): void {
    if (this.closed) return;
    if (!this.connection.write(chunk)) this.blocked = true;
  }

  /** Sync-flush the deflater once the current burst of sends is done (same instant). */
  private scheduleFlush(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    // A microtask, not a timer: deterministic in the simulator and with a manual clock, and
    // late enough that a burst of sends in one turn shares one flush.
    queueMicrotask(() => {
      this.flushPending = false;
      if (!this.closed) this.deflater!.flush();
    });
  }

  /**
   * Says goodbye: a Bye descriptor when the peer announced Bye-Packet, then a half-close;
   * never a Bye to a peer that did not ask for it (§3.7).
   */
  bye(code: number, reason: string): void {
    if (this.closed || this.closing) return;
    this.options.log('link %d: closing (%d %s)', this.id, code, reason);
    if (this.peer.byePacket) {
      this.queues.forEach((q) => {
        q.length = 0;
      });
      this.queuedBytes = 0;
      this.send(
        encodeDescriptor({
          guid: newGuid(this.runtime.random),
          ttl: 1,
          hops: 0,
          message: { kind: 'bye', code, reason },
        }),
      );
      if (this.deflater) this.deflater.flush();
    }
    this.closing = true;
    this.connection.end();
    // The peer should close at once; if it does not, we do (a few seconds, spec: <= ~30 s).
    this.byeTimer = this.runtime.clock.setTimeout(() => this.close(), 5000);
  }

  /** Closes at once (reset), dropping anything queued. */
  close(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    if (this.byeTimer !== undefined) this.runtime.clock.clearTimeout(this.byeTimer);
    this.queues.forEach((q) => {
      q.length = 0;
    });
    this.queuedBytes = 0;
    if (!this.connection.destroyed) this.connection.destroy();
    this.options.onClose(this, error);
  }
}
