import { abortErrorFrom, P2PError, TimeoutError } from '../errors.js';
import type { Connection, Runtime, TimerHandle } from '../runtime.js';
import { framingOf, HttpBody } from './body.js';
import {
  checkHeader,
  encodeHead,
  HeadParser,
  type HttpHead,
  type HttpLimits,
  keepAliveOf,
} from './head.js';
import { ConnectionReader, writeWithBackpressure } from './reader.js';

export interface HttpRequestOptions extends HttpLimits {
  /** Method; default GET. */
  method?: string;
  /** Extra request fields (Host is set from the URL unless given). */
  headers?: Readonly<Record<string, string>>;
  /** A request body, sent with Content-Length (strings as UTF-8). */
  body?: Uint8Array | string;
  /** Deadline for dial, request and response head together, in ms of runtime.clock (default 15 s). */
  timeoutMs?: number;
  /** Longest silence while the body is read, in ms (default 30 s). */
  idleTimeoutMs?: number;
  /** Aborts the request and the reading of its body. */
  signal?: AbortSignal;
  /**
   * Send on this open connection instead of dialing (a Gnutella download after a GIV, or the
   * next request on a kept-alive connection). It stays open after a response that keeps it
   * alive, once the body has been read; otherwise it is closed.
   */
  connection?: Connection;
}

/** Where an http:// URL points, split for a raw request. */
export interface HttpTarget {
  readonly host: string;
  readonly port: number;
  /** Path and query as they will be sent, percent-escapes untouched. */
  readonly target: string;
  /** Value of the Host header. */
  readonly hostHeader: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly reason: string;
  readonly version: 'HTTP/1.0' | 'HTTP/1.1';
  /** Lower-cased names; repeated fields joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
  /** The body, streamed: iterate it, or `bytes(max)` / `text(max)` for a small one. */
  readonly body: HttpBody;
  /** Whether the connection can carry another request once the body has been read. */
  readonly keepAlive: boolean;
  /** The connection the response came on (to pass as `connection` to the next request). */
  readonly connection: Connection;
}

const utf8 = new TextEncoder();

/** Splits an `http://` URL; throws P2PError `ERR_HTTP_URL` for anything else (https included). */
export function parseHttpUrl(url: string): HttpTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new P2PError(`invalid URL ${JSON.stringify(url)}`, 'ERR_HTTP_URL');
  }
  if (parsed.protocol !== 'http:') {
    throw new P2PError(`unsupported URL scheme ${parsed.protocol} (http only)`, 'ERR_HTTP_URL');
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host.length === 0) throw new P2PError(`URL without a host: ${url}`, 'ERR_HTTP_URL');
  return {
    host,
    port: parsed.port ? Number(parsed.port) : 80,
    target: `${parsed.pathname || '/'}${parsed.search}`,
    hostHeader: parsed.host,
  };
}

/**
 * One HTTP/1.1 request over `runtime.net` (or over `options.connection`). Resolves when the
 * response head has arrived, with any status; the body is then read from `response.body` at
 * the caller's pace (the connection is paused while nobody reads). Rejects with HttpParseError
 * (a DecodeError) on a malformed or oversized head, TimeoutError past `timeoutMs`, AbortError,
 * NetworkError, and P2PError `ERR_HTTP_URL` for a URL it cannot use.
 */
