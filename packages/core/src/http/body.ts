import { allocBytes } from '../codec/alloc.js';
import { abortErrorFrom, DecodeError, P2PError, TimeoutError } from '../errors.js';
import type { Clock } from '../runtime.js';
import { HttpParseError } from './head.js';
import type { ConnectionReader } from './reader.js';

/** How a body's end is found (RFC 9112 §6.3). */
export type BodyFraming =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'close' };

export interface BodyOptions {
  clock: Clock;
  /** Longest silence while the body is being read, in ms. */
  idleTimeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Called once when the body has been read to its end (true) or abandoned (false). */
  onDone: (complete: boolean) => void;
}

const MAX_CHUNK_LINE = 1024;
const textDecoder = new TextDecoder();

/**
 * A message body as it arrives: an async iterable of chunks (views into what the connection
 * delivered, never a reassembled copy), read at the consumer's pace: while nobody reads, the
 * connection is paused and the peer is pushed back on. `bytes(max)` and `text(max)` collect a
 * small body with a size limit. Iterate it once. A body that ends early rejects with a
 * NetworkError; an idle gap over the timeout with a TimeoutError; an abort with AbortError.
 */
export class HttpBody implements AsyncIterable<Uint8Array> {
  /** Declared Content-Length, when the message has one. */
  readonly length: number | undefined;
  private remaining: number;
  /** Chunked decoding state. */
  private state: 'size' | 'data' | 'data-end' | 'trailers' | 'done';
  private finished = false;
  private started = false;

  constructor(
    private readonly reader: ConnectionReader,
    private readonly framing: BodyFraming,
    private readonly options: BodyOptions,
  ) {
    this.length =
      framing.kind === 'length' ? framing.length : framing.kind === 'none' ? 0 : undefined;
    this.remaining = framing.kind === 'length' ? framing.length : 0;
    this.state = framing.kind === 'chunked' ? 'size' : 'data';
    if (framing.kind === 'none' || (framing.kind === 'length' && framing.length === 0)) {
      // Empty: done at once; the owner hears it after it has the body in hand.
      this.finished = true;
      queueMicrotask(() => options.onDone(true));
    }
  }

