import { DecodeError } from '@p2pkit/core';

/**
 * Incremental, bounded HTTP/1.1 message parsers: the response parser a tracker client needs
 * (Content-Length, chunked, or read-until-close bodies) and the request parser a tracker server
 * needs (GET with no body). Bytes arrive in chunks of any size; nothing grows past its limit.
 * Header names are lower-cased; header text is read as Latin-1 (RFC 9110 field values).
 */

/** Malformed or oversized HTTP: a DecodeError (code ERR_DECODE). */
export class HttpParseError extends DecodeError {
  constructor(message: string) {
    super(`http: ${message}`);
    this.name = 'HttpParseError';
  }
}

export interface HttpLimits {
  /** Request/status line plus all header lines, in bytes (default 16 KiB). */
  maxHeaderSize?: number;
  /** Most header fields (default 100). */
  maxHeaders?: number;
  /** Largest body, in bytes (default 1 MiB). */
  maxBodySize?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly reason: string;
  /** Lower-cased names; repeated fields joined with ", " (RFC 9110 §5.3). */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
}

export interface HttpRequest {
  readonly method: string;
  /** The request-target as sent (`/announce?info_hash=%12...`), still percent-encoded. */
  readonly target: string;
  readonly headers: ReadonlyMap<string, string>;
}

const DEFAULT_MAX_HEADER = 16 * 1024;
const DEFAULT_MAX_HEADERS = 100;
const DEFAULT_MAX_BODY = 1024 * 1024;
const MAX_CHUNK_LINE = 1024;
const LF = 0x0a;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Accumulates one line (up to LF) from a stream of chunks, bounded. */
class LineReader {
  private parts: Uint8Array[] = [];
  private length = 0;

  /** Consumes from `chunk` at `at`; returns [line without CR LF, next offset] or [undefined, end]. */
  read(chunk: Uint8Array, at: number, limit: number, what: string): [string | undefined, number] {
    const lf = chunk.indexOf(LF, at);
    const end = lf === -1 ? chunk.length : lf;
    this.length += end - at;
    if (this.length > limit) throw new HttpParseError(`${what} longer than ${limit} bytes`);
    if (end > at) this.parts.push(chunk.subarray(at, end));
    if (lf === -1) return [undefined, chunk.length];
    let line = '';
    for (const part of this.parts) {
      for (let i = 0; i < part.length; i++) line += String.fromCharCode(part[i]!);
    }
    this.parts = [];
    this.length = 0;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    return [line, lf + 1];
  }
}

/** Reads a start line and header fields up to the empty line. */
class HeadReader {
  private readonly lines = new LineReader();
  private used = 0;
  startLine: string | undefined;
  readonly headers = new Map<string, string>();
  private count = 0;

  constructor(
    private readonly maxHeaderSize: number,
    private readonly maxHeaders: number,
  ) {}

  /** Returns the offset after the head, or -1 when more bytes are needed. */
  push(chunk: Uint8Array, at: number): number {
    while (at < chunk.length) {
      const [line, next] = this.lines.read(chunk, at, this.maxHeaderSize - this.used, 'header');
      at = next;
      if (line === undefined) return -1;
      this.used += line.length + 2;
      if (this.startLine === undefined) {
        // RFC 9112 §2.2: a recipient may ignore empty lines before the start line.
        if (line.length > 0) this.startLine = line;
        continue;
      }
      if (line.length === 0) return at;
      this.field(line);
    }
    return -1;
  }

  private field(line: string): void {
    if (++this.count > this.maxHeaders)
      throw new HttpParseError(`more than ${this.maxHeaders} headers`);
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw new HttpParseError('malformed header line');
    const value = line.slice(colon + 1).trim();
    const key = name.toLowerCase();
    const previous = this.headers.get(key);
    this.headers.set(key, previous === undefined ? value : `${previous}, ${value}`);
  }
}

type BodyMode = 'length' | 'chunked' | 'close' | 'none';

/** Parses one HTTP/1.x response. Feed `push(chunk)`; call `end()` when the connection closes. */
export class HttpResponseParser {
  private head: HeadReader;
  private state:
    | 'head'
    | 'length'
    | 'close'
    | 'chunk-size'
    | 'chunk-data'
    | 'chunk-crlf'
    | 'trailers'
    | 'done' = 'head';
  private status = 0;
  private reason = '';
  private remaining = 0;
  private readonly body: Uint8Array[] = [];
  private bodyLength = 0;
  private readonly line = new LineReader();
  private trailers: HeadReader | undefined;
  private readonly maxHeaderSize: number;
  private readonly maxHeaders: number;
  private readonly maxBodySize: number;

