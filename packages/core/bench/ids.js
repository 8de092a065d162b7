// How to read a 20-byte id as a bigint (and write it back): the approaches we measured before
// choosing the one in src/codec/reader.ts (32-bit words combined with BigInt shifts).
import { idFromBytes, idToBytes, Reader } from '../dist/index.js';
import { consume, opsPerSecond, row } from './lib.js';

export const name = 'ids';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function viaHexString(b) {
  let s = '0x';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return BigInt(s);
}

function via48BitChunks(b) {
  let r = BigInt((b[0] << 8) | b[1]);
  for (let i = 2; i < 20; i += 6) {
    const w =
      (b[i] * 0x10000 + ((b[i + 1] << 8) | b[i + 2])) * 0x1000000 +
      ((b[i + 3] << 16) | (b[i + 4] << 8) | b[i + 5]);
    r = (r << 48n) | BigInt(w);
  }
  return r;
}

function viaDataView64(b) {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return (
    (((BigInt(view.getUint32(0)) << 64n) | view.getBigUint64(4)) << 64n) | view.getBigUint64(12)
  );
}

function toBytesViaHex(id) {
  const s = id.toString(16).padStart(40, '0');
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = Number.parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function run() {
  const inputs = Array.from({ length: 1024 }, (_, k) =>
    new Uint8Array(20).map((_, i) => (k * 131 + i * 17 + 3) & 0xff),
  );
  for (const b of inputs.slice(0, 16)) {
    const want = idFromBytes(b);
    if (viaHexString(b) !== want || via48BitChunks(b) !== want || viaDataView64(b) !== want) {
      throw new Error('id reading approaches disagree');
    }
  }
  const ids = inputs.map(idFromBytes);
  const low = (x) => Number(x & 1n);
  const u64Input = new Uint8Array(8).fill(0xa5);
  const cachedView = new DataView(u64Input.buffer);
  return [
    row(
      name,
      'idFromBytes(20 B): 32-bit words + BigInt shifts (shipped)',
      opsPerSecond((i) => consume(low(idFromBytes(inputs[i & 1023])))),
      'ids/s',
    ),
    row(
      name,
      'read 20 B via hex string + BigInt("0x…")',
      opsPerSecond((i) => consume(low(viaHexString(inputs[i & 1023])))),
      'ids/s',
    ),
    row(
      name,
      'read 20 B via 48-bit number chunks',
      opsPerSecond((i) => consume(low(via48BitChunks(inputs[i & 1023])))),
      'ids/s',
    ),
    row(
      name,
      'read 20 B via DataView 64-bit chunks',
      opsPerSecond((i) => consume(low(viaDataView64(inputs[i & 1023])))),
      'ids/s',
    ),
    row(
      name,
      'idToBytes(id, 160): 32-bit words (shipped)',
      opsPerSecond((i) => consume(idToBytes(ids[i & 1023], 160)[0])),
      'ids/s',
    ),
    row(
      name,
      'write 20 B via toString(16) + parseInt',
      opsPerSecond((i) => consume(toBytesViaHex(ids[i & 1023])[0])),
      'ids/s',
    ),
    row(
      name,
      'Reader.u64(): two u32 + BigInt shift (shipped)',
      opsPerSecond(() => consume(low(new Reader(u64Input).u64()))),
      'reads/s',
      'includes new Reader()',
    ),
    row(
      name,
      'u64 via new DataView per message',
      opsPerSecond(() => consume(low(new DataView(u64Input.buffer).getBigUint64(0)))),
      'reads/s',
    ),
    row(
      name,
      'u64 via a cached DataView',
      opsPerSecond(() => consume(low(cachedView.getBigUint64(0)))),
      'reads/s',
      'not usable: one view per input buffer',
    ),
  ];
}
