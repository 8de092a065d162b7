/**
 * File transfer (0.6 draft §4, HUGE): HTTP/1.1 `GET /get/<index>/<name>` and
 * `GET /uri-res/N2R?urn:sha1:...` with Range, served from a SharedFolder; downloads into one
 * (resumed from a `.part`), verified against the SHA-1 urn; and Push/GIV for firewalled
 * holders: `GIV <index>:<servent GUID hex>/<name>` LF LF, then a normal GET on that socket.
 * HTTP itself is core's (createHttpServer's handler, serveHttp, httpRequest).
 */
import {
  ByteQueue,
  type ByteSource,
  type Connection,
  DecodeError,
  equalBytes,
  type HttpHandler,
  type HttpServerResponse,
  httpRequest,
  P2PError,
  ProtocolError,
  type Runtime,
  type SharedFolder,
} from '@p2pkit/core';
import { type Guid, guidFromHex, guidToHex } from './guid.js';
import type { DownloadOptions, DownloadResult } from './options.js';
import type { SearchHit } from './search.js';
import { parseSha1Urn, sha1Urn } from './urn.js';

/** What the upload side needs to know of its shared files. */
export interface UploadFile {
  readonly index: number;
  readonly name: string;
  readonly size: number;
  readonly urn?: string;
}

export interface UploadOptions {
  readonly folder: SharedFolder;
  /** The files as announced in Query Hits (index, name, urn). */
  readonly files: () => readonly UploadFile[];
  /** Uploads at once; more get 503 (default 8). */
  readonly maxUploads?: number;
  readonly userAgent: string;
}

/** Where a GET points: by index and name, or by urn. */
export type GetTarget =
  | { kind: 'index'; index: number; name: string }
  | { kind: 'urn'; urn: string };

/**
 * Parses `/get/<index>/<name>` (name URL-encoded or raw, a trailing `/` tolerated, as 0.4
 * servents sent) and `/uri-res/N2R?urn:sha1:<base32>`. Undefined for anything else.
 */
export function parseGetTarget(target: string): GetTarget | undefined {
  const get = /^\/get\/(\d{1,10})\/(.*)$/.exec(target);
  if (get) {
    let name = get[2]!;
    if (name.endsWith('/')) name = name.slice(0, -1);
    try {
      name = decodeURIComponent(name);
    } catch {
      // A raw name with a stray %: use it as sent.
    }
    return { kind: 'index', index: Number(get[1]), name };
  }
  const n2r = /^\/uri-res\/N2R\?(urn:sha1:[A-Za-z2-7]{32})$/i.exec(target);
  if (n2r && parseSha1Urn(n2r[1]!)) return { kind: 'urn', urn: n2r[1]! };
  return undefined;
}

/** The HTTP handler serving shared files (confined to the folder by SharedFolder itself). */
export function uploadHandler(options: UploadOptions): HttpHandler {
  let active = 0;
  const max = options.maxUploads ?? 8;
  const server = { Server: options.userAgent };
  return async (request): Promise<HttpServerResponse> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return { status: 405, headers: { ...server, Allow: 'GET, HEAD' }, body: '' };
    }
    const target = parseGetTarget(request.target);
    if (!target) return { status: 404, headers: server, body: 'not a Gnutella download\n' };
    const files = options.files();
    const file =
      target.kind === 'index'
        ? files.find((f) => f.index === target.index && f.name === target.name)
        : files.find(
            (f) => f.urn !== undefined && f.urn.toLowerCase() === target.urn.toLowerCase(),
          );
    if (!file) return { status: 404, headers: server, body: 'no such file\n' };
    if (active >= max)
      return { status: 503, reason: 'Busy', headers: { ...server, 'Retry-After': '60' }, body: '' };
    let source: ByteSource;
    try {
      source = await options.folder.source(file.name);
    } catch {
      return { status: 404, headers: server, body: 'no such file\n' };
    }
    const headers: Record<string, string> = { ...server, 'Content-Type': 'application/binary' };
    if (file.urn) headers['X-Gnutella-Content-URN'] = file.urn;
    if (request.method === 'HEAD') return { status: 200, headers, body: source };
    active++;
    // Count the upload until its body is done (or abandoned).
    const counted: ByteSource = {
      size: source.size,
      async *stream(start: number, end: number) {
        try {
          yield* source.stream(start, end);
        } finally {
          active--;
        }
      },
    };
    return { status: 200, headers, body: counted };
  };
}

// ---------------------------------------------------------------------------------------------
// GIV

export interface Giv {
  readonly index: number;
  readonly serventId: Guid;
  readonly name: string;
}

const encoder = new TextEncoder();

/** `GIV <index>:<GUID as 32 hex>/<name>` LF LF (spec sheet §2.4). */
export function formatGiv(giv: Giv): Uint8Array {
  if (/[\r\n]/.test(giv.name))
    throw new P2PError('a file name with a line break', 'ERR_INVALID_ARGUMENT');
  return encoder.encode(`GIV ${giv.index}:${guidToHex(giv.serventId)}/${giv.name}\n\n`);
}

