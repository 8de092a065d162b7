import { DecodeError } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryToBytes, bytesToBinary } from '../../src/bencode/index.js';
import { HttpParseError, HttpRequestParser, HttpResponseParser } from '../../src/http/index.js';

const b = (s: string) => binaryToBytes(s);

/** Feeds `text` cut at the given points; returns the parser after end-of-stream when asked. */
function parseResponse(text: string, cuts: number[] = [], close = false, limits = {}) {
  const parser = new HttpResponseParser(limits);
  const bytes = b(text);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
  let from = 0;
  let done = false;
  for (const at of [...points, bytes.length]) {
    if (at > from && !done) done = parser.push(bytes.subarray(from, at));
    from = at;
  }
  if (close) parser.end();
  return parser.response();
}

describe('HTTP response parser', () => {
  const chunked =
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n' +
    '5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\n';

  it('reads Content-Length, chunked and read-until-close bodies', () => {
    const r1 = parseResponse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA');
    expect([r1.status, r1.reason, bytesToBinary(r1.body)]).toEqual([200, 'OK', 'hello']);
    const r2 = parseResponse(chunked);
    expect(bytesToBinary(r2.body)).toBe('hello world');
    expect(r2.headers.get('x-a')).toBe('1, 2');
    const r3 = parseResponse('HTTP/1.0 404 Not Found\nServer: x\n\nbody until close', [], true);
    expect([r3.status, bytesToBinary(r3.body)]).toEqual([404, 'body until close']);
    const r4 = parseResponse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
    expect(r4.status).toBe(204);
  });

  it('gives the same result however the bytes are split', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        expect(bytesToBinary(parseResponse(chunked, cuts).body)).toBe('hello world');
        expect(
          bytesToBinary(
            parseResponse('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc', cuts).body,
          ),
        ).toBe('abc');
      }),
    );
  });

  const bad: [string, RegExp][] = [
    ['HTTP/2 200 OK\r\n\r\n', /status line/],
    ['HTTP/1.1 20 OK\r\n\r\n', /status line/],
    ['HTTP/1.1 200 OK\r\nBad Header\r\n\r\n', /header line/],
    ['HTTP/1.1 200 OK\r\n folded: x\r\n\r\n', /header line/],
    ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /content-length/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', /content-length/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', /transfer-encoding/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n', /chunk data/],
    ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n', /chunk size/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n', /body larger/],
  ];
  for (const [text, why] of bad) {
    it(`refuses ${JSON.stringify(text.slice(0, 50))}`, () => {
      expect(() => parseResponse(text)).toThrow(why);
    });
  }

  it('enforces header and body limits before buffering', () => {
    expect(() => parseResponse(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(20000)}`)).toThrow(
      /longer than/,
    );
    expect(() => parseResponse(`HTTP/1.1 200 OK\r\n${'A: 1\r\n'.repeat(101)}\r\n`)).toThrow(
      /more than 100/,
    );
    expect(() =>
      parseResponse(`HTTP/1.1 200 OK\r\n\r\n${'x'.repeat(11)}`, [], true, { maxBodySize: 10 }),
    ).toThrow(/body larger/);
    expect(() =>
      parseResponse(
        `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n`,
        [],
        false,
        { maxBodySize: 10 },
      ),
    ).toThrow(/body larger/);
    expect(() => parseResponse('\r\n'.repeat(9000))).toThrow(/longer than|not complete/);
  });

  it('a connection closed early is an error', () => {
    expect(() =>
      parseResponse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel', [], true),
    ).toThrow(HttpParseError);
    expect(() => parseResponse('HTTP/1.1 200 OK\r\n', [], true)).toThrow(/closed before/);
  });

  it('fuzz: only DecodeError escapes', () => {
    const pieces = fc.oneof(
      fc.string(),
      fc.constantFrom(
        'HTTP/1.1 200 OK\r\n',
        'Content-Length: 3\r\n',
        'Transfer-Encoding: chunked\r\n',
        '\r\n',
        '0\r\n',
        'ff\r\n',
        ': ',
        '\n',
      ),
    );
    fc.assert(
      fc.property(
        fc.array(pieces, { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.boolean(),
        (parts, cuts, close) => {
          try {
            parseResponse(parts.join(''), cuts, close, { maxBodySize: 64, maxHeaderSize: 256 });
          } catch (error) {
            if (!(error instanceof DecodeError)) throw error;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('HTTP request parser', () => {
  it('parses a GET head split anywhere', () => {
    const text = 'GET /announce?info_hash=%AA HTTP/1.1\r\nHost: x\r\n\r\n';
    fc.assert(
      fc.property(fc.nat({ max: text.length }), (cut) => {
        const parser = new HttpRequestParser();
        const first = parser.push(b(text.slice(0, cut)));
        const request = first ?? parser.push(b(text.slice(cut)));
        expect(request).toMatchObject({ method: 'GET', target: '/announce?info_hash=%AA' });
        expect(request!.headers.get('host')).toBe('x');
      }),
    );
  });

  it('refuses bodies, bad request lines and oversized heads', () => {
    const reject =
      (text: string, limits = {}) =>
      () =>
        new HttpRequestParser(limits).push(b(text));
    expect(reject('POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n')).toThrow(/bodies/);
    expect(reject('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n')).toThrow(/bodies/);
    expect(
      new HttpRequestParser().push(b('GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n')),
    ).toBeDefined();
    expect(reject('GET /\r\n\r\n')).toThrow(/request line/);
    expect(reject('GET / HTTP/1.1 extra\r\n\r\n')).toThrow(/request line/);
    expect(reject(`GET /${'a'.repeat(100)} HTTP/1.1\r\n\r\n`, { maxHeaderSize: 64 })).toThrow(
      /longer than/,
    );
  });

  it('fuzz: only DecodeError escapes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          new HttpRequestParser({ maxHeaderSize: 128 }).push(bytes);
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
