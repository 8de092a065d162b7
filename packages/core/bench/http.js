// HTTP/1.1 throughput: one file served over loopback to curl, by core's createHttpServer (on
// realRuntime, the file read in 256 KiB FileHandle.read calls behind a ByteSource, as a
// SharedFolder reads) and by node:http (the same file piped from fs.createReadStream with a
// 256 KiB highWaterMark, the way a Node user serves a file), side by side in one run. Best of ROUNDS,
// alternating, so both see the same machine. Goal: ours >= 0.9x node:http.
// Run alone: node bench/http.js [--size-mib N] (after building core). Needs curl.
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createHttpServer } from '../dist/index.js';
import { realRuntime } from '../dist/node/index.js';
import { format, row } from './lib.js';

export const name = 'http';

const ROUNDS = 3;
const CHUNK = 256 * 1024; // as SharedFolder reads
const run$ = promisify(execFile);

function sizeFromArgs() {
  const at = process.argv.indexOf('--size-mib');
  return (at > 0 ? Number(process.argv[at + 1]) : 1024) * 1024 * 1024;
}

async function makeFile(dir, size) {
  const path = join(dir, 'payload.bin');
  const handle = await open(path, 'w');
  const block = new Uint8Array(4 * 1024 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 31 + 7) & 0xff;
  for (let written = 0; written < size; written += block.length) {
    await handle.write(block, 0, Math.min(block.length, size - written));
  }
  await handle.close();
  return path;
}

/** curl's view of one download: bytes and seconds. */
async function curl(url, size) {
  const { stdout } = await run$('curl', [
    '--silent',
    '--show-error',
    '--output',
    '/dev/null',
    '--write-out',
    '%{size_download} %{time_total}',
    url,
  ]);
  const [bytes, seconds] = stdout.trim().split(' ').map(Number);
  if (bytes !== size) throw new Error(`curl got ${bytes} bytes of ${size} from ${url}`);
  return seconds;
}

/** Peak RSS while `fn` runs (this process serves: its memory is the server's). */
async function withPeakRss(fn) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const value = await fn();
    return { value, peak: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

export async function run() {
  const size = sizeFromArgs();
  const dir = await mkdtemp(join(tmpdir(), 'p2pkit-http-bench-'));
  const runtime = realRuntime({ host: '127.0.0.1' });
  let ours;
  let node;
  try {
    const path = await makeFile(dir, size);
    const source = {
      size,
      async *stream(start, end) {
        const handle = await open(path, 'r');
        try {
          for (let at = start; at < end; ) {
            const buffer = Buffer.allocUnsafe(Math.min(CHUNK, end - at));
            const { bytesRead } = await handle.read(buffer, 0, buffer.length, at);
            if (bytesRead === 0) return;
            at += bytesRead;
            yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
          }
        } finally {
          await handle.close();
        }
      },
    };
    ours = await createHttpServer({
      runtime,
      handler: () => ({
        status: 200,
        headers: { 'Content-Type': 'application/octet-stream' },
        body: source,
      }),
    });
    node = createServer((_request, response) => {
      response.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': size,
      });
      createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(response);
    });
    await new Promise((resolve) => node.listen(0, '127.0.0.1', resolve));
    const oursUrl = `http://127.0.0.1:${ours.address.port}/payload.bin`;
    const nodeUrl = `http://127.0.0.1:${node.address().port}/payload.bin`;
    // Warm the page cache and both servers once.
    await curl(oursUrl, size);
    await curl(nodeUrl, size);
    let bestOurs = Number.POSITIVE_INFINITY;
    let bestNode = Number.POSITIVE_INFINITY;
    let peakOurs = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const a = await withPeakRss(() => curl(oursUrl, size));
      bestOurs = Math.min(bestOurs, a.value);
      peakOurs = Math.max(peakOurs, a.peak);
      bestNode = Math.min(bestNode, await curl(nodeUrl, size));
    }
    const mib = size / (1024 * 1024);
    const label = `${mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`} file over loopback to curl`;
    const oursRate = mib / bestOurs;
    const nodeRate = mib / bestNode;
    return [
      {
        ...row(
          name,
          `${label}: ours`,
          oursRate,
          'MiB/s',
          `best of ${ROUNDS}; server RSS peak ${Math.round(peakOurs / 2 ** 20)} MB`,
        ),
        goal: { ratio: 0.9, peer: 'node:http' },
      },
      row(name, `${label}: node:http`, nodeRate, 'MiB/s', `best of ${ROUNDS}`),
    ];
  } finally {
    await ours?.close();
    await new Promise((resolve) => (node ? node.close(resolve) : resolve()));
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run();
  for (const r of rows) {
    console.log(`  ${r.name.padEnd(52)} ${format(r.value).padStart(10)} ${r.unit}  ${r.note}`);
  }
  console.log(`  ours / node:http: ${(rows[0].value / rows[1].value).toFixed(2)}x (goal >= 0.9)`);
}
