import { constants, createDeflate, deflateSync, inflateSync } from 'node:zlib';
import { DecodeError } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { DeflateStream, deflateZlib, InflateStream, inflateBounded } from '../src/inflate.js';

// Node's zlib (the C library) is the independent judge of our zlib streams.
describe('zlib streams', () => {
  it('a sync-flushed stream of ours is decodable by zlib after every flush', () => {
    const out: Uint8Array[] = [];
    const stream = new DeflateStream((c) => out.push(c.slice()));
    const sent: number[] = [];
    for (let i = 0; i < 50; i++) {
      const msg = new TextEncoder().encode(`message ${i} `.repeat(1 + (i % 7)));
      stream.write(msg);
      stream.flush();
      sent.push(...msg);
      const so_far = inflateSync(Buffer.concat(out), { finishFlush: constants.Z_SYNC_FLUSH });
      expect([...so_far]).toEqual(sent);
    }
  });

  it('inflates zlib sync-flushed output chunk by chunk', async () => {
    const z = createDeflate({ level: 6 });
    const got: number[] = [];
    const inflater = new InflateStream((c) => got.push(...c));
    const chunks: Buffer[] = [];
    z.on('data', (c: Buffer) => chunks.push(c));
    const expected: number[] = [];
    for (let i = 0; i < 20; i++) {
      const msg = Buffer.from(`hello ${i} `.repeat(i + 1));
      expected.push(...msg);
      z.write(msg);
      await new Promise<void>((r) => z.flush(constants.Z_SYNC_FLUSH, () => r()));
      for (const c of chunks.splice(0)) inflater.write(new Uint8Array(c));
      expect(got).toEqual(expected);
    }
    z.destroy();
  });

  it('refuses corrupt streams and bombs with DecodeError', () => {
    expect(() => new InflateStream(() => {}).write(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(
      DecodeError,
    );
    const bomb = deflateSync(Buffer.alloc(10_000_000));
    expect(() => inflateBounded(new Uint8Array(bomb), 65_536)).toThrow(/beyond 65536/);
    expect(() => inflateBounded(new Uint8Array(bomb.subarray(0, 100)), 1 << 30)).toThrow(
      /truncated/,
    );
    const data = new TextEncoder().encode('qrp '.repeat(100));
    expect(inflateBounded(deflateZlib(data), 400)).toEqual(data);
    expect([...inflateSync(deflateZlib(data))]).toEqual([...data]);
  });
});
