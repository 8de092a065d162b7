// HashRing at 10^4 members × 100 virtual nodes (10^6 points): build time, owner() per second.
import { HashRing } from '../dist/index.js';
import { consume, opsPerSecond, row } from './lib.js';

export const name = 'hash-ring';

export function run() {
  const members = 10_000;
  const virtualNodes = 100;
  const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const start = performance.now();
  const ring = new HashRing({ virtualNodes });
  for (let i = 0; i < members; i++) ring.add(`node-${i}`);
  ring.owner('warm-up'); // the first lookup applies the batched additions
  const buildMs = performance.now() - start;
  const heapAfter = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;

  const keys = Array.from({ length: 4096 }, (_, i) => `key-${i}`);
  const positions = keys.map((k) => ring.position(k));
  const churnStart = performance.now();
  ring.remove('node-17');
  ring.add('node-17b');
  ring.owner('x');
  const churnMs = performance.now() - churnStart;
  return [
    row(
      name,
      `build ${members} members × ${virtualNodes} vnodes`,
      buildMs,
      'ms',
      `~${((heapAfter - heapBefore) / 1e6).toFixed(0)} MB heap`,
    ),
    row(
      name,
      'owner(key) (SHA-1 of the key + binary search)',
      opsPerSecond((i) => consume(ring.owner(keys[i & 4095]).length)),
      'lookups/s',
    ),
    row(
      name,
      'ownerAt(position) (binary search only)',
      opsPerSecond((i) => consume(ring.ownerAt(positions[i & 4095]).length)),
      'lookups/s',
    ),
    row(
      name,
      'successors(key, 3)',
      opsPerSecond((i) => consume(ring.successors(keys[i & 4095], 3).length)),
      'lookups/s',
    ),
    row(name, 'remove one member + add one, then first lookup', churnMs, 'ms'),
  ];
}
