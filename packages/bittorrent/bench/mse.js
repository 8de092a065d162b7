// MSE costs: a whole handshake computed by both roles in memory (two 768-bit DH key pairs and
// two shared secrets, bigint modpow, plus the SHA-1s and RC4 set-up), and RC4 throughput (what
// an RC4-selected connection pays per byte). Usage: node bench/mse.js
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { importInternal } from './internal.js';

// Internals (the package exports the user's API only): compiled from src/ for this benchmark.
const { MseInitiator, MseResponder, mseReq2Hash } = await importInternal('mse/handshake.js');
const { RC4 } = await importInternal('mse/rc4.js');

const runtime = realRuntime();
const sha1 = (d) => runtime.hash.sha1(d);
const random = createRandom(1);
const infoHash = random.bytes(20);
const req2 = Buffer.from(mseReq2Hash(infoHash, sha1)).toString('hex');

function handshake() {
  const a = new MseInitiator({ infoHash, random, sha1, initialPayload: new Uint8Array(68) });
  const b = new MseResponder({
    random,
    sha1,
    findInfoHash: (h) => (Buffer.from(h).toString('hex') === req2 ? infoHash : undefined),
  });
  let toB = a.start();
  let doneA = false;
  let doneB = false;
  while (!doneA || !doneB) {
    const sb = b.receive(toB);
    doneB ||= sb.done !== undefined;
    const sa = a.receive(sb.send ?? new Uint8Array(0));
    doneA ||= sa.done !== undefined;
    toB = sa.send ?? new Uint8Array(0);
  }
}

for (let i = 0; i < 5; i++) handshake(); // warm up
const n = 200;
let t = performance.now();
for (let i = 0; i < n; i++) handshake();
const handshakeMs = (performance.now() - t) / n;

const data = random.bytes(64 << 20);
const rc4 = new RC4(random.bytes(20));
rc4.apply(data.subarray(0, 1 << 20));
t = performance.now();
rc4.apply(data);
const rc4MiBps = 64 / ((performance.now() - t) / 1000);

const results = { handshakeMsBothRoles: handshakeMs, rc4MiBps };
console.log(
  `MSE handshake, both roles (2 DH key pairs + 2 secrets, 768-bit): ${handshakeMs.toFixed(2)} ms`,
);
console.log(`RC4: ${rc4MiBps.toFixed(0)} MiB/s`);
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'mse.json');
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
await runtime.close();