/** Parses the GIV line (without its line ending); DecodeError if it is not one. */
export function parseGiv(line: string): Giv {
  const m = /^GIV (\d{1,10}):([0-9A-Fa-f]{32})\/(.*)$/.exec(line);
  if (!m) throw new DecodeError(`not a GIV line: ${JSON.stringify(line.slice(0, 80))}`);
  let name = m[3]!;
  try {
    name = decodeURIComponent(name);
  } catch {
    // raw
  }
  return { index: Number(m[1]), serventId: guidFromHex(m[2]!), name };
}

/**
 * Reads a GIV line and the empty line after it off a fresh connection (which may already have
 * delivered `initial`). Resolves with the GIV and any bytes after it; rejects on a bad line, a
 * close, or the deadline.
 */
export function readGiv(
  connection: Connection,
  initial: Uint8Array,
  wait: (ms: number, onTimeout: () => void) => () => void,
  timeoutMs: number,
): Promise<{ giv: Giv; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const queue = new ByteQueue();
    let giv: Giv | undefined;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      cancel();
      connection.off('data', onData);
      connection.off('close', onClose);
      if (error) reject(error);
      else resolve({ giv: giv!, rest: queue.readAll() });
    };
    const poll = () => {
      try {
        if (!giv) {
          const line = queue.readLine({ maxLength: 4096 });
          if (line === undefined) return;
          giv = parseGiv(line);
        }
        // The empty line that ends the GIV (LF LF); tolerate its absence if the GET follows.
        if (queue.length === 0) return;
        if (queue.byteAt(0) === 0x0a) queue.skip(1);
        else if (queue.byteAt(0) === 0x0d && queue.byteAt(1) === 0x0a) queue.skip(2);
        else if (queue.byteAt(0) === 0x0d && queue.length < 2) return;
        finish();
      } catch (error) {
        finish(error as Error);
      }
    };
    const onData = (chunk: Uint8Array) => {
      queue.append(chunk);
      poll();
    };
    const onClose = () => finish(new ProtocolError('connection closed before the GIV'));
    const cancel = wait(timeoutMs, () =>
      finish(new ProtocolError(`no GIV within ${timeoutMs} ms`)),
    );
    connection.on('data', onData);
    connection.on('close', onClose);
    if (initial.length > 0) queue.append(initial);
    poll();
  });
}

/** Compares a downloaded file's digest with the urn it was announced with. */
export function urnMatches(urn: string | undefined, digest: Uint8Array): boolean {
  if (!urn) return true;
  const expected = parseSha1Urn(urn);
  return expected === undefined || equalBytes(expected, digest);
}

/** A remote file name as a plain file name in our folder: no directories, no `..`. */
export function localName(remote: string): string {
  const base = remote.replace(/[\\/]+/g, '_').replace(/^\.+/, '_');
  return base === '' ? 'download' : base;
}

/**
 * Downloads a search hit into `options.folder` with GET (on `connection` when the holder
 * connected to us after a Push), resuming a `.part` with Range, and checks the SHA-1 urn before
 * reporting success.
 */
export async function fetchHit(
  runtime: Runtime,
  hit: SearchHit,
  options: DownloadOptions,
  userAgent: string,
  connection?: Connection,
): Promise<DownloadResult> {
  const { folder, signal } = options;
  const name = localName(hit.name);
  const path = `/get/${hit.index}/${encodeURIComponent(hit.name)}`;
  const partial = await folder.write(name, { resume: true });
  let committed = false;
  try {
    let start = partial.written;
    if (start > hit.size) start = 0;
    const headers: Record<string, string> = { 'User-Agent': userAgent };
    if (start > 0) headers.Range = `bytes=${start}-`;
    const response = await httpRequest(runtime, `http://${hit.host}:${hit.port}${path}`, {
      headers,
      ...(signal ? { signal } : {}),
      ...(connection ? { connection } : {}),
    });
    let target = partial;
    if (response.status === 200 && start > 0) {
      // The holder ignored our Range: start over.
      await partial.abort();
      target = await folder.write(name);
      start = 0;
    } else if (response.status !== 200 && response.status !== 206) {
      await response.body.discard().catch(() => {});
      throw new P2PError(
        `${hit.host}:${hit.port} answered ${response.status} ${response.reason}`,
        'ERR_HTTP_STATUS',
      );
    }
    // The urn we searched for wins over what the holder claims now.
    const urn = hit.urn ?? response.headers.get('x-gnutella-content-urn');
    let done = start;
    for await (const chunk of response.body) {
      await target.write(chunk);
      done += chunk.length;
      options.onProgress?.(done, hit.size);
    }
    if (done !== hit.size) {
      await target.close();
      throw new ProtocolError(`got ${done} of ${hit.size} bytes (kept for resuming)`);
    }
    await target.commit();
    committed = true;
    const digest = await folder.sha1(name);
    if (!urnMatches(urn, digest)) {
      throw new P2PError(`${name}: content is ${sha1Urn(digest)}, not ${urn}`, 'ERR_HASH_MISMATCH');
    }
    return { name, size: done, fetched: done - start, urn: sha1Urn(digest), pushed: hit.push };
  } catch (error) {
    if (!committed) await partial.close().catch(() => {});
    throw error;
  }
}