  constructor(limits: HttpLimits = {}) {
    this.maxHeaderSize = limits.maxHeaderSize ?? DEFAULT_MAX_HEADER;
    this.maxHeaders = limits.maxHeaders ?? DEFAULT_MAX_HEADERS;
    this.maxBodySize = limits.maxBodySize ?? DEFAULT_MAX_BODY;
    this.head = new HeadReader(this.maxHeaderSize, this.maxHeaders);
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** Consumes bytes; returns true once the response is complete (later bytes are ignored). */
  push(chunk: Uint8Array): boolean {
    let at = 0;
    while (at < chunk.length && this.state !== 'done') {
      switch (this.state) {
        case 'head': {
          const next = this.head.push(chunk, at);
          if (next === -1) return false;
          at = next;
          this.startBody();
          break;
        }
        case 'length': {
          const n = Math.min(this.remaining, chunk.length - at);
          this.keep(chunk.subarray(at, at + n));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'done';
          break;
        }
        case 'close':
          this.keep(chunk.subarray(at));
          at = chunk.length;
          break;
        case 'chunk-size': {
          const [line, next] = this.line.read(chunk, at, MAX_CHUNK_LINE, 'chunk size line');
          at = next;
          if (line === undefined) break;
          const match = /^([0-9A-Fa-f]{1,8})[ \t]*(;.*)?$/.exec(line);
          if (!match) throw new HttpParseError('malformed chunk size');
          this.remaining = Number.parseInt(match[1]!, 16);
          if (this.bodyLength + this.remaining > this.maxBodySize) this.tooLarge();
          if (this.remaining === 0) {
            this.trailers = new HeadReader(this.maxHeaderSize, this.maxHeaders);
            this.trailers.startLine = '';
            this.state = 'trailers';
          } else {
            this.state = 'chunk-data';
          }
          break;
        }
        case 'chunk-data': {
          const n = Math.min(this.remaining, chunk.length - at);
          this.keep(chunk.subarray(at, at + n));
          at += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'chunk-crlf';
          break;
        }
        case 'chunk-crlf': {
          const [line, next] = this.line.read(chunk, at, 2, 'chunk terminator');
          at = next;
          if (line === undefined) break;
          if (line.length !== 0) throw new HttpParseError('chunk data longer than its size');
          this.state = 'chunk-size';
          break;
        }
        case 'trailers': {
          const next = this.trailers!.push(chunk, at);
          if (next === -1) return false;
          at = next;
          this.state = 'done';
          break;
        }
      }
    }
    return this.state === 'done';
  }

  /** The connection closed: completes a read-until-close body, else throws if incomplete. */
  end(): void {
    if (this.state === 'close') {
      this.state = 'done';
      return;
    }
    if (this.state !== 'done')
      throw new HttpParseError('connection closed before the response was complete');
  }

  /** The parsed response; only valid once `done`. */
  response(): HttpResponse {
    if (this.state !== 'done') throw new HttpParseError('response not complete');
    let body: Uint8Array;
    if (this.body.length === 1) body = this.body[0]!.slice();
    else {
      body = new Uint8Array(this.bodyLength);
      let at = 0;
      for (const part of this.body) {
        body.set(part, at);
        at += part.length;
      }
    }
    return { status: this.status, reason: this.reason, headers: this.head.headers, body };
  }

  private startBody(): void {
    const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(this.head.startLine ?? '');
    if (!match) throw new HttpParseError('malformed status line');
    this.status = Number(match[1]);
    this.reason = match[2] ?? '';
    if (this.status >= 100 && this.status < 200) {
      // An interim response (100 Continue): the real one follows.
      this.head = new HeadReader(this.maxHeaderSize, this.maxHeaders);
      this.state = 'head';
      return;
    }
    const mode = bodyMode(this.head.headers, this.status);
    if (mode === 'none') this.state = 'done';
    else if (mode === 'chunked') this.state = 'chunk-size';
    else if (mode === 'close') this.state = 'close';
    else {
      this.remaining = contentLength(this.head.headers);
      if (this.remaining > this.maxBodySize) this.tooLarge();
      this.state = this.remaining === 0 ? 'done' : 'length';
    }
  }

  private keep(part: Uint8Array): void {
    if (part.length === 0) return;
    this.bodyLength += part.length;
    if (this.bodyLength > this.maxBodySize) this.tooLarge();
    this.body.push(part.slice());
  }

  private tooLarge(): never {
    throw new HttpParseError(`body larger than ${this.maxBodySize} bytes`);
  }
}

function bodyMode(headers: ReadonlyMap<string, string>, status: number): BodyMode {
  if (status === 204 || status === 304) return 'none';
  const te = headers.get('transfer-encoding');
  if (te !== undefined) {
    const codings = te
      .toLowerCase()
      .split(',')
      .map((c) => c.trim());
    if (codings.length !== 1 || codings[0] !== 'chunked') {
      throw new HttpParseError(`unsupported transfer-encoding ${JSON.stringify(te)}`);
    }
    return 'chunked';
  }
  if (headers.has('content-length')) return 'length';
  return 'close';
}

function contentLength(headers: ReadonlyMap<string, string>): number {
  // Repeated fields were joined with ", ": all copies must agree (RFC 9112 §6.3).
  const values = new Set(
    headers
      .get('content-length')!
      .split(',')
      .map((v) => v.trim()),
  );
  const [value] = values;
  if (values.size !== 1 || value === undefined || !/^\d{1,15}$/.test(value)) {
    throw new HttpParseError('invalid content-length');
  }
  return Number(value);
}

/**
 * Parses one HTTP/1.x request head. Bodies are refused (a tracker only serves GET): a request
 * with a non-zero Content-Length or any Transfer-Encoding is an error.
 */
export class HttpRequestParser {
  private readonly head: HeadReader;
  private request: HttpRequest | undefined;

  constructor(limits: HttpLimits = {}) {
    this.head = new HeadReader(
      limits.maxHeaderSize ?? DEFAULT_MAX_HEADER,
      limits.maxHeaders ?? DEFAULT_MAX_HEADERS,
    );
  }

  /** Consumes bytes; returns the request once its head is complete. */
  push(chunk: Uint8Array): HttpRequest | undefined {
    if (this.request) return this.request;
    if (this.head.push(chunk, 0) === -1) return undefined;
    const match = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/1\.[01]$/.exec(
      this.head.startLine ?? '',
    );
    if (!match) throw new HttpParseError('malformed request line');
    const headers = this.head.headers;
    if (headers.has('transfer-encoding'))
      throw new HttpParseError('request bodies are not supported');
    const length = headers.get('content-length');
    if (length !== undefined && !/^0+(?:\s*,\s*0+)*$/.test(length)) {
      throw new HttpParseError('request bodies are not supported');
    }
    this.request = { method: match[1]!, target: match[2]!, headers };
    return this.request;
  }
}
