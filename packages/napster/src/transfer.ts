/**
 * The peer-to-peer transfer (drscholl §4): unframed bytes on a direct TCP connection.
 *
 * Normal (the uploader accepts): uploader → `1`; downloader → `GET`, then
 * `<downloader> "<file>" <offset>`; uploader → the file size in ASCII digits (no terminator),
 * then the bytes from `offset`, or an error text (`INVALID REQUEST`, `FILE NOT SHARED`).
 *
 * Firewalled (the downloader accepts): downloader → `1`; uploader → `SEND`, then
 * `<uploader> "<file>" <size>`; downloader → the offset in ASCII digits, or an error text;
 * uploader → the bytes from that offset.
 *
 * Two numbers have no terminator. The size the downloader reads is followed by the file itself,
 * so we read exactly as many digits as the size we already know from the search or browse (the
 * spec's "stop at the first non-digit" breaks on a file that starts with a digit). The request
 * and the offset are followed by nothing: the reading side takes the digits that arrived and
 * waits `quietMs` for more before it answers, as the original clients relied on one `recv`.
 */
import {
  AbortError,
  ByteQueue,
  type Clock,
  type Connection,
  ProtocolError,
  TimeoutError,
  throwIfAborted,
} from '@p2pkit/core';

/** What an upload reads from: a file's size and its bytes from any offset, as chunks. */
export interface FileSource {
  readonly size: number;
  /** The bytes from `start` to the end of the file (a SharedFolder's `read`). */
  stream(start: number, signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

export interface TransferTimeouts {
  /** Each handshake step (the `1`, the request, the size or offset), default 30 s. */
  stepMs?: number;
  /** No byte of the body for this long aborts the transfer (default 60 s). */
  idleMs?: number;
  /** How long a number with no terminator may pause before it counts as complete (default 100 ms). */
  quietMs?: number;
}

/** A GET or SEND request as the accepting side reads it. */
export interface PeerRequest {
  kind: 'GET' | 'SEND';
  nick: string;
  filename: string;
  /** GET: the offset asked for. SEND: the size the uploader announces. */
  number: number;
}

const ONE = 0x31;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Longest request line accepted: a nick, a quoted name (OpenNap's 256) and a number, with room. */
const MAX_REQUEST = 2048;
/** Longest error text read back from a peer. */
const MAX_ERROR_TEXT = 256;
const CHUNK = 64 * 1024;

/** A connection read step by step: each step waits until its bytes are in the queue. */
export class PeerStream {
  readonly queue = new ByteQueue();
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly connection: Connection,
    readonly clock: Clock,
  ) {
    connection.on('data', (chunk) => {
      this.queue.append(chunk);
      this.wake?.();
    });
    connection.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    connection.on('close', (error) => {
      this.ended = true;
      this.failure ??= error;
      this.wake?.();
    });
  }

  /** True once the peer has closed its side (buffered bytes may remain). */
  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Resolves with `step()`'s first defined value, re-evaluated on every arrival. Rejects on
   * timeout, abort, or when the peer closes before the step can complete.
   */
  until<T>(
    step: () => T | undefined,
    what: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer = this.clock.setTimeout(
        () => done(new TimeoutError(`timed out waiting for ${what}`)),
        timeoutMs,
      );
      const onAbort = () => done(new AbortError(`aborted while waiting for ${what}`));
      const done = (error?: Error, value?: T) => {
        this.clock.clearTimeout(timer);
        this.wake = undefined;
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(value as T);
      };
      this.wake = () => {
        let value: T | undefined;
        try {
          value = step();
        } catch (error) {
          done(error as Error);
          return;
        }
        if (value !== undefined) done(undefined, value);
        else if (this.ended)
          done(new ProtocolError(`peer closed before ${what}`, { cause: this.failure }));
        else {
          // Progress restarts the clock: the limit is on silence, not on the whole step.
          this.clock.clearTimeout(timer);
          timer = this.clock.setTimeout(
            () => done(new TimeoutError(`timed out waiting for ${what}`)),
            timeoutMs,
          );
        }
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wake();
    });
  }

  /**
   * ASCII digits with no terminator, complete once `quietMs` pass with nothing more, or at the
   * first non-digit (left in the queue). At most `maxDigits`. A non-digit first: undefined, and
   * the caller reads an error text instead.
   */
  async quietNumber(
    what: string,
    maxDigits: number,
    timeouts: Required<TransferTimeouts>,
    signal?: AbortSignal,
  ): Promise<number | undefined> {
    const first = await this.until(
      () => (this.queue.length > 0 ? this.queue.byteAt(0) : undefined),
      what,
      timeouts.stepMs,
      signal,
    );
    if (!isDigit(first)) return undefined;
    let settled = false;
    let quiet = this.clock.setTimeout(() => {
      settled = true;
      this.wake?.();
    }, timeouts.quietMs);
    let seen = 0;
    try {
      const digits = await this.until(
        () => {
          let n = 0;
          while (n < this.queue.length && isDigit(this.queue.byteAt(n))) n++;
          if (n > maxDigits) throw new ProtocolError(`${what} longer than ${maxDigits} digits`);
          if (n < this.queue.length || settled || this.ended) return n;
          if (n !== seen) {
            seen = n;
            this.clock.clearTimeout(quiet);
            quiet = this.clock.setTimeout(() => {
              settled = true;
              this.wake?.();
            }, timeouts.quietMs);
          }
          return undefined;
        },
        what,
        timeouts.stepMs,
        signal,
      );
      return Number(decoder.decode(this.queue.read(digits)));
    } finally {
      this.clock.clearTimeout(quiet);
    }
  }

  /** Whatever text the peer sends until it closes (at most MAX_ERROR_TEXT bytes): its error. */
  async errorText(what: string, stepMs: number): Promise<string> {
    try {
      await this.until(
        () => (this.queue.length >= MAX_ERROR_TEXT ? true : undefined),
        what,
        stepMs,
      );
    } catch {
      // closed or quiet: take what came
    }
    const bytes = this.queue.read(Math.min(this.queue.length, MAX_ERROR_TEXT)) ?? new Uint8Array(0);
    return decoder.decode(bytes).trim() || 'no reason given';
  }
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

export function resolveTimeouts(t: TransferTimeouts = {}): Required<TransferTimeouts> {
  return { stepMs: t.stepMs ?? 30_000, idleMs: t.idleMs ?? 60_000, quietMs: t.quietMs ?? 100 };
}

/** A peer refused the transfer with this text (`FILE NOT SHARED`, `INVALID REQUEST`, …). */
export class TransferRefusedError extends ProtocolError {
  readonly reply: string;
  constructor(reply: string) {
    super(`peer refused the transfer: ${reply}`);
    this.name = 'TransferRefusedError';
    this.reply = reply;
  }
}

/**
 * Reads exactly `count` body bytes into `onData` (awaited: backpressure), failing on silence,
 * on an early close, and on a single byte too many.
 */
export async function receiveBody(
  stream: PeerStream,
  count: number,
  onData: (chunk: Uint8Array) => Promise<void> | void,
  timeouts: Required<TransferTimeouts>,
  signal?: AbortSignal,
): Promise<void> {
  let left = count;
  while (left > 0) {
    const chunk = await stream.until(
      () => stream.queue.readChunk(Math.min(left, CHUNK)),
      'file data',
      timeouts.idleMs,
      signal,
    );
    left -= chunk.length;
    stream.connection.pause();
    try {
      await onData(chunk);
    } finally {
      stream.connection.resume();
    }
  }
  if (stream.queue.length > 0)
    throw new ProtocolError(`peer sent more than the ${count} bytes announced`);
}

/** Writes `source[from, size)` with backpressure; a file that shrinks meanwhile is an error. */
export async function sendBody(
  connection: Connection,
  clock: Clock,
  source: FileSource,
  from: number,
  timeouts: Required<TransferTimeouts>,
  signal?: AbortSignal,
  onProgress?: (sent: number) => void,
): Promise<void> {
  const total = source.size - from;
  let sent = 0;
  if (total > 0) {
    for await (const data of source.stream(from, signal)) {
      throwIfAborted(signal);
      if (connection.destroyed)
        throw new ProtocolError('peer closed the connection during the transfer');
      // A file that grew since we announced its size: the announced bytes only.
      const chunk = sent + data.length > total ? data.subarray(0, total - sent) : data;
      sent += chunk.length;
      if (!connection.write(chunk)) await drained(connection, clock, timeouts.idleMs, signal);
      onProgress?.(sent);
      if (sent >= total) break;
    }
  }
  if (sent < total) throw new ProtocolError('file shrank while it was being sent');
}

function drained(
  connection: Connection,
  clock: Clock,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(
      () => finish(new TimeoutError('peer stopped reading')),
      timeoutMs,
    );
    const onDrain = () => finish();
    const onClose = () =>
      finish(new ProtocolError('peer closed the connection during the transfer'));
    const onAbort = () => finish(new AbortError());
    const finish = (error?: Error) => {
      clock.clearTimeout(timer);
      connection.off('drain', onDrain);
      connection.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    connection.on('drain', onDrain);
    connection.on('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `<nick> "<file>" <number>` as written after GET and SEND. */
export function requestLine(nick: string, filename: string, number: number): Uint8Array {
  return encoder.encode(`${nick} "${filename}" ${number}`);
}

/**
 * Downloader, normal mode: after the uploader's `1`, GET the file from `offset`; resolves with
 * the size the uploader announced once the whole rest of the file went through `onData`.
 */
export async function getFile(
  stream: PeerStream,
  request: { nick: string; filename: string; offset: number; size: number },
  onData: (chunk: Uint8Array) => Promise<void> | void,
  timeouts: Required<TransferTimeouts>,
  signal?: AbortSignal,
): Promise<void> {
  const one = await stream.until(
    () => stream.queue.read(1),
    "the uploader's 1",
    timeouts.stepMs,
    signal,
  );
  if (one[0] !== ONE) throw new ProtocolError(`expected "1" from the uploader, got byte ${one[0]}`);
  // "GET" first, in its own write, as the spec asks; the request after it.
  stream.connection.write(encoder.encode('GET'));
  stream.connection.write(requestLine(request.nick, request.filename, request.offset));
  await readSize(stream, request.size, request.offset, timeouts, signal);
  await receiveBody(stream, request.size - request.offset, onData, timeouts, signal);
}

/**
 * The size reply: exactly as many digits as the size we expect. A peer that announces another
 * size (the whole file, or what is left after the offset — the spec leaves resumes open) is
 * lying or serving another file: the transfer is cut.
 */
async function readSize(
  stream: PeerStream,
  size: number,
  offset: number,
  timeouts: Required<TransferTimeouts>,
  signal?: AbortSignal,
): Promise<void> {
  const first = await stream.until(
    () => (stream.queue.length > 0 ? stream.queue.byteAt(0) : undefined),
    'the file size',
    timeouts.stepMs,
    signal,
  );
  if (!isDigit(first))
    throw new TransferRefusedError(await stream.errorText('the error text', timeouts.quietMs * 5));
  const candidates = offset > 0 ? [String(size), String(size - offset)] : [String(size)];
  for (const expected of candidates) {
    const got = await stream.until(
      () =>
        stream.queue.length >= expected.length
          ? stream.queue.peek(expected.length)
          : stream.isEnded
            ? new Uint8Array(0)
            : undefined,
      'the file size',
      timeouts.stepMs,
      signal,
    );
    if (decoder.decode(got) === expected) {
      stream.queue.skip(expected.length);
      return;
    }
  }
  const shown = decoder.decode(
    stream.queue.peek(Math.min(stream.queue.length, 20)) ?? new Uint8Array(0),
  );
  throw new ProtocolError(
    `uploader announced a size other than ${size} (${JSON.stringify(shown)})`,
  );
}

/**
 * Uploader, firewalled mode: after the downloader's `1`, SEND the file and stream it from the
 * offset the downloader answers.
 */
export async function sendFile(
  stream: PeerStream,
  request: { nick: string; filename: string; source: FileSource },
  timeouts: Required<TransferTimeouts>,
  signal?: AbortSignal,
  onProgress?: (sent: number, offset: number) => void,
): Promise<number> {
  const one = await stream.until(
    () => stream.queue.read(1),
    "the downloader's 1",
    timeouts.stepMs,
    signal,
  );
  if (one[0] !== ONE)
    throw new ProtocolError(`expected "1" from the downloader, got byte ${one[0]}`);
  stream.connection.write(encoder.encode('SEND'));
  stream.connection.write(requestLine(request.nick, request.filename, request.source.size));
  const offset = await stream.quietNumber('the offset', 20, timeouts, signal);
  if (offset === undefined)
    throw new TransferRefusedError(await stream.errorText('the error text', timeouts.quietMs * 5));
  if (offset > request.source.size)
    throw new ProtocolError(`downloader asked for offset ${offset} past the end`);
  await sendBody(
    stream.connection,
    stream.clock,
    request.source,
    offset,
    timeouts,
    signal,
    (sent) => onProgress?.(sent, offset),
  );
  return offset;
}

/**
 * The accepting side of a data connection: sends `1`, reads GET or SEND and the request line.
 * Throws ProtocolError on anything else.
 */
export async function readPeerRequest(
  stream: PeerStream,
  timeouts: Required<TransferTimeouts>,
  signal?: AbortSignal,
): Promise<PeerRequest> {
  stream.connection.write(new Uint8Array([ONE]));
  const kind = await stream.until(
    () => {
      const text = decoder.decode(stream.queue.peek(Math.min(stream.queue.length, 4)));
      if (text.startsWith('GET')) return 'GET' as const;
      if (text === 'SEND') return 'SEND' as const;
      if (!'GET'.startsWith(text) && !'SEND'.startsWith(text)) {
        throw new ProtocolError(`expected GET or SEND, got ${JSON.stringify(text)}`);
      }
      return undefined;
    },
    'GET or SEND',
    timeouts.stepMs,
    signal,
  );
  stream.queue.skip(kind.length);
  // `<nick> "<file>" ` then digits with no terminator.
  const head = await stream.until(
    () => parseRequestHead(stream.queue),
    'the request',
    timeouts.stepMs,
    signal,
  );
  stream.queue.skip(head.length);
  const number = await stream.quietNumber(
    kind === 'GET' ? 'the offset' : 'the size',
    20,
    timeouts,
    signal,
  );
  if (number === undefined) throw new ProtocolError(`${kind} request without a number`);
  return { kind, nick: head.nick, filename: head.filename, number };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** `<nick> "<file>" ` at the front of the queue (not consumed), or undefined until it is all there. */
function parseRequestHead(
  queue: ByteQueue,
): { nick: string; filename: string; length: number } | undefined {
  const n = Math.min(queue.length, MAX_REQUEST);
  const b = queue.peek(n);
  if (!b) return undefined;
  const more = () => {
    if (n >= MAX_REQUEST) throw new ProtocolError('request line too long');
    return undefined;
  };
  let i = 0;
  while (i < n && b[i] === 0x20) i++;
  const nickStart = i;
  while (i < n && b[i] !== 0x20) i++;
  if (i + 1 >= n) return more();
  const nickEnd = i++;
  if (b[i] !== 0x22 || nickEnd === nickStart)
    throw new ProtocolError('malformed request: expected <nick> "<file>"');
  const fileStart = ++i;
  while (i < n && b[i] !== 0x22) i++;
  if (i + 1 >= n) return more();
  const fileEnd = i++;
  if (b[i] !== 0x20)
    throw new ProtocolError('malformed request: expected a space after the file name');
  try {
    return {
      nick: strictUtf8.decode(b.subarray(nickStart, nickEnd)),
      filename: strictUtf8.decode(b.subarray(fileStart, fileEnd)),
      length: i + 1,
    };
  } catch (error) {
    throw new ProtocolError('request is not valid UTF-8', { cause: error });
  }
}

/** Refuses a request with a text, as the original clients did, and closes. */
export function refuse(connection: Connection, text: string): void {
  connection.write(encoder.encode(text));
  connection.end();
}

/** Uploader, normal mode, after readPeerRequest gave a GET: the size, then the bytes from offset. */
export async function serveGet(
  connection: Connection,
  clock: Clock,
  source: FileSource,
  offset: number,
  timeouts: Required<TransferTimeouts>,
  signal?: AbortSignal,
  onProgress?: (sent: number) => void,
): Promise<void> {
  connection.write(encoder.encode(String(source.size)));
  await sendBody(connection, clock, source, offset, timeouts, signal, onProgress);
}

/** Downloader, firewalled mode, after readPeerRequest gave a SEND: the offset, then the bytes. */
export async function acceptSend(
  stream: PeerStream,
  size: number,
  offset: number,
  onData: (chunk: Uint8Array) => Promise<void> | void,
  timeouts: Required<TransferTimeouts>,
  signal?: AbortSignal,
): Promise<void> {
  stream.connection.write(encoder.encode(String(offset)));
  await receiveBody(stream, size - offset, onData, timeouts, signal);
}
