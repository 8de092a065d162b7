import { NetworkError } from '../errors.js';
import type { Address, Clock, Connection, Listener, Runtime, TimerHandle } from '../runtime.js';
import { type BodyFraming, framingOf, HttpBody } from './body.js';
import { encodeHead, HeadParser, type HttpLimits, HttpParseError, keepAliveOf } from './head.js';
import { type ByteRange, contentRange, parseRange } from './range.js';
import { ConnectionReader, writeWithBackpressure } from './reader.js';
import { reasonPhrase } from './status.js';

/** A resource of known size that can be read from any offset: served with Range support. */
export interface ByteSource {
  readonly size: number;
  /** The bytes [start, end), as chunks; pulled no faster than the peer reads them. */
  stream(start: number, end: number): AsyncIterable<Uint8Array>;
}

/**
 * A response body: bytes or a string (UTF-8) sent with Content-Length; a `ByteSource` sent with
 * Content-Length and Range support (206, 416); any other async iterable of chunks sent chunked
 * (HTTP/1.1) or until close (HTTP/1.0).
 */
export type HttpResponseBody = Uint8Array | string | ByteSource | AsyncIterable<Uint8Array>;

export interface HttpServerRequest {
  readonly method: string;
  /** The request-target as sent (`/get/3/a%20b.mp3`), still percent-encoded. */
  readonly target: string;
  readonly version: 'HTTP/1.0' | 'HTTP/1.1';
  /** Lower-cased names; repeated fields joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
  readonly remoteAddress: Address;
  readonly localAddress: Address;
  /** The request body (empty for a GET without one). */
  readonly body: HttpBody;
  /** Aborted when the connection closes or the server stops: stop producing the response. */
  readonly signal: AbortSignal;
}