  /** True once the body has been read to its end (or abandoned). */
  get done(): boolean {
    return this.finished;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.started) throw new P2PError('an HTTP body can be read only once', 'ERR_BODY_USED');
    this.started = true;
    return {
      next: async () => {
        try {
          const chunk = await this.read();
          return chunk === undefined
            ? { done: true, value: undefined }
            : { done: false, value: chunk };
        } catch (error) {
          this.finish(false);
          throw error;
        }
      },
      return: async () => {
        if (!this.finished) this.finish(false);
        return { done: true, value: undefined };
      },
    };
  }

  /** The whole body in one array; DecodeError if it exceeds `maxSize` bytes (default 1 MiB). */
  async bytes(maxSize = 1024 * 1024): Promise<Uint8Array> {
    if (this.length !== undefined && this.length > maxSize) {
      this.finish(false);
      throw new DecodeError(`http: body of ${this.length} bytes exceeds ${maxSize}`);
    }
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of this) {
      total += chunk.length;
      if (total > maxSize) {
        this.finish(false);
        throw new DecodeError(`http: body larger than ${maxSize} bytes`);
      }
      parts.push(chunk);
    }
    if (parts.length === 1) return parts[0]!;
    const out = allocBytes(total);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  /** The whole body as UTF-8 text, with the limit of `bytes`. */
  async text(maxSize?: number): Promise<string> {
    return textDecoder.decode(await this.bytes(maxSize));
  }

  /** Reads and drops the rest of the body (so a keep-alive connection can carry the next message). */
  async discard(): Promise<void> {
    if (this.finished) return;
    for await (const _ of this) {
      // dropped
    }
  }

  /** Gives up on the body: the connection cannot carry another message and will be closed. */
  cancel(): void {
    if (!this.finished) this.finish(false);
  }

  /** The next chunk, or undefined at the end. */
  private async read(): Promise<Uint8Array | undefined> {
    const queue = this.reader.queue;
    for (;;) {
      if (this.finished) return undefined;
      this.checkAbort();
      if (this.framing.kind === 'chunked') {
        const chunk = this.readChunked();
        if (chunk !== undefined) return chunk;
        if (this.state === 'done') {
          this.finish(true);
          return undefined;
        }
      } else if (this.framing.kind === 'length') {
        const chunk = queue.readChunk(this.remaining);
        if (chunk !== undefined) {
          this.remaining -= chunk.length;
          if (this.remaining === 0) this.finish(true);
          this.reader.resumeIfDrained();
          return chunk;
        }
      } else {
        const chunk = queue.readChunk();
        if (chunk !== undefined) {
          this.reader.resumeIfDrained();
          return chunk;
        }
        if (this.reader.ended) {
          this.finish(true);
          return undefined;
        }
      }
      if (this.reader.ended) throw this.reader.truncated('a body');
      await this.waitMore();
    }
  }

  /** One step of chunked decoding over what is buffered: a data view, or undefined. */
  private readChunked(): Uint8Array | undefined {
    const queue = this.reader.queue;
    for (;;) {
      if (this.state === 'size') {
        const line = this.line();
        if (line === undefined) return undefined;
        const size = line.split(';', 1)[0]!.trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw new HttpParseError('bad chunk size line');
        this.remaining = Number.parseInt(size, 16);
        this.state = this.remaining === 0 ? 'trailers' : 'data';
      } else if (this.state === 'data') {
        const chunk = queue.readChunk(this.remaining);
        if (chunk === undefined) return undefined;
        this.remaining -= chunk.length;
        if (this.remaining === 0) this.state = 'data-end';
        this.reader.resumeIfDrained();
        return chunk;
      } else if (this.state === 'data-end') {
        const line = this.line();
        if (line === undefined) return undefined;
        if (line !== '') throw new HttpParseError('chunk data longer than its size');
        this.state = 'size';
      } else if (this.state === 'trailers') {
        // Trailer fields are read and dropped (RFC 9112 §7.1.2 lets a recipient discard them).
        const line = this.line();
        if (line === undefined) return undefined;
        if (line === '') this.state = 'done';
      }
      if (this.state === 'done') return undefined;
    }
  }

  private line(): string | undefined {
    try {
      return this.reader.queue.readLine({ maxLength: MAX_CHUNK_LINE });
    } catch {
      throw new HttpParseError(`chunk line longer than ${MAX_CHUNK_LINE} bytes`);
    }
  }

  private async waitMore(): Promise<void> {
    const { clock, idleTimeoutMs } = this.options;
    let idle = false;
    const timer = clock.setTimeout(() => {
      idle = true;
      this.reader.interrupt();
    }, idleTimeoutMs);
    const signal = this.options.signal;
    const onAbort = () => this.reader.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.reader.wait();
    } finally {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    this.checkAbort();
    if (idle && this.reader.queue.length === 0 && !this.reader.ended) {
      throw new TimeoutError(`http: no body bytes for ${idleTimeoutMs} ms`);
    }
  }

  private checkAbort(): void {
    const signal = this.options.signal;
    if (signal?.aborted) throw abortErrorFrom(signal);
  }

  private finish(complete: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.options.onDone(complete);
  }
}

/**
 * How the body of a message with these headers is delimited (RFC 9112 §6.3). Responses to
 * HEAD and 1xx/204/304 responses have none; a request without Content-Length or chunked has
 * none; a response without either runs until the connection closes.
 */
export function framingOf(
  headers: ReadonlyMap<string, string>,
  kind: 'request' | 'response',
  noBody = false,
): BodyFraming {
  if (noBody) return { kind: 'none' };
  const te = headers.get('transfer-encoding');
  if (te !== undefined) {
    const codings = te
      .toLowerCase()
      .split(',')
      .map((c) => c.trim());
    if (codings[codings.length - 1] !== 'chunked') {
      if (kind === 'request') throw new HttpParseError(`unsupported Transfer-Encoding ${te}`);
      return { kind: 'close' };
    }
    if (codings.length !== 1) throw new HttpParseError(`unsupported Transfer-Encoding ${te}`);
    // A message with both is a smuggling attempt or a broken peer (RFC 9112 §6.1): refuse.
    if (headers.has('content-length')) {
      throw new HttpParseError('both Transfer-Encoding and Content-Length');
    }
    return { kind: 'chunked' };
  }
  const cl = headers.get('content-length');
  if (cl !== undefined) {
    // Repeated identical values were joined with ", " by the head parser.
    const values = new Set(cl.split(',').map((v) => v.trim()));
    const [only] = values;
    if (values.size !== 1 || !/^\d{1,15}$/.test(only!)) {
      throw new HttpParseError(`bad Content-Length ${JSON.stringify(cl)}`);
    }
    const length = Number(only);
    return length === 0 ? { kind: 'none' } : { kind: 'length', length };
  }
  return kind === 'request' ? { kind: 'none' } : { kind: 'close' };
}
