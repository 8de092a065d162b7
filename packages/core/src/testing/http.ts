import { describe, expect, it } from 'vitest';
import { formatAddress } from '../address.js';
import { AbortError, DecodeError, isP2PError, TimeoutError } from '../errors.js';
import { httpRequest } from '../http/client.js';
import {
  type ByteSource,
  createHttpServer,
  type HttpHandler,
  type HttpServer,
  type HttpServerOptions,
} from '../http/server.js';
import type { Connection, Runtime } from '../runtime.js';
import { harnessScope } from './drive.js';
import type { TransportHarness } from './transport-harness.js';

export interface HttpSuiteOptions {
  /** Size of the streamed-body test in bytes (default 32 MiB). */
  largeBodyBytes?: number;
  /** Virtual time the suite lets pass while waiting for one thing (default 120 s). */
  virtualWaitMs?: number;
  /** Step by which the suite advances virtual time (default 5 ms). */
  virtualStepMs?: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * HTTP/1.1 over a Network: core's `createHttpServer` and `httpRequest` on the runtimes of a
 * transport harness (the same harness the transport compliance suite takes), so the memory
 * network, real TCP and the simulator each run the same checks. Timeout tests need virtual
 * time and run only when the harness has `advance`.
 */
export function httpComplianceSuite(
  name: string,
  factory: () => Promise<TransportHarness>,
  options: HttpSuiteOptions = {},
): void {
  const largeBodyBytes = options.largeBodyBytes ?? 32 * 1024 * 1024;
  const virtualWaitMs = options.virtualWaitMs ?? 120_000;
  const virtualStepMs = options.virtualStepMs ?? 5;

  describe(`http compliance: ${name}`, () => {
    const scope = harnessScope(factory, virtualStepMs, virtualWaitMs);
    const { cleanups, setup, until, rejection } = scope;

    async function serve(
      runtime: Runtime,
      handler: HttpHandler,
      extra: Partial<HttpServerOptions> = {},
    ): Promise<{ server: HttpServer; url: string }> {
      const server = await until(createHttpServer({ runtime, handler, ...extra }), 'listen');
      cleanups.push(() => server.close());
      return { server, url: `http://${formatAddress(server.address)}` };
    }

    /** Sends raw bytes on a fresh connection; resolves with everything the server sent back. */
    async function raw(client: Runtime, server: HttpServer, bytes: string | Uint8Array) {
      const connection = await until(client.net.dial(server.address), 'dial');
      cleanups.push(() => connection.destroy());
      const chunks: Uint8Array[] = [];
      const done = new Promise<string>((resolve) => {
        const finish = () => resolve(chunks.map((c) => dec.decode(c)).join(''));
        connection.on('data', (chunk) => chunks.push(chunk.slice()));
        connection.once('end', finish);
        connection.once('close', finish);
      });
      connection.write(typeof bytes === 'string' ? enc.encode(bytes) : bytes);
      return { connection, reply: done };
    }

    const body = enc.encode('0123456789abcdefghij');
    const fileHandler: HttpHandler = (request) =>
      request.target === '/file'
        ? { status: 200, headers: { 'Content-Type': 'application/octet-stream' }, body }
        : { status: 404, body: 'no such thing\n' };

    it('GET: status, headers and body; 404 for an unknown path', async () => {
      const { a, b } = await setup();
      const { url } = await serve(a, fileHandler);
      const response = await until(httpRequest(b, `${url}/file`), 'request');
      expect(response.status).toBe(200);
      expect(response.reason).toBe('OK');
      expect(response.headers.get('content-length')).toBe('20');
      expect(response.headers.get('content-type')).toBe('application/octet-stream');
      expect(response.headers.get('accept-ranges')).toBe('bytes');
      expect(dec.decode(await until(response.body.bytes(), 'body'))).toBe(dec.decode(body));
      expect(() => response.body[Symbol.asyncIterator]()).toThrow(
        expect.objectContaining({ code: 'ERR_BODY_USED' }),
      );
      const missing = await until(httpRequest(b, `${url}/nope`), 'request');
      expect(missing.status).toBe(404);
      expect(await until(missing.body.text(), 'body')).toBe('no such thing\n');
    });

    it('HEAD: the GET headers, no body', async () => {
      const { a, b } = await setup();
      const { url } = await serve(a, fileHandler);
      const response = await until(httpRequest(b, `${url}/file`, { method: 'HEAD' }), 'request');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe('20');
      expect((await until(response.body.bytes(), 'body')).length).toBe(0);
    });

    it('Range: a-b, a-, -n give 206 with Content-Range; past the end gives 416', async () => {
      const { a, b } = await setup();
      const { url } = await serve(a, fileHandler);
      const cases: [string, number, string, string][] = [
        ['bytes=2-5', 206, 'bytes 2-5/20', '2345'],
        ['bytes=15-', 206, 'bytes 15-19/20', 'fghij'],
        ['bytes=-3', 206, 'bytes 17-19/20', 'hij'],
        ['bytes=18-100', 206, 'bytes 18-19/20', 'ij'],
        ['bytes=20-', 416, 'bytes */20', ''],
        ['bytes=-0', 416, 'bytes */20', ''],
        ['bytes=0-1,4-5', 200, '', dec.decode(body)],
        ['items=1-2', 200, '', dec.decode(body)],
      ];
      for (const [range, status, contentRange, text] of cases) {
        const response = await until(
          httpRequest(b, `${url}/file`, { headers: { Range: range } }),
          range,
        );
        expect(response.status, range).toBe(status);
        expect(response.headers.get('content-range') ?? '', range).toBe(contentRange);
        expect(await until(response.body.text(), 'body'), range).toBe(text);
      }
    });

    it('keep-alive: several requests on one connection, Content-Length framed', async () => {
      const { a, b } = await setup();
      let connections = 0;
      const { server, url } = await serve(a, (request) => {
        connections = server.connections;
        return { status: 200, body: `you asked ${request.target}` };
      });
      const first = await until(b.net.dial(server.address), 'dial');
      cleanups.push(() => first.destroy());
      let connection: Connection = first;
      for (const path of ['/a', '/b', '/c']) {
        const response = await until(httpRequest(b, `${url}${path}`, { connection }), path);
        expect(response.keepAlive).toBe(true);
        expect(await until(response.body.text(), 'body')).toBe(`you asked ${path}`);
        connection = response.connection;
        expect(connection).toBe(first);
        expect(connection.destroyed).toBe(false);
      }
      expect(connections).toBe(1);
    });

    it('streams a body of unknown length chunked, and reads a chunked request body', async () => {
      const { a, b } = await setup();
      const { server, url } = await serve(a, async (request) => {
        if (request.method === 'POST') {
          return { status: 200, body: `got ${(await request.body.bytes()).length} bytes` };
        }
        return {
          status: 200,
          body: (async function* () {
            for (let i = 0; i < 5; i++) yield enc.encode(`part ${i};`);
          })(),
        };
      });
      const response = await until(httpRequest(b, `${url}/stream`), 'request');
      expect(response.headers.get('transfer-encoding')).toBe('chunked');
      expect(await until(response.body.text(), 'body')).toBe('part 0;part 1;part 2;part 3;part 4;');
      const request =
        'POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n';
      const { reply } = await raw(b, server, request);
      const text = await until(reply, 'reply');
      expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
      expect(text.endsWith('got 11 bytes')).toBe(true);
    });

    it('refuses an oversized request line (400), too many fields or too large a head (431), and closes', async () => {
      const { a, b } = await setup();
      const { server } = await serve(a, fileHandler);
      const longLine = `GET /${'a'.repeat(9000)} HTTP/1.1\r\n\r\n`;
      const manyFields = `GET /file HTTP/1.1\r\n${'X-A: 1\r\n'.repeat(101)}\r\n`;
      const bigHead = `GET /file HTTP/1.1\r\n${`X-Big: ${'b'.repeat(8000)}\r\n`.repeat(9)}\r\n`;
      const garbage = 'NOT HTTP AT ALL\r\n\r\n';
      const smuggle =
        'GET /file HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n';
      for (const [request, status] of [
        [longLine, 400],
        [manyFields, 431],
        [bigHead, 431],
        [garbage, 400],
        [smuggle, 400],
      ] as const) {
        const { reply } = await raw(b, server, request);
        const text = await until(reply, 'reply');
        expect(text.split('\r\n')[0], request.slice(0, 30)).toBe(
          `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : 'Request Header Fields Too Large'}`,
        );
        expect(text).toContain('Connection: close');
      }
    });

    it('answers 500 when the handler throws, and keeps serving', async () => {
      const { a, b } = await setup();
      const { url } = await serve(a, (request) => {
        if (request.target === '/boom') throw new Error('handler bug');
        return { status: 200, body: 'fine' };
      });
      const boom = await until(httpRequest(b, `${url}/boom`), 'request');
      expect(boom.status).toBe(500);
      await until(boom.body.discard(), 'body');
      const fine = await until(httpRequest(b, `${url}/ok`), 'request');
      expect(await until(fine.body.text(), 'body')).toBe('fine');
    });

    it('client: a malformed status line is a DecodeError; a body cut short a NetworkError', async () => {
      const { a, b } = await setup();
      const listener = await until(
        a.net.listen({}, (connection) => {
          connection.on('data', () => {
            connection.write(enc.encode('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort'));
            connection.end();
          });
        }),
        'listen',
      );
      cleanups.push(() => listener.close());
      const url = `http://${formatAddress(listener.address)}/`;
      const response = await until(httpRequest(b, url), 'request');
      const cut = await rejection(response.body.bytes(), 'body');
      expect(isP2PError(cut, 'ERR_CONNECTION_RESET'), String(cut)).toBe(true);

      const bad = await until(
        a.net.listen({}, (connection) => {
          connection.on('data', () => {
            connection.write(enc.encode('HTTP/9 OK\r\n\r\n'));
          });
        }),
        'listen',
      );
      cleanups.push(() => bad.close());
      const error = await rejection(httpRequest(b, `http://${formatAddress(bad.address)}/`), 'bad');
      expect(error).toBeInstanceOf(DecodeError);
    });

    it(`streams ${largeBodyBytes >> 20} MiB both ways round in bounded memory (backpressure)`, async () => {
      const { a, b } = await setup();
      const chunk = new Uint8Array(64 * 1024).fill(7);
      let produced = 0;
      let consumed = 0;
      let maxAhead = 0;
      const source: ByteSource = {
        size: largeBodyBytes,
        async *stream(start, end) {
          for (let at = start; at < end; at += chunk.length) {
            const n = Math.min(chunk.length, end - at);
            produced += n;
            maxAhead = Math.max(maxAhead, produced - consumed);
            yield n === chunk.length ? chunk : chunk.subarray(0, n);
          }
        },
      };
      const { url } = await serve(a, () => ({ status: 200, body: source }));
      const response = await until(httpRequest(b, `${url}/big`), 'request');
      expect(response.headers.get('content-length')).toBe(String(largeBodyBytes));
      let sum = 0;
      const reading = (async () => {
        for await (const part of response.body) {
          consumed += part.length;
          sum += part[0]!;
        }
      })();
      await until(reading, 'large body');
      expect(consumed).toBe(largeBodyBytes);
      expect(sum).toBeGreaterThan(0);
      // Never the whole body in flight: socket buffers plus the reader's high-water mark.
      expect(maxAhead).toBeLessThan(Math.min(largeBodyBytes / 2, 24 * 1024 * 1024));
    });

    it('abort: an AbortSignal stops a body being read; the server sees the connection go', async () => {
      const { a, b } = await setup();
      let serverSignal: AbortSignal | undefined;
      const { url } = await serve(a, (request) => {
        serverSignal = request.signal;
        return {
          status: 200,
          body: (async function* () {
            for (;;) yield new Uint8Array(16 * 1024);
          })(),
        };
      });
      const controller = new AbortController();
      const response = await until(
        httpRequest(b, `${url}/endless`, { signal: controller.signal }),
        'request',
      );
      let received = 0;
      const error = await rejection(
        (async () => {
          for await (const part of response.body) {
            received += part.length;
            if (received > 256 * 1024) controller.abort();
          }
        })(),
        'aborted body',
      );
      expect(error).toBeInstanceOf(AbortError);
      expect(response.connection.destroyed).toBe(true);
      await until(
        new Promise<void>((resolve) => {
          if (serverSignal?.aborted) resolve();
          else serverSignal?.addEventListener('abort', () => resolve());
        }),
        'server sees the close',
      );
    });

    it('abort before the head arrives rejects with AbortError', async () => {
      const { a, b } = await setup();
      const { url } = await serve(a, () => new Promise(() => {}));
      const controller = new AbortController();
      const pending = httpRequest(b, `${url}/never`, { signal: controller.signal });
      await scope.harness.settle();
      controller.abort();
      expect(await rejection(pending, 'request')).toBeInstanceOf(AbortError);
    });

    it('timeouts on the Runtime clock: client head deadline, server header and idle timeouts', async () => {
      const { a, b, h } = await setup();
      // Virtual clocks run the paper values; real ones the same checks, ten times shorter.
      const scale = h.advance ? 1 : 0.1;
      const [clientMs, headerMs, idleMs] = [1_000 * scale, 2_000 * scale, 5_000 * scale];
      // Virtual time is exact; a real timer may fire a little late, never early (1 ms slack
      // for clock rounding), and how late depends on the machine: no upper bound there.
      const within = (elapsed: number, deadline: number) => {
        expect(elapsed).toBeGreaterThanOrEqual(deadline - 1);
        if (h.advance) expect(elapsed).toBeLessThan(deadline * 1.25);
      };
      const { url, server } = await serve(a, () => new Promise(() => {}), {
        headerTimeoutMs: headerMs,
        idleTimeoutMs: idleMs,
      });
      const start = b.clock.now();
      const error = await rejection(httpRequest(b, `${url}/slow`, { timeoutMs: clientMs }), 'slow');
      expect(error).toBeInstanceOf(TimeoutError);
      within(b.clock.now() - start, clientMs);

      // A head that never completes (slowloris): closed after headerTimeoutMs.
      const t0 = a.clock.now();
      const partial = await raw(b, server, 'GET /file HTTP/1.1\r\nX-Slow: ');
      await until(partial.reply, 'header timeout');
      within(a.clock.now() - t0, headerMs);

      // An idle connection with no request at all: closed after idleTimeoutMs.
      const t1 = a.clock.now();
      const idle = await raw(b, server, new Uint8Array(0));
      await until(idle.reply, 'idle timeout');
      within(a.clock.now() - t1, idleMs);
    });

    it('close() stops the server and closes open connections', async () => {
      const { a, b } = await setup();
      const { server, url } = await serve(a, fileHandler);
      const connection = await until(b.net.dial(server.address), 'dial');
      const response = await until(httpRequest(b, `${url}/file`, { connection }), 'request');
      await until(response.body.discard(), 'body');
      expect(server.connections).toBe(1);
      const closed = new Promise<void>((resolve) => connection.once('close', () => resolve()));
      await until(server.close(), 'close');
      await until(closed, 'connection closed');
      expect(server.connections).toBe(0);
      expect(isP2PError(await rejection(httpRequest(b, `${url}/file`), 'refused'))).toBe(true);
    });
  });
}
