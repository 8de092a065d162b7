/**
 * The Gnutella 0.6 connection handshake (0.6 draft §2.1, LimeWire's handshaking proposal):
 *
 *   client: GNUTELLA CONNECT/0.6 CRLF, headers, CRLF
 *   server: GNUTELLA/0.6 200 OK CRLF, headers, CRLF     (or 503 with X-Try-Ultrapeers)
 *   client: GNUTELLA/0.6 200 OK CRLF, headers, CRLF     (written alone, before any descriptor)
 *
 * Lines come off the connection through core's ByteQueue; this module only knows the shapes of
 * the start lines and which headers matter.
 */
import { ByteQueue, DecodeError, ProtocolError } from '@p2pkit/core';

/** Longest handshake line, and most bytes / header lines in one block. */
export const MAX_HANDSHAKE_LINE = 4096;
export const MAX_HANDSHAKE_BLOCK = 65_536;
export const MAX_HANDSHAKE_HEADERS = 100;

/** Header names are case-insensitive: kept lower-case; repeated headers joined with ", ". */
export type HandshakeHeaders = ReadonlyMap<string, string>;

export interface ConnectBlock {
  readonly kind: 'connect';
  /** The protocol version the client asked for (0.6; higher ones are accepted as 0.6). */
  readonly version: string;
  readonly headers: HandshakeHeaders;
}

export interface ResponseBlock {
  readonly kind: 'response';
  readonly code: number;
  readonly message: string;
  readonly headers: HandshakeHeaders;
}

export type HandshakeBlock = ConnectBlock | ResponseBlock;

const encoder = new TextEncoder();

/** `GNUTELLA CONNECT/0.6` and the headers, as bytes. */
export function formatConnect(headers: Iterable<readonly [string, string]>): Uint8Array {
  return formatBlock('GNUTELLA CONNECT/0.6', headers);
}

/** `GNUTELLA/0.6 <code> <message>` and the headers, as bytes. */
export function formatResponse(
  code: number,
  message: string,
  headers: Iterable<readonly [string, string]> = [],
): Uint8Array {
  return formatBlock(`GNUTELLA/0.6 ${code} ${message}`, headers);
}

function formatBlock(start: string, headers: Iterable<readonly [string, string]>): Uint8Array {
  let text = `${start}\r\n`;
  for (const [name, value] of headers) {
    if (/[\r\n]/.test(name + value))
      throw new ProtocolError(`header ${name} contains a line break`);
    text += `${name}: ${value}\r\n`;
  }
  return encoder.encode(`${text}\r\n`);
}

/**
 * Reads handshake blocks off a ByteQueue. `next()` returns a whole block once its empty line
 * has arrived, undefined before; DecodeError on a line or block over the limits or a start line
 * that is not Gnutella 0.6's (an old `GNUTELLA OK` is not an answer to a 0.6 connect).
 */
export class HandshakeReader {
  private lines: string[] = [];
  private bytes = 0;

  constructor(readonly queue: ByteQueue = new ByteQueue()) {}

  next(): HandshakeBlock | undefined {
    for (;;) {
      const line = this.queue.readLine({ maxLength: MAX_HANDSHAKE_LINE });
      if (line === undefined) {
        if (this.bytes + this.queue.length > MAX_HANDSHAKE_BLOCK) {
          throw new DecodeError(`handshake block over ${MAX_HANDSHAKE_BLOCK} bytes`);
        }
        return undefined;
      }
      this.bytes += line.length + 2;
      if (this.bytes > MAX_HANDSHAKE_BLOCK) {
        throw new DecodeError(`handshake block over ${MAX_HANDSHAKE_BLOCK} bytes`);
      }
      if (line === '') {
        if (this.lines.length === 0) continue; // tolerate blank lines before a block
        const block = parseBlock(this.lines);
        this.lines = [];
        this.bytes = 0;
        return block;
      }
      if (this.lines.length > MAX_HANDSHAKE_HEADERS) {
        throw new DecodeError(`more than ${MAX_HANDSHAKE_HEADERS} handshake header lines`);
      }
      this.lines.push(line);
    }
  }
}

function parseBlock(lines: string[]): HandshakeBlock {
  const start = lines[0]!;
  const headers = parseHeaderLines(lines.slice(1));
  const connect = /^GNUTELLA CONNECT\/(\d+\.\d+)$/.exec(start);
  if (connect) {
    if (Number.parseFloat(connect[1]!) < 0.6) {
      throw new DecodeError(`Gnutella ${connect[1]} connect refused: 0.6 or later only`);
    }
    return { kind: 'connect', version: connect[1]!, headers };
  }
  const response = /^GNUTELLA\/(\d+\.\d+) (\d{3})(?: (.*))?$/.exec(start);
  if (response) {
    return { kind: 'response', code: Number(response[2]), message: response[3] ?? '', headers };
  }
  throw new DecodeError(`not a Gnutella 0.6 handshake line: ${JSON.stringify(start.slice(0, 80))}`);
}

/** `Name: value` lines; a line starting with SP or HT continues the previous header. */
function parseHeaderLines(lines: string[]): Map<string, string> {
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of lines) {
    if ((line[0] === ' ' || line[0] === '\t') && last !== undefined) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`.trim());
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new DecodeError(`malformed handshake header: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous}, ${value}`);
    last = name;
  }
  return headers;
}

/** `True`/`False` in any case; undefined when absent or something else. */
export function headerFlag(headers: HandshakeHeaders, name: string): boolean | undefined {
  const v = headers.get(name)?.toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : undefined;
}

/** Does a comma-separated header list this token (case-insensitive)? */
export function headerHas(headers: HandshakeHeaders, name: string, token: string): boolean {
  const v = headers.get(name);
  if (!v) return false;
  return v.split(',').some((t) => t.trim().toLowerCase() === token);
}

/**
 * `X-Try` / `X-Try-Ultrapeers` host lists: `1.2.3.4:1234,3.4.5.6:3456`, optional spaces, a
 * trailing comma allowed. Entries that are not IPv4:port are skipped; at most `max` kept.
 */
export function parseTryHeader(
  value: string | undefined,
  max = 20,
): { host: string; port: number }[] {
  const out: { host: string; port: number }[] = [];
  if (!value) return out;
  for (const part of value.split(',')) {
    const m = /^\s*(\d{1,3}(?:\.\d{1,3}){3}):\s*(\d{1,5})\s*$/.exec(part);
    if (!m) continue;
    const port = Number(m[2]);
    if (port < 1 || port > 65535 || m[1]!.split('.').some((o) => Number(o) > 255)) continue;
    out.push({ host: m[1]!, port });
    if (out.length >= max) break;
  }
  return out;
}
