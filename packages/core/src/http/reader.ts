import { ByteQueue } from '../codec/byte-queue.js';
import { NetworkError } from '../errors.js';
import type { Connection } from '../runtime.js';

/** Above this many buffered bytes the connection is paused until the consumer catches up. */
const HIGH_WATER = 256 * 1024;

/**
 * The receiving side of an HTTP connection: bytes go into a ByteQueue, and the parser or body
 * reader that consumes them awaits `wait()` when it needs more. The connection is paused while
 * more than 256 KiB wait unread, so a slow consumer pushes back on the peer (TCP flow control)
 * instead of buffering a body whole.
 */
export class ConnectionReader {
  readonly queue = new ByteQueue();
  /** The peer sent FIN: what is buffered is all there will be. */
  ended = false;
  /** The connection closed; `error` says why when abnormally. */
  closed = false;
  error: Error | undefined;
  /** Clock time of the last byte received (for idle timeouts). */
  lastActivity = 0;
  private waiter: (() => void) | undefined;
  private paused = false;
  private readonly onData = (chunk: Uint8Array) => {
    this.queue.append(chunk);
    this.lastActivity = this.now();
    if (this.queue.length > HIGH_WATER && !this.paused) {
      this.paused = true;
      this.connection.pause();
    }
    this.wake();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.wake();
  };
  private readonly onClose = (error?: Error) => {
    this.closed = true;
    this.ended = true;
    this.error ??= error;
    this.wake();
  };

  constructor(
    readonly connection: Connection,
    private readonly now: () => number,
    pending?: Uint8Array,
  ) {
    this.lastActivity = now();
    if (pending && pending.length > 0) this.queue.append(pending);
    connection.on('data', this.onData);
    connection.on('end', this.onEnd);
    connection.on('close', this.onClose);
    if (connection.destroyed) this.onClose();
  }

  /** Resolves when bytes arrive, the stream ends or closes, or `interrupt()` is called. */
  wait(): Promise<void> {
    this.resumeIfDrained();
    if (this.ended) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Wakes a pending `wait()` (a timeout or an abort wants the reader to look at its state). */
  interrupt(): void {
    this.wake();
  }

  /** Resumes a paused connection once the consumer has taken the buffer below the mark. */
  resumeIfDrained(): void {
    if (this.paused && this.queue.length <= HIGH_WATER / 2) {
      this.paused = false;
      this.connection.resume();
    }
  }

  /** The error to throw when the stream ended before the message did. */
  truncated(what: string): Error {
    return (
      this.error ??
      new NetworkError(`connection closed in the middle of ${what}`, 'ERR_CONNECTION_RESET')
    );
  }

  /** Stops listening (the connection is handed on or destroyed). */
  detach(): void {
    this.connection.off('data', this.onData);
    this.connection.off('end', this.onEnd);
    this.connection.off('close', this.onClose);
    if (this.paused) {
      this.paused = false;
      this.connection.resume();
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter();
    }
  }
}

/**
 * Writes `data`, then waits for `drain` when the connection says its buffer is full: the
 * producer of a body is pulled no faster than the peer reads. Rejects when the connection
 * closes first.
 */
export function writeWithBackpressure(connection: Connection, data: Uint8Array): Promise<void> {
  if (connection.destroyed) {
    return Promise.reject(new NetworkError('connection closed', 'ERR_SOCKET_CLOSED'));
  }
  if (connection.write(data)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      connection.off('drain', onDrain);
      connection.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = (error?: Error) =>
      done(error ?? new NetworkError('connection closed', 'ERR_SOCKET_CLOSED'));
    connection.on('drain', onDrain);
    connection.on('close', onClose);
  });
}
