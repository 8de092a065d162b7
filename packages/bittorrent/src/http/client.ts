import {
  abortErrorFrom,
  type Connection,
  P2PError,
  type Runtime,
  TimeoutError,
} from '@p2pkit/core';
import { type HttpLimits, type HttpResponse, HttpResponseParser } from './parser.js';

export interface HttpGetOptions extends HttpLimits {
  /** Whole-request deadline (dial, send, receive), in ms of runtime.clock (default 15 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Extra request headers. */
  headers?: Readonly<Record<string, string>>;
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
 * One HTTP/1.1 GET over a runtime connection (`Connection: close`, so the server may also end
 * the body by closing). Resolves with any status; rejects with HttpParseError (a DecodeError) on
 * malformed or oversized replies, TimeoutError past `timeoutMs`, AbortError, NetworkError.
 */
export async function httpGet(
  runtime: Runtime,
  url: string,
  options: HttpGetOptions = {},
): Promise<HttpResponse> {
  const target = parseHttpUrl(url);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal!.reason);
  if (options.signal?.aborted) throw abortErrorFrom(options.signal);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = runtime.clock.setTimeout(
    () => controller.abort(new TimeoutError(`GET ${url} timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  let connection: Connection | undefined;
  try {
    connection = await runtime.net.dial(
      { host: target.host, port: target.port },
      { signal: controller.signal, timeoutMs },
    );
    return await exchange(connection, target, options, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) {
      // Our deadline fired (TimeoutError), or the caller aborted (AbortError).
      const reason: unknown = controller.signal.reason;
      throw reason instanceof TimeoutError ? reason : abortErrorFrom(controller.signal);
    }
    throw error;
  } finally {
    runtime.clock.clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    connection?.destroy();
  }
}

function exchange(
  connection: Connection,
  target: HttpTarget,
  options: HttpGetOptions,
  signal: AbortSignal,
): Promise<HttpResponse> {
  const parser = new HttpResponseParser(options);
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      connection.off('data', onData);
      connection.off('end', onEnd);
      connection.off('close', onEnd);
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const finish = () => {
      try {
        const response = parser.response();
        settle(() => resolve(response));
      } catch (error) {
        settle(() => reject(error));
      }
    };
    const onData = (chunk: Uint8Array) => {
      try {
        if (parser.push(chunk)) finish();
      } catch (error) {
        settle(() => reject(error));
      }
    };
    const onEnd = () => {
      try {
        parser.end();
        finish();
      } catch (error) {
        settle(() => reject(error));
      }
    };
    const onAbort = () => settle(() => reject(signal.reason));
    connection.on('data', onData);
    connection.on('end', onEnd);
    connection.on('close', onEnd);
    signal.addEventListener('abort', onAbort, { once: true });
    let head = `GET ${target.target} HTTP/1.1\r\nHost: ${target.hostHeader}\r\n`;
    head += 'Connection: close\r\nAccept-Encoding: identity\r\n';
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (/[\r\n]/.test(name + value)) {
        settle(() => reject(new P2PError('header with a line break', 'ERR_HTTP_URL')));
        return;
      }
      head += `${name}: ${value}\r\n`;
    }
    head += '\r\n';
    const bytes = new Uint8Array(head.length);
    for (let i = 0; i < head.length; i++) bytes[i] = head.charCodeAt(i) & 0xff;
    connection.write(bytes);
  });
}
