/**
 * A client↔server connection speaking Napster frames: core's FrameDecoder with Napster's 4-byte
 * header (u16le length at offset 0, u16le type), a hard limit on a frame's data (OpenNap closes
 * the connection above `max_command_length`, 2048 by default), a cap on what we queue for a peer
 * that does not read, and a bound on the work one peer gets per turn of the event loop.
 */
import {
  type Clock,
  type Connection,
  DecodeError,
  FrameDecoder,
  type TimerHandle,
} from '@p2pkit/core';
import { decodeFrame, HEADER_SIZE } from './messages.js';
import { joinChunks } from './reply-pool.js';

export interface FramedOptions {
  clock: Clock;
  /** Largest data part accepted; a bigger frame closes the connection. */
  maxDataLength: number;
  /** Bytes queued for the peer above which it is dropped as too slow (default 4 MiB). */
  maxQueuedBytes?: number;
  /** After end(), how long the peer has to close its side before we destroy (default 10 s). */
  lingerMs?: number;
  /** Frames handled per turn before yielding to other connections (default 64). */
  batch?: number;
  /** One message: type and its data, decoded from UTF-8. */
  onMessage(type: number, data: string): void;
  /** A frame whose data is not UTF-8: the frame is dropped, the stream stays in sync. */
  onBadFrame(type: number, error: DecodeError): void;
  /** Closed, by either side; `error` explains an abnormal end (oversize frame, slow peer, reset). */
  onClose(error?: Error): void;
}

/** Why a framed connection was dropped, as an error code. */
export type DropReason = 'ERR_FRAME_TOO_LARGE' | 'ERR_SLOW_PEER';

export class FramedConnection {
  readonly connection: Connection;
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  private readonly decoder: FrameDecoder;
  private readonly options: FramedOptions;
  private readonly maxQueued: number;
  private readonly batch: number;
  private pumpTimer: TimerHandle | undefined;
  private lingerTimer: TimerHandle | undefined;
  private closed = false;
  private notified = false;
  /**
   * While a batch of the peer's frames is handled, what we send waits here and goes out as one
   * socket write at the end of the batch: a peer that pipelines k searches gets one write, not
   * k (a loopback write costs about as much as the search itself).
   */
  private outbox: Uint8Array[] | undefined;

  constructor(connection: Connection, options: FramedOptions) {
    this.connection = connection;
    this.options = options;
    this.maxQueued = options.maxQueuedBytes ?? 4 << 20;
    this.batch = options.batch ?? 64;
    this.decoder = new FrameDecoder({
      prefix: 'u16le',
      header: { size: HEADER_SIZE, lengthOffset: 0 },
      maxFrameSize: options.maxDataLength,
    });
    connection.on('data', (chunk) => this.onData(chunk));
    connection.on('close', (error) => this.finish(error));
  }

  get isOpen(): boolean {
    return !this.closed && !this.connection.destroyed;
  }

  /**
   * Queues `frames` frames (concatenated in `bytes`); drops a peer that lets too much pile up.
   */
  send(bytes: Uint8Array, frames = 1): void {
    if (!this.isOpen) return;
    this.bytesOut += bytes.length;
    this.messagesOut += frames;
    if (this.outbox !== undefined) {
      this.outbox.push(bytes);
      return;
    }
    this.write(bytes);
  }

  private write(bytes: Uint8Array): void {
    this.connection.write(bytes);
    if (this.connection.writableLength > this.maxQueued) {
      this.drop('ERR_SLOW_PEER', `peer left ${this.connection.writableLength} bytes unread`);
    }
  }

  /** Flushes what is queued, then closes our side. */
  end(): void {
    if (!this.isOpen) return;
    this.flush();
    if (!this.isOpen) return;
    this.closed = true;
    this.connection.end();
    // A peer that never closes its side must not hold the connection open forever.
    this.lingerTimer = this.options.clock.setTimeout(
      () => this.destroy(),
      this.options.lingerMs ?? 10_000,
    );
  }

  /** Closes at once, dropping what is queued. */
  destroy(error?: Error): void {
    this.connection.destroy(error);
    this.finish(error);
  }

  private drop(code: DropReason, message: string): void {
    const error = new DecodeError(message);
    Object.defineProperty(error, 'code', { value: code });
    this.destroy(error);
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return;
    this.bytesIn += chunk.length;
    try {
      this.decoder.push(chunk);
    } catch (error) {
      this.drop('ERR_FRAME_TOO_LARGE', (error as Error).message);
      return;
    }
    if (this.pumpTimer === undefined) this.pump();
  }

  /** Writes what the batch queued: one write, however many replies. */
  private flush(): void {
    const queued = this.outbox;
    this.outbox = undefined;
    if (queued === undefined || queued.length === 0 || !this.isOpen) return;
    this.write(queued.length === 1 ? queued[0]! : joinChunks(queued));
  }

  /** Handles up to `batch` frames, replies written once at the end (see `outbox`). */
  private pump(): void {
    this.pumpTimer = undefined;
    this.outbox = [];
    try {
      this.handleBatch();
    } finally {
      this.flush();
    }
  }

  /** Yields (pausing the peer) when more frames are waiting than one batch. */
  private handleBatch(): void {
    for (let i = 0; i < this.batch; i++) {
      if (this.closed || this.connection.destroyed) return;
      let frame: Uint8Array | undefined;
      try {
        frame = this.decoder.next();
      } catch (error) {
        this.drop('ERR_FRAME_TOO_LARGE', (error as Error).message);
        return;
      }
      if (frame === undefined) {
        this.connection.resume();
        return;
      }
      this.messagesIn++;
      let type = 0;
      let data: string;
      try {
        type = frame[2]! | (frame[3]! << 8);
        ({ data } = decodeFrame(frame));
      } catch (error) {
        this.options.onBadFrame(type, error as DecodeError);
        continue;
      }
      this.options.onMessage(type, data);
    }
    if (this.closed || this.connection.destroyed) return;
    this.connection.pause();
    this.pumpTimer = this.options.clock.setTimeout(() => this.pump(), 0);
  }

  private finish(error?: Error): void {
    this.options.clock.clearTimeout(this.pumpTimer);
    this.options.clock.clearTimeout(this.lingerTimer);
    this.pumpTimer = this.lingerTimer = undefined;
    this.closed = true;
    if (this.notified) return;
    this.notified = true;
    this.options.onClose(error);
  }
}
