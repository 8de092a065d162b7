// The one id type (IdSpace, binary-string ids) side by side with the bigint functions of ring.ts
// and ids.ts, operation by operation: Chord (160-bit, intervals, fingers), Pastry (128-bit,
// b = 4 digits, numeric distance) and Kelips (mod k). Rows come in pairs "<op>: ours" and
// "<op>: bigint", ops/s each, so the report shows the ratio.
// Run alone: node bench/id-space.js (after building core).
import {
  addPow2,
  createRandom,
  digitAt,
  idFromBytes,
  idSpace,
  idToBytes,
  inHalfOpen,
  inOpen,
  keyId,
  modK,
  ringDistance,
  sharedPrefixLength,
} from '../dist/index.js';
import { consume, format, opsPerSecond, row } from './lib.js';

export const name = 'id-space';

const N = 1024; // ids per pool: large enough to defeat branch prediction on one pair

function pools(m, b) {
  const space = idSpace(m, b);
  const random = createRandom(`id-space-${m}`);
  const bytes = Array.from({ length: N }, () => space.toBytes(space.random(random)));
  const ids = bytes.map((x) => space.fromBytes(x));
  const big = bytes.map((x) => idFromBytes(x));
  return { space, bytes, ids, big };
}

function pair(rows, op, ours, bigint, note = '') {
  rows.push(row(name, `${op}: ours`, opsPerSecond(ours), 'ops/s', note));
  rows.push(row(name, `${op}: bigint`, opsPerSecond(bigint), 'ops/s', note));
}

export async function run() {
  const rows = [];
  const mask = N - 1;
  const chord = pools(160, 4);
  const pastry = pools(128, 4);
  {
    const { space, bytes, ids, big } = chord;
    const m = 160;
    pair(
      rows,
      'from 20 wire bytes',
      (i) => consume(space.fromBytes(bytes[i & mask]).length),
      (i) => consume(Number(idFromBytes(bytes[i & mask]) & 1n)),
    );
    pair(
      rows,
      'to 20 wire bytes',
      (i) => consume(space.toBytes(ids[i & mask]).length),
      (i) => consume(idToBytes(big[i & mask], m).length),
    );
    pair(
      rows,
      'inOpen (Chord)',
      (i) => consume(space.inOpen(ids[i & mask], ids[(i + 1) & mask], ids[(i + 2) & mask]) ? 1 : 0),
      (i) => consume(inOpen(big[i & mask], big[(i + 1) & mask], big[(i + 2) & mask]) ? 1 : 0),
    );
    pair(
      rows,
      'inHalfOpen (Chord)',
      (i) =>
        consume(space.inHalfOpen(ids[i & mask], ids[(i + 1) & mask], ids[(i + 2) & mask]) ? 1 : 0),
      (i) => consume(inHalfOpen(big[i & mask], big[(i + 1) & mask], big[(i + 2) & mask]) ? 1 : 0),
    );
    pair(
      rows,
      'clockwise distance',
      (i) => consume(space.distance(ids[i & mask], ids[(i + 1) & mask]).length),
      (i) => consume(Number(ringDistance(big[i & mask], big[(i + 1) & mask], m) & 1n)),
    );
    pair(
      rows,
      'finger start (id + 2^i)',
      (i) => consume(space.addPow2(ids[i & mask], i % m).length),
      (i) => consume(Number(addPow2(big[i & mask], i % m, m) & 1n)),
    );
    const mapIds = new Map(ids.map((id, k) => [id, k]));
    const mapBig = new Map(big.map((id, k) => [id, k]));
    pair(
      rows,
      'Map lookup by id',
      (i) => consume(mapIds.get(ids[(i * 7) & mask])),
      (i) => consume(mapBig.get(big[(i * 7) & mask])),
    );
    pair(
      rows,
      'SHA-1 key id (m = 160)',
      (i) => consume(space.keyId(`key-${i & mask}`).length),
      (i) => consume(Number(keyId(`key-${i & mask}`, m) & 1n)),
    );
  }
  {
    const { space, ids, big } = pastry;
    const m = 128;
    const b = 4;
    pair(
      rows,
      'digit (Pastry, b = 4)',
      (i) => consume(space.digit(ids[i & mask], i & 31)),
      (i) => consume(digitAt(big[i & mask], m, b, i & 31)),
    );
    pair(
      rows,
      'shared prefix length (Pastry)',
      (i) => consume(space.sharedPrefixLength(ids[i & mask], ids[(i + 1) & mask])),
      (i) => consume(sharedPrefixLength(big[i & mask], big[(i + 1) & mask], m, b)),
    );
    const size = 1n << 128n;
    const absBig = (a, c) => {
      const d = (((c - a) % size) + size) % size;
      return d < size - d ? d : size - d;
    };
    pair(
      rows,
      'which is closer to key (Pastry)',
      (i) =>
        consume(space.compareDistance(ids[i & mask], ids[(i + 1) & mask], ids[(i + 2) & mask])),
      (i) =>
        consume(
          absBig(big[i & mask], big[(i + 1) & mask]) < absBig(big[i & mask], big[(i + 2) & mask])
            ? 1
            : 0,
        ),
      'bigint side ignores the tie rule',
    );
    pair(
      rows,
      'id mod k (Kelips, k = 317)',
      (i) => consume(space.modK(ids[i & mask], 317)),
      (i) => consume(modK(big[i & mask], 317)),
    );
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) {
    console.log(`  ${r.name.padEnd(44)} ${format(r.value).padStart(10)} ${r.unit}`);
  }
}
