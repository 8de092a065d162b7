import type { Address, Connection, Listener, Runtime, TimerHandle } from '@p2pkit/core';
import { type HttpLimits, HttpParseError, type HttpRequest, HttpRequestParser } from './parser.js';

export interface HttpServerRequest extends HttpRequest {
  readonly remoteAddress: Address;
  readonly localAddress: Address;
}

export interface HttpServerResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Strings are sent as UTF-8. */
  readonly body?: Uint8Array | string;
}

export type HttpHandler = (
  request: HttpServerRequest,
) => HttpServerResponse | Promise<HttpServerResponse>;

export interface HttpServerOptions extends HttpLimits {
  runtime: Runtime;
  handler: HttpHandler;
  /** Address to bind (default: the runtime's host). */
  host?: string;
  /** Port (default 0: any free port; read `address`). */
  port?: number;
  /** Open connections at once; more are closed on arrival (default 512). */
  maxConnections?: number;
  /** A connection is closed this long after it opened, answered or not (default 10 s). */
  requestTimeoutMs?: number;
}

export interface HttpServer {
  readonly address: Address;
  /** Connections currently open. */
  readonly connections: number;
  /** Stops accepting and closes every open connection. */
  close(): Promise<void>;
}

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const utf8 = new TextEncoder();

/**
 * A minimal HTTP/1.1 server for GET requests over runtime connections: one request per
 * connection, answered with Content-Length and `Connection: close`. Enough for a tracker; runs
 * on real sockets and in the simulator alike.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { runtime, handler } = options;
  const maxConnections = options.maxConnections ?? 512;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const open = new Map<Connection, TimerHandle>();
  let closed = false;

  const onConnection = (connection: Connection) => {
    if (closed || open.size >= maxConnections) {
      connection.destroy();
      return;
    }
    const timer = runtime.clock.setTimeout(() => connection.destroy(), timeoutMs);
    open.set(connection, timer);
    const parser = new HttpRequestParser(options);
    let answered = false;
    const respond = (response: HttpServerResponse) => {
      if (connection.destroyed) return;
      connection.write(serialize(response));
      connection.end();
    };
    const onData = (chunk: Uint8Array) => {
      if (answered) return;
      let request: HttpRequest | undefined;
      try {
        request = parser.push(chunk);
      } catch (error) {
        answered = true;
        const tooLarge =
          error instanceof HttpParseError && /longer than|more than/.test(error.message);
        respond({ status: tooLarge ? 431 : 400, body: 'bad request' });
        return;
      }
      if (!request) return;
      answered = true;
      const full: HttpServerRequest = {
        ...request,
        remoteAddress: connection.remoteAddress,
        localAddress: connection.localAddress,
      };
      Promise.resolve()
        .then(() => handler(full))
        .then(respond, () => respond({ status: 500, body: 'internal error' }));
    };
    connection.on('data', onData);
    connection.on('end', () => {
      if (!answered) connection.destroy();
    });
    connection.on('close', () => {
      runtime.clock.clearTimeout(open.get(connection));
      open.delete(connection);
    });
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
      for (const [connection, timer] of open) {
        runtime.clock.clearTimeout(timer);
        connection.destroy();
      }
      open.clear();
    },
  };
}

function serialize(response: HttpServerResponse): Uint8Array {
  const body =
    typeof response.body === 'string'
      ? utf8.encode(response.body)
      : (response.body ?? new Uint8Array(0));
  let head = `HTTP/1.1 ${response.status} ${REASONS[response.status] ?? 'Status'}\r\n`;
  const headers: Record<string, string> = {
    'Content-Type': 'text/plain',
    ...response.headers,
    'Content-Length': String(body.length),
    Connection: 'close',
  };
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  head += '\r\n';
  const out = new Uint8Array(head.length + body.length);
  for (let i = 0; i < head.length; i++) out[i] = head.charCodeAt(i) & 0xff;
  out.set(body, head.length);
  return out;
}