export interface HttpServerResponse {
  readonly status: number;
  /** Reason phrase; default the standard one for the status. */
  readonly reason?: string;
  /** Extra fields. Content-Length, Transfer-Encoding and Connection are set by the server. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: HttpResponseBody;
}

export type HttpHandler = (
  request: HttpServerRequest,
) => HttpServerResponse | Promise<HttpServerResponse>;

/** How one connection is served (see `serveHttp`). */
export interface HttpServeOptions extends HttpLimits {
  runtime: Runtime;
  handler: HttpHandler;
  /** From the first byte of a request to the end of its head, in ms (default 30 s). */
  headerTimeoutMs?: number;
  /** Longest silence: waiting for the next request on a kept-alive connection, or inside a body (default 60 s). */
  idleTimeoutMs?: number;
}

export interface HttpServerOptions extends HttpServeOptions {
  /** Address to bind (default: the runtime's host). */
  host?: string;
  /** Port (default 0: any free port; read `address`). */
  port?: number;
  /** Open connections at once; more are closed on arrival (default 512). */
  maxConnections?: number;
}

export interface HttpServer {
  readonly address: Address;
  /** Connections currently open. */
  readonly connections: number;
  /** Stops accepting and closes every open connection. */
  close(): Promise<void>;
}

const utf8 = new TextEncoder();

/**
 * An HTTP/1.1 server over `runtime.net` (real TCP, the memory network or the simulator alike):
 * persistent connections, GET/HEAD with Range on sized bodies, chunked request bodies, limits
 * on every head (400/431 then close), header and idle timeouts on the Runtime clock, bodies
 * streamed both ways with backpressure.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { runtime } = options;
  const maxConnections = options.maxConnections ?? 512;
  const open = new Set<Connection>();
  let closed = false;
  const onConnection = (connection: Connection) => {
    if (closed || open.size >= maxConnections) {
      connection.destroy();
      return;
    }
    open.add(connection);
    connection.on('close', () => open.delete(connection));
    void serveHttp(connection, options);
  };
  const listener: Listener = await runtime.net.listen(
    { host: options.host ?? runtime.host, port: options.port ?? 0 },
    onConnection,
  );
  return {
    address: listener.address,
    get connections() {
      return open.size;
    },
    async close() {
      if (closed) return;
      closed = true;
      await listener.close();
      for (const connection of open) connection.destroy();
      open.clear();
    },
  };
}

/**
 * Serves HTTP on an accepted connection until it closes; `pending` holds bytes already read
 * from it (a protocol that shares its port with HTTP, as Gnutella does, reads the first line
 * itself and hands the connection over). Never rejects: every failure closes the connection.
 */
export async function serveHttp(
  connection: Connection,
  options: HttpServeOptions,
  pending?: Uint8Array,
): Promise<void> {
  const clock = options.runtime.clock;
  const reader = new ConnectionReader(connection, () => clock.now(), pending);
  const controller = new AbortController();
  const onClose = () =>
    controller.abort(new NetworkError('connection closed', 'ERR_SOCKET_CLOSED'));
  connection.on('close', onClose);
  try {
    for (;;) {
      const head = await readHead(reader, options, clock);
      if (head === undefined) break;
      const keepOpen = await exchange(connection, reader, head, options, controller.signal);
      if (!keepOpen) break;
    }
    connection.end();
  } catch {
    connection.destroy();
  } finally {
    reader.detach();
    connection.off('close', onClose);
  }
}

type Head = NonNullable<ReturnType<HeadParser['read']>>;

/** The next request head; undefined when the peer closed between requests or timed out. */
async function readHead(
  reader: ConnectionReader,
  options: HttpServeOptions,
  clock: Clock,
): Promise<Head | undefined> {
  const parser = new HeadParser('request', options);
  const headerTimeoutMs = options.headerTimeoutMs ?? 30_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  let firstByteAt = reader.queue.length > 0 ? clock.now() : undefined;
  for (;;) {
    let head: Head | undefined;
    try {
      head = parser.read(reader.queue);
    } catch (error) {
      if (error instanceof HttpParseError) {
        await refuse(reader.connection, error.status);
        return undefined;
      }
      throw error;
    }
    if (head !== undefined) return head;
    if (reader.ended) {
      if (reader.queue.length > 0) await refuse(reader.connection, 400);
      return undefined;
    }
    if (firstByteAt === undefined && reader.queue.length > 0) firstByteAt = clock.now();
    const deadline =
      firstByteAt === undefined
        ? reader.lastActivity + idleTimeoutMs
        : firstByteAt + headerTimeoutMs;
    const wait = deadline - clock.now();
    if (wait <= 0) return undefined; // idle keep-alive or a head too slow (slowloris): close
    let timer: TimerHandle | undefined = clock.setTimeout(() => {
      timer = undefined;
      reader.interrupt();
    }, wait);
    await reader.wait();
    clock.clearTimeout(timer);
    if (firstByteAt === undefined && reader.queue.length > 0) firstByteAt = clock.now();
  }
}

/** Answers one request; true when the connection may carry another. */
async function exchange(
  connection: Connection,
  reader: ConnectionReader,
  head: Head,
  options: HttpServeOptions,
  signal: AbortSignal,
): Promise<boolean> {
  const [method, target] = head.start;
  let framing: BodyFraming;
  try {
    framing = framingOf(head.headers, 'request');
  } catch (error) {
    await refuse(connection, error instanceof HttpParseError ? error.status : 400);
    return false;
  }
  let bodyComplete = framing.kind === 'none';
  const body = new HttpBody(reader, framing, {
    clock: options.runtime.clock,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    signal,
    onDone: (complete) => {
      bodyComplete = complete;
    },
  });
  const request: HttpServerRequest = {
    method,
    target,
    version: head.minor === 1 ? 'HTTP/1.1' : 'HTTP/1.0',
    headers: head.headers,
    remoteAddress: connection.remoteAddress,
    localAddress: connection.localAddress,
    body,
    signal,
  };
  let response: HttpServerResponse;
  try {
    response = await options.handler(request);
  } catch {
    response = { status: 500, body: 'internal error\n' };
  }
  if (signal.aborted) return false;
  // A body the handler left unread would be taken for the next request: read it off first
  // (bounded by the idle timeout), or close when it is not worth it.
  if (!body.done) {
    if (body.length !== undefined && body.length <= 64 * 1024) await body.discard();
    else body.cancel();
  }
  const keepAlive = keepAliveOf(head) && bodyComplete && body.done;
  return send(connection, request, response, keepAlive);
}

/** Writes a response; true when the connection may carry another request. */
async function send(
  connection: Connection,
  request: HttpServerRequest,
  response: HttpServerResponse,
  keepAlive: boolean,
): Promise<boolean> {
  let status = response.status;
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    const key = name.toLowerCase();
    if (key === 'content-length' || key === 'transfer-encoding' || key === 'connection') continue;
    headers.set(name, value);
  }
  const body = response.body;
  const noBody = request.method === 'HEAD' || status === 204 || status === 304 || status < 200;
  let bytes: Uint8Array | undefined;
  let source: ByteSource | undefined;
  let stream: AsyncIterable<Uint8Array> | undefined;
  if (typeof body === 'string') bytes = utf8.encode(body);
  else if (body instanceof Uint8Array) bytes = body;
  else if (body !== undefined && isByteSource(body)) source = body;
  else if (body !== undefined) stream = body;

