// Codec throughput: Writer/Reader on a typical message, envelopes, and the frame decoder.
import {
  decodeEnvelope,
  encodeEnvelope,
  encodeFrame,
  FrameDecoder,
  Reader,
  Writer,
} from '../dist/index.js';
import { consume, opsPerSecond, row } from './lib.js';

export const name = 'codec';

/** A message shaped like an overlay's: small integers, a 160-bit id, a varint-prefixed payload. */
function writeMessage(w, id, payload) {
  w.u8(1)
    .u16(0x4301)
    .u32(123456)
    .u64(0x0102030405060708n)
    .varint(300)
    .id(id, 160)
    .varbytes(payload);
}

function readMessage(r) {
  return (
    r.u8() +
    r.u16() +
    r.u32() +
    Number(r.u64() & 1n) +
    r.varint() +
    Number(r.id(160) & 1n) +
    r.varbytes(4096).length
  );
}

export function run() {
  const rows = [];
  const id = 0xa9993e364706816aba3e25717850c26c9cd0d89dn;
  for (const size of [16, 256, 4096]) {
    const payload = new Uint8Array(size).fill(7);
    const w = new Writer(64);
    writeMessage(w, id, payload);
    const message = w.finish().slice();
    const bytes = message.length;
    const writer = new Writer(8192);
    const encode = opsPerSecond(() => {
      writer.reset();
      writeMessage(writer, id, payload);
      consume(writer.length);
    });
    const decode = opsPerSecond(() => consume(readMessage(new Reader(message))));
    rows.push(
      row(
        name,
        `Writer: ${bytes} B message`,
        (encode * bytes) / 1e6,
        'MB/s',
        `${(encode / 1e6).toFixed(2)} M msg/s`,
      ),
    );
    rows.push(
      row(
        name,
        `Reader: ${bytes} B message`,
        (decode * bytes) / 1e6,
        'MB/s',
        `${(decode / 1e6).toFixed(2)} M msg/s`,
      ),
    );
  }
  for (const size of [32, 1024]) {
    const envelope = {
      kind: 'request',
      type: 0x4301,
      requestId: 77,
      sender: { id: new Uint8Array(20).fill(9), address: { host: '10.0.3.7', port: 4000 } },
      body: new Uint8Array(size).fill(1),
    };
    const bytes = encodeEnvelope(envelope);
    const enc = opsPerSecond(() => consume(encodeEnvelope(envelope).length));
    const dec = opsPerSecond(() => consume(decodeEnvelope(bytes).body.length));
    rows.push(
      row(
        name,
        `encodeEnvelope, ${size} B body`,
        enc,
        'msg/s',
        `${((enc * bytes.length) / 1e6).toFixed(0)} MB/s`,
      ),
    );
    rows.push(
      row(
        name,
        `decodeEnvelope, ${size} B body`,
        dec,
        'msg/s',
        `${((dec * bytes.length) / 1e6).toFixed(0)} MB/s`,
      ),
    );
  }
  // A stream of 100-byte frames arriving in 1460-byte TCP segments (frames straddle segments).
  const frames = Array.from({ length: 1000 }, () => encodeFrame(new Uint8Array(100).fill(3)));
  const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    stream.set(f, at);
    at += f.length;
  }
  const segments = [];
  for (let i = 0; i < stream.length; i += 1460) segments.push(stream.subarray(i, i + 1460));
  const decoder = new FrameDecoder({ maxFrameSize: 1 << 20 });
  const streams = opsPerSecond(() => {
    let count = 0;
    for (const segment of segments) {
      decoder.push(segment);
      while (decoder.next() !== undefined) count++;
    }
    consume(count);
  });
  rows.push(
    row(
      name,
      'FrameDecoder: 100 B frames in 1460 B segments',
      (streams * stream.length) / 1e6,
      'MB/s',
      `${((streams * 1000) / 1e6).toFixed(2)} M frames/s`,
    ),
  );
  const big = encodeFrame(new Uint8Array(1 << 20));
  const bigSegments = [];
  for (let i = 0; i < big.length; i += 65536) bigSegments.push(big.subarray(i, i + 65536));
  const bigRate = opsPerSecond(() => {
    for (const segment of bigSegments) decoder.push(segment);
    consume(decoder.next().length);
  });
  rows.push(
    row(
      name,
      'FrameDecoder: 1 MiB frame in 64 KiB chunks',
      (bigRate * big.length) / 1e6,
      'MB/s',
      'one copy of the frame',
    ),
  );
  return rows;
}
