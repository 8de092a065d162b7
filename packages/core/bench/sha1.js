// SHA-1 and id derivation: our portable sha1 against node:crypto (the native limit).
import { createHash } from 'node:crypto';
import { nodeId, sha1, truncateId } from '../dist/index.js';
import { consume, opsPerSecond, row } from './lib.js';

export const name = 'sha1';

export function run() {
  const rows = [];
  for (const size of [20, 64, 1024, 16 * 1024, 1024 * 1024]) {
    const data = new Uint8Array(size).map((_, i) => (i * 31 + 7) & 0xff);
    const minTimeMs = size > 100_000 ? 600 : 250;
    const ours = opsPerSecond(() => consume(sha1(data)[0]), { minTimeMs });
    const node = opsPerSecond(() => consume(createHash('sha1').update(data).digest()[0]), {
      minTimeMs,
    });
    const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
    rows.push(
      row(name, `sha1 ${label}: ours`, (ours * size) / 1e6, 'MB/s', `${ours.toFixed(0)} hashes/s`),
    );
    rows.push(
      row(
        name,
        `sha1 ${label}: node:crypto`,
        (node * size) / 1e6,
        'MB/s',
        `${node.toFixed(0)} hashes/s`,
      ),
    );
  }
  // Ids: hash "host:port" and keep m bits, the way every Chord node and key gets its id.
  const hosts = Array.from({ length: 1024 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
  rows.push(
    row(
      name,
      'nodeId(host, port, 160): ours',
      opsPerSecond((i) => consume(Number(nodeId(hosts[i & 1023], 4000 + (i & 7), 160) & 1n))),
      'ids/s',
    ),
    row(
      name,
      'truncateId(node:crypto sha1, 160)',
      opsPerSecond((i) =>
        consume(
          Number(
            truncateId(
              createHash('sha1')
                .update(`${hosts[i & 1023]}:${4000 + (i & 7)}`)
                .digest(),
              160,
            ) & 1n,
          ),
        ),
      ),
      'ids/s',
    ),
    row(
      name,
      'node:crypto sha1 of host:port alone (the limit)',
      opsPerSecond((i) =>
        consume(
          createHash('sha1')
            .update(`${hosts[i & 1023]}:${4000 + (i & 7)}`)
            .digest()[0],
        ),
      ),
      'hashes/s',
    ),
    row(
      name,
      'nodeId(host, port, 32): ours',
      opsPerSecond((i) => consume(Number(nodeId(hosts[i & 1023], 4000 + (i & 7), 32) & 1n))),
      'ids/s',
    ),
  );
  return rows;
}
