// Formats and trackers benchmark: metainfo creation (piece hashing) of a random file on disk,
// .torrent parsing, bencode decode/encode, and tracker announces per second (HTTP and UDP,
// ours -> ours on 127.0.0.1). Figures, not pass/fail. Usage (after
// `pnpm turbo run build --filter=@p2pkit/bittorrent...`):
//   node bench/formats.js [--size MiB] [--announces N]
// Writes bench/results/formats.json and bench/results/formats.md.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realRuntime } from '@p2pkit/core/node';
import {
  bdecode,
  bencode,
  createTracker,
  createTrackerClient,
  parseMetainfo,
} from '../dist/index.js';
import { createTorrentFromPath, nodeHasher } from '../dist/node/index.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const sizeMiB = Number(opt('size', '256'));
const announces = Number(opt('announces', '2000'));
const here = new URL('.', import.meta.url).pathname;
const results = { node: process.version, sizeMiB };

// 1. createTorrentFromPath: hashing a file on disk (node:crypto SHA-1, streamed reads).
const work = join(tmpdir(), `p2pkit-formats-bench-${process.pid}`);
await mkdir(work, { recursive: true });
const file = join(work, 'data.bin');
{
  const handle = await open(file, 'w');
  for (let i = 0; i < sizeMiB; i++) await handle.write(randomBytes(1024 * 1024));
  await handle.close();
}
for (const pieceLength of [256 * 1024, undefined]) {
  const t0 = performance.now();
  const { torrent, metainfo } = await createTorrentFromPath(file, {
    announce: 'http://127.0.0.1:1/announce',
    ...(pieceLength ? { pieceLength } : {}),
  });
  const seconds = (performance.now() - t0) / 1000;
  const key = `create_${metainfo.pieceLength / 1024}KiB`;
  results[key] = { seconds, mibPerS: sizeMiB / seconds, pieces: metainfo.pieceCount };
  console.log(
    `create ${sizeMiB} MiB, ${metainfo.pieceLength / 1024} KiB pieces: ${seconds.toFixed(2)} s (${(sizeMiB / seconds).toFixed(0)} MiB/s)`,
  );

  // 2. parseMetainfo of that torrent, with node:crypto and with core's portable SHA-1.
  for (const [label, hasher] of [
    ['node', nodeHasher],
    ['portable', undefined],
  ]) {
    const n = 2000;
    const p0 = performance.now();
    for (let i = 0; i < n; i++) parseMetainfo(torrent, hasher ? { hasher } : {});
    const us = ((performance.now() - p0) * 1000) / n;
    results[`parse_${metainfo.pieceLength / 1024}KiB_${label}_us`] = us;
    console.log(`parse ${torrent.length} B torrent (${label} sha1): ${us.toFixed(1)} µs`);
  }
}
await rm(work, { recursive: true, force: true });

// 3. bencode throughput on a large torrent-like value (100,000 pieces, 1,000 files).
{
  const value = {
    announce: 'http://tracker.example/announce',
    info: {
      files: Array.from({ length: 1000 }, (_, i) => ({
        length: i * 1000 + 1,
        path: ['dir', `file-${i}.bin`],
      })),
      name: 'big',
      'piece length': 262144,
      pieces: randomBytes(2_000_000),
    },
  };
  const bytes = bencode(value);
  const rounds = 50;
  const e0 = performance.now();
  for (let i = 0; i < rounds; i++) bencode(value);
  const encodeMs = (performance.now() - e0) / rounds;
  const d0 = performance.now();
  for (let i = 0; i < rounds; i++) bdecode(bytes);
  const decodeMs = (performance.now() - d0) / rounds;
  results.bencode = { bytes: bytes.length, encodeMs, decodeMs };
  console.log(
    `bencode ${bytes.length} B: encode ${encodeMs.toFixed(2)} ms, decode ${decodeMs.toFixed(2)} ms`,
  );
}

// 4. Tracker announces per second, one client, sequential (latency-bound), ours -> ours.
{
  const serverRuntime = realRuntime({ host: '127.0.0.1' });
  const clientRuntime = realRuntime({ host: '127.0.0.1' });
  const tracker = await createTracker({ runtime: serverRuntime });
  const client = createTrackerClient({ runtime: clientRuntime });
  for (const url of tracker.announceUrls) {
    const kind = url.split(':')[0];
    const t0 = performance.now();
    for (let i = 0; i < announces; i++) {
      const peerId = new Uint8Array(20);
      new DataView(peerId.buffer).setUint32(16, i % 500);
      await client.announce(url, {
        infoHash: new Uint8Array(20).fill(i % 10),
        peerId,
        port: 1000 + (i % 500),
        uploaded: 0,
        downloaded: 0,
        left: i % 2,
      });
    }
    const perS = announces / ((performance.now() - t0) / 1000);
    results[`announces_per_s_${kind}`] = perS;
    console.log(`${kind} announces, sequential: ${perS.toFixed(0)}/s`);
  }
  await client.close();
  await tracker.close();
  await Promise.all([serverRuntime.close(), clientRuntime.close()]);
}

await mkdir(join(here, 'results'), { recursive: true });
await writeFile(join(here, 'results', 'formats.json'), `${JSON.stringify(results, null, 2)}\n`);
const md = [
  `# Formats and trackers benchmark (${new Date().toISOString().slice(0, 10)}, Node ${process.version})`,
  '',
  `Command: \`node bench/formats.js --size ${sizeMiB} --announces ${announces}\``,
  '',
  '```json',
  JSON.stringify(results, null, 2),
  '```',
  '',
].join('\n');
await writeFile(join(here, 'results', 'formats.md'), md);
