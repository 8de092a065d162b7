import { DecodeError } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatConnect,
  formatResponse,
  HandshakeReader,
  MAX_HANDSHAKE_BLOCK,
  parseTryHeader,
} from '../src/handshake.js';
import { formatGiv, parseGetTarget, parseGiv } from '../src/transfer.js';

function onlyDecodeErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
  }
}

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/);
const value = fc
  .stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/)
  .map((v) => v.trim())
  .filter((v) => v !== '');

describe('text decoders under fuzzing', () => {
  it('handshake blocks round-trip however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(token, value), { maxLength: 12 }),
        fc.array(fc.nat(200), { maxLength: 8 }),
        (headers, cuts) => {
          const unique = [
            ...new Map(headers.map(([k, v]) => [k.toLowerCase(), [k, v] as const])).values(),
          ];
          const bytes = new Uint8Array([
            ...formatConnect(unique),
            ...formatResponse(503, 'Busy', unique),
          ]);
          const reader = new HandshakeReader();
          const blocks = [];
          let at = 0;
          for (const cut of [...cuts, bytes.length]) {
            const end = Math.min(bytes.length, at + cut);
            reader.queue.append(bytes.slice(at, end));
            at = end;
            for (let b = reader.next(); b; b = reader.next()) blocks.push(b);
          }
          reader.queue.append(bytes.slice(at));
          for (let b = reader.next(); b; b = reader.next()) blocks.push(b);
          expect(blocks.map((b) => b.kind)).toEqual(['connect', 'response']);
          for (const b of blocks) {
            expect([...b.headers]).toEqual(unique.map(([k, v]) => [k.toLowerCase(), v]));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('random bytes give blocks or DecodeError, and never more than the block limit buffered', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 30 }), (chunks) => {
        const reader = new HandshakeReader();
        onlyDecodeErrors(() => {
          for (const c of chunks) {
            reader.queue.append(c);
            while (reader.next()) {}
            expect(reader.queue.length).toBeLessThanOrEqual(MAX_HANDSHAKE_BLOCK);
          }
        });
      }),
      { numRuns: 500 },
    );
  });

  it('GIV lines, GET targets and X-Try lists: parse or refuse, never throw anything else', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.nat(0xffffffff),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (text, index, guid) => {
          onlyDecodeErrors(() => parseGiv(text));
          parseGetTarget(text);
          for (const a of parseTryHeader(text)) expect(a.port).toBeGreaterThan(0);
          const name = text.replace(/[\r\n]/g, '');
          const line = new TextDecoder()
            .decode(formatGiv({ index, serventId: guid, name }))
            .slice(0, -2);
          const giv = parseGiv(line);
          expect(giv.index).toBe(index);
          expect(giv.serventId).toEqual(guid);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