  let range: ByteRange | undefined;
  const size = bytes ? bytes.length : source?.size;
  if (size !== undefined && status === 200) {
    headers.set('Accept-Ranges', 'bytes');
    if (request.method === 'GET' || request.method === 'HEAD') {
      const asked = parseRange(request.headers.get('range'), size);
      if (asked === 'unsatisfiable') {
        status = 416;
        headers.set('Content-Range', contentRange(undefined, size));
        bytes = new Uint8Array(0);
        source = undefined;
      } else if (asked !== undefined) {
        status = 206;
        range = asked;
        headers.set('Content-Range', contentRange(range, size));
      }
    }
  }
  let chunked = false;
  if (bytes !== undefined) {
    const slice = range ? bytes.subarray(range.start, range.end) : bytes;
    bytes = slice;
    if (status !== 204 && status !== 304) headers.set('Content-Length', String(slice.length));
  } else if (source !== undefined) {
    const length = range ? range.end - range.start : source.size;
    headers.set('Content-Length', String(length));
  } else if (stream !== undefined && !noBody) {
    if (request.version === 'HTTP/1.1') {
      chunked = true;
      headers.set('Transfer-Encoding', 'chunked');
    } else {
      keepAlive = false; // HTTP/1.0: the end of the body is the end of the connection
    }
  } else if (!noBody) {
    headers.set('Content-Length', '0');
  }
  if (!keepAlive) headers.set('Connection', 'close');
  else if (request.version === 'HTTP/1.0') headers.set('Connection', 'keep-alive');

  const head = encodeHead(
    `HTTP/1.1 ${status} ${response.reason ?? reasonPhrase(status)}`,
    headers.entries(),
  );
  if (noBody) {
    await writeWithBackpressure(connection, head);
    return keepAlive;
  }
  if (bytes !== undefined) {
    if (bytes.length <= 16 * 1024) {
      const out = new Uint8Array(head.length + bytes.length);
      out.set(head, 0);
      out.set(bytes, head.length);
      await writeWithBackpressure(connection, out);
    } else {
      connection.write(head);
      await writeWithBackpressure(connection, bytes);
    }
    return keepAlive;
  }
  connection.write(head);
  if (source !== undefined) {
    const start = range ? range.start : 0;
    const end = range ? range.end : source.size;
    let sent = 0;
    await pump(source.stream(start, end), request.signal, async (chunk) => {
      sent += chunk.length;
      if (sent > end - start) throw new NetworkError('body source gave more bytes than its size');
      await writeWithBackpressure(connection, chunk);
    });
    // A short source cannot be repaired after the head went out: close, the client sees it.
    return sent === end - start && keepAlive && !request.signal.aborted;
  }
  await pump(stream!, request.signal, async (chunk) => {
    if (chunk.length === 0) return;
    if (chunked) connection.write(encodeAscii(`${chunk.length.toString(16)}\r\n`));
    await writeWithBackpressure(connection, chunk);
    if (chunked) connection.write(CRLF);
  });
  if (request.signal.aborted) return false;
  if (chunked) await writeWithBackpressure(connection, LAST_CHUNK);
  return keepAlive;
}

/**
 * Feeds each chunk of `chunks` to `send`, asking for the next chunk before the current one has
 * drained: reading the source (a file) overlaps with the socket draining, one chunk ahead at
 * most. Stops early when `signal` aborts.
 */
async function pump(
  chunks: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
  send: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]();
  let next = iterator.next();
  let finished = false;
  try {
    for (;;) {
      const result = await next;
      if (result.done) {
        finished = true;
        return;
      }
      if (signal.aborted) return;
      next = iterator.next();
      // Keep a failure of the read-ahead handled until we await it.
      next.catch(() => undefined);
      await send(result.value);
    }
  } finally {
    if (!finished) await iterator.return?.().catch(() => undefined);
  }
}

const CRLF = Uint8Array.of(13, 10);
const LAST_CHUNK = encodeAscii('0\r\n\r\n');

function encodeAscii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function isByteSource(body: object): body is ByteSource {
  return (
    typeof (body as ByteSource).size === 'number' &&
    typeof (body as ByteSource).stream === 'function'
  );
}

/** Answers a malformed or oversized request and lets the connection close. */
async function refuse(connection: Connection, status: number): Promise<void> {
  const text = `${status} ${reasonPhrase(status)}\n`;
  const head = encodeHead(`HTTP/1.1 ${status} ${reasonPhrase(status)}`, [
    ['Content-Type', 'text/plain'],
    ['Content-Length', String(text.length)],
    ['Connection', 'close'],
  ]);
  connection.write(head);
  await writeWithBackpressure(connection, encodeAscii(text)).catch(() => undefined);
}
