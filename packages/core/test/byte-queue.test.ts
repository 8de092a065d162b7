import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteQueue, DecodeError, isP2PError } from '../src/index.js';
import { catchError, cut } from './helpers.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function queueOf(...parts: string[]): ByteQueue {
  const q = new ByteQueue();
  for (const p of parts) q.append(ascii(p));
  return q;
}

describe('ByteQueue', () => {
  it('peeks, reads and skips across chunks', () => {
    const q = queueOf('ab', 'cde', '', 'f');
    expect(q.length).toBe(6);
    expect(q.byteAt(2)).toBe(0x63);
    expect(q.byteAt(6)).toBe(-1);
    expect(Array.from(q.peek(4)!)).toEqual(Array.from(ascii('abcd')));
    expect(q.length).toBe(6);
    expect(q.read(7)).toBeUndefined();
    expect(q.length).toBe(6);
    expect(Array.from(q.read(3)!)).toEqual(Array.from(ascii('abc')));
    expect(q.skip(2)).toBe(2);
    expect(Array.from(q.readAll())).toEqual([0x66]);
    expect(q.length).toBe(0);
    expect(q.readChunk()).toBeUndefined();
  });

  it('returns a view inside one chunk and one exact copy across chunks', () => {
    const a = ascii('hello ');
    const b = ascii('world');
    const q = new ByteQueue();
    q.append(a);
    q.append(b);
    const view = q.read(5)!;
    expect(view.buffer).toBe(a.buffer);
    const spanning = q.read(4)!;
    expect(spanning.buffer).not.toBe(a.buffer);
    expect(spanning.buffer).not.toBe(b.buffer);
    expect(String.fromCharCode(...spanning)).toBe(' wor');
  });

  it('readChunk streams views of at most max bytes', () => {
    const q = queueOf('abcdef', 'gh');
    expect(String.fromCharCode(...q.readChunk(4)!)).toBe('abcd');
    expect(String.fromCharCode(...q.readChunk()!)).toBe('ef');
    expect(String.fromCharCode(...q.readChunk(10)!)).toBe('gh');
  });

  it('peekUint reads big- and little-endian fields at an offset, across chunks', () => {
    const q = new ByteQueue();
    q.append(Uint8Array.of(9, 0x12));
    q.append(Uint8Array.of(0x34));
    q.append(Uint8Array.of(0x56, 0x78));
    expect(q.peekUint(1, 4)).toBe(0x12345678);
    expect(q.peekUint(1, 4, true)).toBe(0x78563412);
    expect(q.peekUint(1, 2, true)).toBe(0x3412);
    expect(q.peekUint(2, 4)).toBe(-1);
    expect(q.length).toBe(5);
  });

  it('readLine takes LF and CRLF endings, and waits for the end of a line', () => {
    const q = queueOf('GNUTELLA CONNECT/0.6\r', '\nUser-Agent: x\n', '\r\nGIV 1:AB/f');
    expect(q.readLine({ maxLength: 100 })).toBe('GNUTELLA CONNECT/0.6');
    expect(q.readLine({ maxLength: 100 })).toBe('User-Agent: x');
    expect(q.readLine({ maxLength: 100 })).toBe('');
    expect(q.readLine({ maxLength: 100 })).toBeUndefined();
    q.append(ascii('.txt\n\n'));
    expect(q.readLine({ maxLength: 100 })).toBe('GIV 1:AB/f.txt');
    expect(q.readLine({ maxLength: 100 })).toBe('');
    expect(q.length).toBe(0);
  });

  it('readLine refuses a line over maxLength, complete or not, and accepts exactly maxLength', () => {
    expect(queueOf('abcd\r\n').readLine({ maxLength: 4 })).toBe('abcd');
    expect(queueOf('abcd\n').readLine({ maxLength: 4 })).toBe('abcd');
    expect(() => queueOf('abcde\n').readLine({ maxLength: 4 })).toThrow(DecodeError);
    expect(() => queueOf('abcde\r\n').readLine({ maxLength: 4 })).toThrow(DecodeError);
    // Incomplete: four bytes and a CR may still be a valid line; a sixth byte cannot.
    expect(queueOf('abcd\r').readLine({ maxLength: 4 })).toBeUndefined();
    expect(() => queueOf('abcdef').readLine({ maxLength: 4 })).toThrow(DecodeError);
  });

  it('readUntil splits on a byte or a sequence, with a limit', () => {
    const q = queueOf('a:b', 'c\r', '\n\r\nrest');
    expect(String.fromCharCode(...q.readUntil(0x3a, { maxLength: 5 })!)).toBe('a');
    expect(q.indexOf(ascii('\r\n\r\n'))).toBe(2);
    expect(String.fromCharCode(...q.readUntil(ascii('\r\n\r\n'), { maxLength: 5 })!)).toBe('bc');
    expect(q.readUntil(0, { maxLength: 4 })).toBeUndefined();
    expect(() => q.readUntil(0, { maxLength: 3 })).toThrow(DecodeError);
    expect(() => queueOf('toolong;').readUntil(0x3b, { maxLength: 6 })).toThrow(DecodeError);
  });

  it('refuses bad counts and limits as caller errors', () => {
    const q = queueOf('abc');
    expect(
      isP2PError(
        catchError(() => q.read(-1)),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(
      isP2PError(
        catchError(() => q.peek(1.5)),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(
      isP2PError(
        catchError(() => q.readLine({ maxLength: -1 })),
        'ERR_INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });

  it('reads the same lines however the stream is cut (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[ -~]{0,20}$/), { maxLength: 10 }),
        fc.array(fc.boolean(), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (lines, crlf, positions) => {
          const text = lines.map((l, i) => l + (crlf[i] ? '\r\n' : '\n')).join('');
          const q = new ByteQueue();
          const got: string[] = [];
          for (const chunk of cut(ascii(text), positions)) {
            q.append(chunk);
            for (let l = q.readLine({ maxLength: 20 }); l !== undefined; ) {
              got.push(l);
              l = q.readLine({ maxLength: 20 });
            }
          }
          expect(got).toEqual(lines);
          expect(q.length).toBe(0);
        },
      ),
    );
  });

  it('matches a naive array model for any sequence of operations (property)', () => {
    type Op =
      | { kind: 'append'; bytes: Uint8Array }
      | { kind: 'read' | 'peek' | 'skip' | 'chunk'; n: number }
      | { kind: 'until'; byte: number; max: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 12 }) }),
      fc.record({
        kind: fc.constantFrom('read' as const, 'peek' as const, 'skip' as const, 'chunk' as const),
        n: fc.nat(16),
      }),
      fc.record({ kind: fc.constant('until' as const), byte: fc.nat(3), max: fc.nat(10) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const q = new ByteQueue();
        let model: number[] = [];
        for (const o of ops) {
          if (o.kind === 'append') {
            q.append(o.bytes.slice());
            model.push(...o.bytes);
          } else if (o.kind === 'read' || o.kind === 'peek') {
            const got = o.kind === 'read' ? q.read(o.n) : q.peek(o.n);
            if (o.n > model.length) expect(got).toBeUndefined();
            else {
              expect(Array.from(got!)).toEqual(model.slice(0, o.n));
              if (o.kind === 'read') model = model.slice(o.n);
            }
          } else if (o.kind === 'skip') {
            expect(q.skip(o.n)).toBe(Math.min(o.n, model.length));
            model = model.slice(o.n);
          } else if (o.kind === 'chunk') {
            const got = q.readChunk(o.n);
            if (model.length === 0 || o.n === 0) expect(got).toBeUndefined();
            else {
              expect(got!.length).toBeGreaterThan(0);
              expect(got!.length).toBeLessThanOrEqual(o.n);
              expect(Array.from(got!)).toEqual(model.slice(0, got!.length));
              model = model.slice(got!.length);
            }
          } else if (o.kind === 'until') {
            const at = model.indexOf(o.byte);
            const result = catchError(() => q.readUntil(o.byte, { maxLength: o.max }));
            if (at >= 0 && at <= o.max) {
              expect(Array.from(result as Uint8Array)).toEqual(model.slice(0, at));
              model = model.slice(at + 1);
            } else if (at > o.max || (at < 0 && model.length > o.max)) {
              expect(result).toBeInstanceOf(DecodeError);
            } else {
              expect(result).toBeUndefined();
            }
          }
          expect(q.length).toBe(model.length);
          expect(q.indexOf(2)).toBe(model.indexOf(2));
        }
      }),
    );
  });

  it('assembles a line delivered a byte at a time', () => {
    const q = new ByteQueue();
    const line = 'x'.repeat(3000);
    for (const c of line) {
      q.append(ascii(c));
      expect(q.readLine({ maxLength: 3000 })).toBeUndefined();
    }
    q.append(ascii('\r\n'));
    expect(q.readLine({ maxLength: 3000 })).toBe(line);
  });
});
