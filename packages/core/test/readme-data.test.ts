// Keeps the data-layer example in README.md true: same calls, the values the README shows.
import { describe, expect, it } from 'vitest';
import {
  createRandom,
  decodeEnvelope,
  encodeEnvelope,
  encodeFrame,
  FrameDecoder,
  HashRing,
  idSpace,
  idToBytes,
  inHalfOpen,
  keyId,
  nodeId,
  Reader,
  Writer,
} from '../src/index.js';

describe('README five-minute example', () => {
  it('gives the values the README shows', () => {
    const m = 16;
    const a = nodeId('127.0.0.1', 4000, m);
    const b = nodeId('127.0.0.1', 4001, m);
    const k = keyId('hello', m);
    expect([a, b, k]).toEqual([18024n, 65186n, 17229n]);
    expect(inHalfOpen(k, a, b)).toBe(false);

    const ring = new HashRing<string>({ virtualNodes: 100 });
    for (const name of ['cache-a', 'cache-b', 'cache-c']) ring.add(name);
    expect(ring.owner('user:42')).toBe('cache-a');
    expect(ring.successors('user:42', 2)).toEqual(['cache-a', 'cache-c']);
    expect(ring.load().get('cache-a')).toBeCloseTo(0.31, 2);

    const frame = encodeFrame(new Writer().u16(7).varutf8('hi').id(a, m).finish());
    const decoder = new FrameDecoder({ maxFrameSize: 1024 });
    decoder.push(frame);
    const r = new Reader(decoder.next()!);
    expect([r.u16(), r.varutf8(64), r.id(m)]).toEqual([7, 'hi', a]);
    r.expectEnd();

    const bytes = encodeEnvelope({
      kind: 'request',
      type: 1,
      requestId: 9,
      sender: { id: idToBytes(a, m), address: { host: '127.0.0.1', port: 4000 } },
      body: new TextEncoder().encode('ping'),
    });
    expect(decodeEnvelope(bytes, { maxBodySize: 1024 }).sender.address).toEqual({
      host: '127.0.0.1',
      port: 4000,
    });

    const random = createRandom('seed-1');
    expect(random.int(6)).toBeLessThan(6);
  });
});

describe('README id-space example', () => {
  it('gives the values the README shows', () => {
    const ring = idSpace(160);
    const self = ring.nodeId('10.0.0.1', 4000);
    const start = ring.addPow2(self, 7);
    expect(ring.fromBytes(ring.toBytes(start))).toBe(start);
    expect(ring.toHex(ring.distance(self, start))).toBe(`${'0'.repeat(38)}80`);
    const pastry = idSpace(128, 4);
    const [a, b] = [pastry.fromHex('65a1fc00'), pastry.fromHex('65a1fcf0')];
    expect([pastry.digit(a, 24), pastry.sharedPrefixLength(a, b)]).toEqual([6, 30]);
    expect(pastry.closest(pastry.fromHex('65a1fc80'), [a, b])).toBe(b);
  });
});
