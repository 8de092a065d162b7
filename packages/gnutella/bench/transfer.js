/**
 * HTTP transfer: a servent shares one file of --size MiB; a second servent downloads it over
 * loopback (GET /get/0/<name>, urn verified), then curl fetches the same URL from the same
 * servent into a file (the same disk work; ours also re-reads the file to check its SHA-1 urn).
 * Best of --runs each; prints one JSON line with MiB/s for both and their ratio.
 *
 *   node bench/transfer.js [--size 256] [--runs 3]
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { openSharedFolder, realRuntime } from '@p2pkit/core/node';
import { Servent } from '../dist/index.js';

const { values } = parseArgs({
  options: { size: { type: 'string', default: '256' }, runs: { type: 'string', default: '3' } },
});
const sizeMiB = Number(values.size);
const runs = Number(values.runs);
const dir = await mkdtemp(join(tmpdir(), 'gnutella-bench-'));
const name = 'payload.bin';
await mkdir(join(dir, 'share'));
await new Promise((resolve, reject) => {
  const out = createWriteStream(join(dir, 'share', name)).on('error', reject);
  let i = 0;
  const more = () => {
    while (i < sizeMiB) {
      const chunk = new Uint8Array(1024 * 1024);
      for (let k = 0; k < chunk.length; k += 4096) chunk[k] = (i + k) & 0xff;
      i++;
      if (!out.write(chunk)) return void out.once('drain', more);
    }
    out.end(resolve);
  };
  more();
});

const runtime = realRuntime({ host: '127.0.0.1' });
const share = await openSharedFolder(join(dir, 'share'), { create: false });
const holder = new Servent({
  runtime,
  role: 'ultrapeer',
  folder: share,
  maintain: false,
  pingIntervalMs: 0,
});
await holder.start();
const [file] = await holder.shareFolder(share);
const fetcher = new Servent({ runtime, role: 'leaf', maintain: false, pingIntervalMs: 0 });
await fetcher.start();
const hit = {
  name,
  size: file.size,
  index: file.index,
  host: holder.address.host,
  port: holder.address.port,
  urn: file.urn,
  serventId: holder.serventId,
  push: false,
  hops: 1,
};
const url = `http://${hit.host}:${hit.port}/get/${hit.index}/${name}`;
const mibps = (ms) => Math.round((sizeMiB / (ms / 1000)) * 10) / 10;
let ours = 0;
let curl = 0;
for (let r = 0; r < runs; r++) {
  const inbox = await openSharedFolder(join(dir, `inbox-${r}`));
  let t = performance.now();
  await fetcher.download(hit, { folder: inbox });
  ours = Math.max(ours, mibps(performance.now() - t));
  await rm(join(dir, `inbox-${r}`), { recursive: true, force: true });
  t = performance.now();
  // Asynchronously: the servent serving curl lives in this process.
  await promisify(execFile)('curl', ['-sS', '-o', join(dir, `curl-${r}.bin`), url]);
  curl = Math.max(curl, mibps(performance.now() - t));
  await rm(join(dir, `curl-${r}.bin`), { force: true });
}
await fetcher.stop();
await holder.stop();
await runtime.close();
await rm(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    sizeMiB,
    runs,
    oursMiBps: ours,
    curlMiBps: curl,
    ratio: Math.round((ours / curl) * 1000) / 1000,
  }),
);
