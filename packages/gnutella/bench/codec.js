/**
 * Descriptor codec rate: encodes and decodes a Query and a 5-result Query Hit (with urns and an
 * EQHD) many times; prints one JSON line (descriptors and MB per CPU-second each way).
 *
 *   node bench/codec.js [--count 200000]
 */
import { parseArgs } from 'node:util';
import { createRandom } from '@p2pkit/core';
import { decodeDescriptor, encodeDescriptor, newGuid, QueryFlags } from '../dist/index.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '200000' } } });
const count = Number(values.count);
const random = createRandom('bench-codec');
const urn = 'urn:sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ';
const query = {
  guid: newGuid(random),
  ttl: 7,
  hops: 0,
  message: {
    kind: 'query',
    minSpeed: QueryFlags.Modern | QueryFlags.GgepH,
    criteria: 'greatest hits live',
    urns: [],
  },
};
const hit = {
  guid: newGuid(random),
  ttl: 5,
  hops: 2,
  message: {
    kind: 'queryhit',
    port: 6346,
    ip: '10.1.2.3',
    speed: 1000,
    results: Array.from({ length: 5 }, (_, i) => ({
      index: i,
      size: 4_000_000 + i,
      name: `greatest hits live ${i}.mp3`,
      urns: [urn],
    })),
    trailer: { vendor: 'P2PK', push: false, busy: false, uploaded: false, measuredSpeed: false },
    serventId: newGuid(random),
  },
};

function measure(descriptor) {
  const bytes = encodeDescriptor(descriptor);
  for (let i = 0; i < 10_000; i++) decodeDescriptor(encodeDescriptor(descriptor)); // warm up
  // CPU time, not wall time: on a shared machine the wall clock mostly measures the others.
  const cpuMs = (since) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1000;
  };
  let t = process.cpuUsage();
  let sink = 0;
  for (let i = 0; i < count; i++) sink += encodeDescriptor(descriptor).length;
  const encodeMs = cpuMs(t);
  t = process.cpuUsage();
  for (let i = 0; i < count; i++) sink += decodeDescriptor(bytes).ttl;
  const decodeMs = cpuMs(t);
  if (sink === 0) throw new Error('unreachable');
  const perSec = (ms) => Math.round((count / ms) * 1000);
  const mbps = (ms) => Math.round(((count * bytes.length) / ms / 1000) * 10) / 10;
  return {
    bytes: bytes.length,
    encodePerSec: perSec(encodeMs),
    decodePerSec: perSec(decodeMs),
    encodeMBps: mbps(encodeMs),
    decodeMBps: mbps(decodeMs),
  };
}

console.log(JSON.stringify({ count, query: measure(query), queryHit: measure(hit) }));
