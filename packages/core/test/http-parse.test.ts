import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { framingOf } from '../src/http/body.js';
import { HeadParser } from '../src/http/head.js';
import { ByteQueue, contentRange, HttpParseError, parseRange } from '../src/index.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

function parseAll(text: string | Uint8Array, cuts: number[], kind: 'request' | 'response') {
  const bytes = typeof text === 'string' ? ascii(text) : text;
  const parser = new HeadParser(kind, { maxLineLength: 200, maxHeaders: 5, maxHeaderSize: 600 });
  const queue = new ByteQueue();
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) queue.append(bytes.slice(from, p));
    from = Math.max(from, p);
    const head = parser.read(queue);
    if (head) return { head, queue };
    // Bounded: the parser never lets more than its limits wait in the queue.
    expect(queue.length).toBeLessThanOrEqual(600 + 2);
  }
  return { head: undefined, queue };
}

describe('HeadParser', () => {
  it('parses a request head however it is cut, lower-casing and joining fields', () => {
    const text =
      'GET /get/36/Foo.txt HTTP/1.1\r\nHost: 1.2.3.4:6346\r\nRange: bytes=0-\r\nX-A: 1\nx-a: 2\r\n\r\nrest';
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 10 }), (cuts) => {
        const { head, queue } = parseAll(text, cuts, 'request');
        expect(head?.start).toEqual(['GET', '/get/36/Foo.txt', 'HTTP/1.1']);
        expect([...head!.headers]).toEqual([
          ['host', '1.2.3.4:6346'],
          ['range', 'bytes=0-'],
          ['x-a', '1, 2'],
        ]);
        expect(queue.length).toBeLessThanOrEqual(4);
      }),
    );
  });

  it('parses status lines, HTTP/1.0 included, with or without a reason', () => {
    expect(parseAll('HTTP/1.0 503 Busy\r\n\r\n', [], 'response').head?.start).toEqual([
      'HTTP/1.0',
      '503',
      'Busy',
    ]);
    expect(parseAll('HTTP/1.1 200\r\n\r\n', [], 'response').head?.minor).toBe(1);
  });

  it('refuses what breaks the rules, with 400 or 431', () => {
    const cases: [string, number][] = [
      [`GET /${'a'.repeat(300)} HTTP/1.1\r\n\r\n`, 400],
      ['GET / HTTP/2.0\r\n\r\n', 400],
      ['GET  / HTTP/1.1\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\n folded: x\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nbad name: x\r\n\r\n', 400],
      [`GET / HTTP/1.1\r\n${'A: b\r\n'.repeat(6)}\r\n`, 431],
      [`GET / HTTP/1.1\r\nA: ${'x'.repeat(250)}\r\n\r\n`, 431],
      [`GET / HTTP/1.1\r\n${`A: ${'x'.repeat(150)}\r\n`.repeat(4)}\r\n`, 431],
    ];
    for (const [text, status] of cases) {
      let error: unknown;
      try {
        parseAll(text, [], 'request');
      } catch (e) {
        error = e;
      }
      expect(error, text.slice(0, 40)).toBeInstanceOf(HttpParseError);
      expect((error as HttpParseError).status, text.slice(0, 40)).toBe(status);
    }
  });

  it('fuzz: random and mutated heads give a head, undefined or HttpParseError, nothing else', () => {
    const valid = 'GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n';
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 700 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }).map((edits) => {
        const bytes = ascii(valid);
        for (const [at, v] of edits) bytes[at % bytes.length] = v;
        return bytes;
      }),
    );
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (bytes, cuts, req) => {
        try {
          parseAll(bytes, cuts, req ? 'request' : 'response');
        } catch (error) {
          if (!(error instanceof HttpParseError)) throw error;
        }
      }),
    );
  });
});

describe('framingOf', () => {
  const h = (fields: Record<string, string>) => new Map(Object.entries(fields));
  it('follows RFC 9112 6.3', () => {
    expect(framingOf(h({ 'content-length': '10' }), 'response')).toEqual({
      kind: 'length',
      length: 10,
    });
    expect(framingOf(h({ 'content-length': '10, 10' }), 'response')).toEqual({
      kind: 'length',
      length: 10,
    });
    expect(framingOf(h({ 'transfer-encoding': 'chunked' }), 'request')).toEqual({
      kind: 'chunked',
    });
    expect(framingOf(h({}), 'response')).toEqual({ kind: 'close' });
    expect(framingOf(h({}), 'request')).toEqual({ kind: 'none' });
    expect(framingOf(h({ 'content-length': '10' }), 'response', true)).toEqual({ kind: 'none' });
    const bads: Record<string, string>[] = [
      { 'content-length': '10, 11' },
      { 'content-length': '-1' },
      { 'content-length': '1e3' },
      { 'transfer-encoding': 'chunked', 'content-length': '3' },
      { 'transfer-encoding': 'gzip' },
    ];
    for (const bad of bads) {
      expect(() => framingOf(h(bad), 'request'), JSON.stringify(bad)).toThrow(HttpParseError);
    }
  });
});

describe('parseRange', () => {
  it('matches a model of RFC 9110 14.1.2 for single ranges (property)', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.option(fc.nat(1200)), fc.option(fc.nat(1200)), (size, a, b) => {
        const header = `bytes=${a ?? ''}-${b ?? ''}`;
        const got = parseRange(header, size);
        if (a === null && b === null) expect(got).toBeUndefined();
        else if (a === null) {
          expect(got).toEqual(
            b === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - b!), end: size },
          );
        } else if (b !== null && b < a) expect(got).toBeUndefined();
        else if (a >= size) expect(got).toBe('unsatisfiable');
        else expect(got).toEqual({ start: a, end: b === null ? size : Math.min(size, b + 1) });
      }),
    );
  });

  it('ignores what it does not serve, and writes Content-Range', () => {
    expect(parseRange(undefined, 10)).toBeUndefined();
    expect(parseRange('bytes=0-1,3-4', 10)).toBeUndefined();
    expect(parseRange('lines=1-2', 10)).toBeUndefined();
    expect(parseRange('bytes=x-2', 10)).toBeUndefined();
    expect(contentRange({ start: 2, end: 6 }, 20)).toBe('bytes 2-5/20');
    expect(contentRange(undefined, 20)).toBe('bytes */20');
  });
});
