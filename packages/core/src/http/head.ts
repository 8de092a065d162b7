import type { ByteQueue } from '../codec/byte-queue.js';
import { DecodeError } from '../errors.js';

/**
 * Malformed or oversized HTTP: a DecodeError (code ERR_DECODE). `status` is what a server
 * answers before closing: 400 for bad syntax, 431 when a header limit is exceeded.
 */
export class HttpParseError extends DecodeError {
  readonly status: 400 | 431;

  constructor(message: string, status: 400 | 431 = 400) {
    super(`http: ${message}`);
    this.name = 'HttpParseError';
    this.status = status;
  }
}

/** Limits on a message head (request or status line plus header fields). */
export interface HttpLimits {
  /** Longest request, status or header line, in bytes (default 8 KiB). */
  maxLineLength?: number;
  /** Most header fields (default 100). */
  maxHeaders?: number;
  /** Whole head, start line and fields together, in bytes (default 64 KiB). */
  maxHeaderSize?: number;
}

export const DEFAULT_LIMITS: Required<HttpLimits> = {
  maxLineLength: 8 * 1024,
  maxHeaders: 100,
  maxHeaderSize: 64 * 1024,
};

/** A parsed head. Header names are lower-cased; repeated fields are joined with ", ". */
export interface HttpHead {
  /** Request: method, target, version. Response: version, status code, reason. */
  readonly start: [string, string, string];
  readonly headers: Map<string, string>;
  /** HTTP minor version: 0 or 1. */
  readonly minor: 0 | 1;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Reads one head (start line, fields, empty line) off a ByteQueue, incrementally: `read()`
 * returns undefined until the whole head is there, consuming the lines it has parsed. Every
 * limit is checked as bytes arrive, so a peer cannot make it buffer more than maxHeaderSize.
 */
export class HeadParser {
  private readonly limits: Required<HttpLimits>;
  private start: [string, string, string] | undefined;
  private minor: 0 | 1 = 1;
  private readonly headers = new Map<string, string>();
  private fields = 0;
  private size = 0;

  constructor(
    private readonly kind: 'request' | 'response',
    limits: HttpLimits = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...definedOnly(limits) };
  }

  read(queue: ByteQueue): HttpHead | undefined {
    const { maxLineLength, maxHeaderSize, maxHeaders } = this.limits;
    for (;;) {
      const room = Math.min(maxLineLength, maxHeaderSize - this.size);
      let line: string | undefined;
      const before = queue.length;
      try {
        line = queue.readLine({ maxLength: Math.max(0, room) });
      } catch {
        if (this.start === undefined && room === maxLineLength) {
          throw new HttpParseError(`${this.kind} line longer than ${maxLineLength} bytes`, 400);
        }
        throw new HttpParseError(
          room < maxLineLength
            ? `head larger than ${maxHeaderSize} bytes`
            : `header line longer than ${maxLineLength} bytes`,
          431,
        );
      }
      if (line === undefined) return undefined;
      this.size += before - queue.length;
      if (this.start === undefined) {
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
        if (line === '' && this.size <= 2) continue;
        this.start = this.parseStart(line);
        continue;
      }
      if (line === '') {
        const head: HttpHead = { start: this.start, headers: this.headers, minor: this.minor };
        return head;
      }
      if (++this.fields > maxHeaders) {
        throw new HttpParseError(`more than ${maxHeaders} header fields`, 431);
      }
      this.addField(line);
    }
  }

  private parseStart(line: string): [string, string, string] {
    if (this.kind === 'request') {
      const parts = line.split(' ');
      if (parts.length !== 3 || !TOKEN.test(parts[0]!) || parts[1]!.length === 0) {
        throw new HttpParseError(`bad request line ${JSON.stringify(line.slice(0, 80))}`);
      }
      this.minor = version(parts[2]!, line);
      return [parts[0]!, parts[1]!, parts[2]!];
    }
    const match = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(line);
    if (!match) throw new HttpParseError(`bad status line ${JSON.stringify(line.slice(0, 80))}`);
    this.minor = version(match[1]!, line);
    return [match[1]!, match[2]!, match[3] ?? ''];
  }

  private addField(line: string): void {
    const colon = line.indexOf(':');
    // Obsolete line folding (a line starting with SP/HT) is refused, as RFC 9112 §5.2 allows.
    if (colon <= 0)
      throw new HttpParseError(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HttpParseError(`bad header name ${JSON.stringify(name)}`);
    const value = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) throw new HttpParseError(`bad value in header ${name}`);
    const key = name.toLowerCase();
    const previous = this.headers.get(key);
    this.headers.set(key, previous === undefined ? value : `${previous}, ${value}`);
  }
}

function version(text: string, line: string): 0 | 1 {
  if (text === 'HTTP/1.1') return 1;
  if (text === 'HTTP/1.0') return 0;
  throw new HttpParseError(`unsupported version in ${JSON.stringify(line.slice(0, 80))}`);
}

function definedOnly(limits: HttpLimits): HttpLimits {
  const out: HttpLimits = {};
  if (limits.maxLineLength !== undefined) out.maxLineLength = limits.maxLineLength;
  if (limits.maxHeaders !== undefined) out.maxHeaders = limits.maxHeaders;
  if (limits.maxHeaderSize !== undefined) out.maxHeaderSize = limits.maxHeaderSize;
  return out;
}

/** Whether the connection stays open after this message (RFC 9112 §9.3). */
export function keepAliveOf(head: HttpHead): boolean {
  const connection = head.headers.get('connection')?.toLowerCase() ?? '';
  const tokens = connection.split(',').map((t) => t.trim());
  if (tokens.includes('close')) return false;
  return head.minor === 1 || tokens.includes('keep-alive');
}

const latin1Encoder = (text: string): Uint8Array => {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
};

/** A head's bytes: the start line and the fields, CRLF each, then the empty line. */
export function encodeHead(startLine: string, headers: Iterable<[string, string]>): Uint8Array {
  let text = `${startLine}\r\n`;
  for (const [name, value] of headers) text += `${name}: ${value}\r\n`;
  return latin1Encoder(`${text}\r\n`);
}

/** Refuses header names and values that would break the head (CR, LF, bad tokens). */
export function checkHeader(name: string, value: string): void {
  if (!TOKEN.test(name) || !FIELD_VALUE.test(value) || /[\r\n]/.test(value)) {
    throw new HttpParseError(`invalid header ${JSON.stringify(name)}`);
  }
}