export async function httpRequest(
  runtime: Runtime,
  url: string,
  options: HttpRequestOptions = {},
): Promise<HttpResponse> {
  const target = parseHttpUrl(url);
  const method = options.method ?? 'GET';
  if (!/^[A-Z]+$/.test(method)) throw new P2PError(`bad method ${method}`, 'ERR_INVALID_ARGUMENT');
  const head = requestHead(method, target, options);
  const body = typeof options.body === 'string' ? utf8.encode(options.body) : options.body;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const clock = runtime.clock;
  const signal = options.signal;
  if (signal?.aborted) throw abortErrorFrom(signal);

  // One controller for the caller's signal and our deadline, until the head is in.
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(signal!.reason);
  signal?.addEventListener('abort', onOuterAbort, { once: true });
  let timer: TimerHandle | undefined = clock.setTimeout(() => {
    timer = undefined;
    controller.abort(new TimeoutError(`${method} ${url} timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const ownConnection = options.connection === undefined;
  let connection: Connection | undefined = options.connection;
  let reader: ConnectionReader | undefined;
  try {
    connection ??= await runtime.net.dial(
      { host: target.host, port: target.port },
      { signal: controller.signal, timeoutMs },
    );
    const conn = connection;
    reader = new ConnectionReader(conn, () => clock.now());
    const onAbort = () => reader?.interrupt();
    controller.signal.addEventListener('abort', onAbort, { once: true });
    let response: HttpHead;
    try {
      conn.write(head);
      if (body && body.length > 0) await writeWithBackpressure(conn, body);
      response = await readResponseHead(reader, options, controller.signal);
    } finally {
      controller.signal.removeEventListener('abort', onAbort);
    }
    const status = Number(response.start[1]);
    // A connection we dialed was sent `Connection: close`: it ends with this response.
    const keepAlive = !ownConnection && keepAliveOf(response);
    const framing = framingOf(
      response.headers,
      'response',
      method === 'HEAD' || status === 204 || status === 304,
    );
    const r = reader;
    const httpBody = new HttpBody(reader, framing, {
      clock,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      signal,
      onDone: (complete) => {
        r.detach();
        if (!(complete && keepAlive && framing.kind !== 'close')) conn.destroy();
        else if (r.queue.length > 0) conn.destroy(); // bytes past the response: out of sync
      },
    });
    return {
      status,
      reason: response.start[2],
      version: response.minor === 1 ? 'HTTP/1.1' : 'HTTP/1.0',
      headers: response.headers,
      body: httpBody,
      keepAlive: keepAlive && framing.kind !== 'close',
      connection: conn,
    };
  } catch (error) {
    reader?.detach();
    connection?.destroy();
    if (controller.signal.aborted) {
      const reason: unknown = controller.signal.reason;
      throw reason instanceof TimeoutError ? reason : abortErrorFrom(controller.signal);
    }
    throw error;
  } finally {
    clock.clearTimeout(timer);
    signal?.removeEventListener('abort', onOuterAbort);
  }
}

function requestHead(method: string, target: HttpTarget, options: HttpRequestOptions): Uint8Array {
  const fields = new Map<string, [string, string]>();
  const set = (name: string, value: string) => fields.set(name.toLowerCase(), [name, value]);
  set('Host', target.hostHeader);
  // A connection we dialed is ours alone: ask the server to close it after the response.
  if (options.connection === undefined) set('Connection', 'close');
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    try {
      checkHeader(name, value);
    } catch {
      throw new P2PError(`invalid request header ${JSON.stringify(name)}`, 'ERR_INVALID_ARGUMENT');
    }
    set(name, value);
  }
  const body = options.body;
  if (body !== undefined) {
    const length = typeof body === 'string' ? utf8.encode(body).length : body.length;
    set('Content-Length', String(length));
  }
  return encodeHead(`${method} ${target.target} HTTP/1.1`, fields.values());
}

/** The response head, skipping 1xx interim responses. */
async function readResponseHead(
  reader: ConnectionReader,
  limits: HttpLimits,
  signal: AbortSignal,
): Promise<HttpHead> {
  let parser = new HeadParser('response', limits);
  for (;;) {
    if (signal.aborted) throw abortErrorFrom(signal);
    const head = parser.read(reader.queue);
    if (head !== undefined) {
      const status = Number(head.start[1]);
      if (status >= 200) return head;
      parser = new HeadParser('response', limits);
      continue;
    }
    if (reader.ended) throw reader.truncated('a response head');
    await reader.wait();
  }
}
