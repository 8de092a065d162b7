// One of our peers in its own process, for the throughput benchmark (and handy by hand).
//   node bench/peer.js seed <file.torrent> <folder> <host> <port>
//   node bench/peer.js get  <file.torrent> <folder> <host> <peer-host:port>
// Prints JSON lines: {"event":"ready",...} for seed (and {"event":"stopped","maxRssMB":..} when
// stopped), {"event":"done","ms":..,"maxRssMB":..,"firstPeerMs":..} for get; `ms` counts from
// the client's start, `firstPeerMs` and `startMs` from the process's (performance.now()).
import { readFile } from 'node:fs/promises';
import { parseAddress } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { createClient, parseMetainfo } from '../dist/index.js';
import { fileStorage } from '../dist/node/index.js';

const [mode, torrentPath, folder, host, arg] = process.argv.slice(2);
const runtime = realRuntime({ host });
const meta = parseMetainfo(await readFile(torrentPath), { hasher: runtime.hash });
const started = performance.now();
const client = await createClient({
  runtime,
  storage: fileStorage({ folder }),
  port: mode === 'seed' ? Number(arg) : 0,
  settings: {
    announce: process.env.BT_ANNOUNCE !== '0',
    seed: mode === 'seed',
    encryption: process.env.BT_ENCRYPTION ?? 'enabled',
  },
});
// `tracker` as the peer: find the seeder through the torrent's tracker instead.
const peers = mode === 'get' && arg !== 'tracker' ? [parseAddress(arg)] : [];
const torrent = await client.add(meta, { peers });
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
let firstPeerMs;
torrent.once('peer', () => {
  firstPeerMs = performance.now();
});
if (process.env.BT_TRACE) {
  const t =
    (what) =>
    (...a) =>
      process.stderr.write(
        `${(performance.now() - started).toFixed(0)}ms ${what} ${a.map((x) => x?.message ?? x?.host ?? x?.encryption ?? '').join(' ')}\n`,
      );
  torrent.on('peer', t('peer'));
  torrent.on('warning', t('warning'));
  torrent.on('ready', t('ready'));
  let n = 0;
  torrent.on('piece', () => {
    n++;
    if (n === 1 || n % 128 === 0)
      process.stderr.write(`${(performance.now() - started).toFixed(0)}ms piece #${n}\n`);
  });
}
if (mode === 'seed') {
  out({ event: 'ready', port: client.address.port, ms: performance.now() - started });
  const stop = async () => {
    await client.stop();
    await runtime.close();
    out({ event: 'stopped', maxRssMB: process.resourceUsage().maxRSS / 1024 });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  torrent.on('done', async () => {
    const ms = performance.now() - started;
    if (process.env.BT_TRACE) process.stderr.write(`${ms.toFixed(0)}ms done\n`);
    await client.stop();
    await runtime.close();
    if (process.env.BT_TRACE)
      process.stderr.write(`${(performance.now() - started).toFixed(0)}ms stopped\n`);
    out({
      event: 'done',
      ms,
      startMs: started,
      firstPeerMs,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
    });
    process.exit(0);
  });
}
