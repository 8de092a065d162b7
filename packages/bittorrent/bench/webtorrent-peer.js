// WebTorrent (npm `webtorrent`, the client a JavaScript user would pick) as one peer in its own
// process, for the matrix benchmark (bench/matrix.js):
//   node bench/webtorrent-peer.js seed <file.torrent> <folder> <host>
//   node bench/webtorrent-peer.js get  <file.torrent> <folder> <host>
// Prints JSON lines: {"event":"ready"} (seed: verified, announced), {"event":"peer","ms":..} at
// its first connection, {"event":"done","ms":..,"maxRssMB":..} (get: every piece verified), ms
// since the process started. DHT, LSD, uTP, PEX and web seeds are off; it announces its listening
// address (`ip`), since dialing out it cannot choose a source address (the kernel picks 127.0.0.1).
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';

// webtorrent imports `webrtc-polyfill` (node-datachannel, native, not installed here) for
// browser peers only: a stub stands in for it, as in the interop tests (test/interop/webrtc-stub.ts).
register(
  `data:text/javascript,${encodeURIComponent(`
    const stub = 'data:text/javascript,' + encodeURIComponent(
      'class U { constructor() { throw new Error("no WebRTC in this benchmark"); } }' +
      'export const RTCPeerConnection = U, RTCSessionDescription = U, RTCIceCandidate = U;' +
      'export default { RTCPeerConnection: U, RTCSessionDescription: U, RTCIceCandidate: U };');
    export async function resolve(specifier, context, next) {
      if (specifier === 'webrtc-polyfill') return { url: stub, shortCircuit: true };
      return next(specifier, context);
    }`)}`,
);
const { default: WebTorrent } = await import('webtorrent');

const [mode, torrentPath, folder, host] = process.argv.slice(2);
const out = (o) => process.stdout.write(`${JSON.stringify({ ...o, ms: performance.now() })}\n`);
const client = new WebTorrent({
  torrentPort: { port: 0, host },
  dht: false,
  lsd: false,
  utp: false,
  utPex: false,
  webSeeds: false,
  natUpnp: false,
  natPmp: false,
  tracker: { getAnnounceOpts: () => ({ ip: host }) },
});
client.on('error', (error) => {
  process.stderr.write(`webtorrent: ${error.message}\n`);
  process.exit(1);
});
const torrent = client.add(await readFile(torrentPath), { path: folder });
let peered = false;
torrent.on('wire', () => {
  if (!peered) out({ event: 'peer' });
  peered = true;
});
const stop = () => client.destroy(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (mode === 'seed') {
  let ready = false;
  let announced = false;
  let said = false;
  const check = () => {
    if (ready && announced && !said) out({ event: 'ready' });
    said ||= ready && announced;
  };
  // Existing data is verified after 'ready'; 'done' says every piece checked out.
  const verified = () => {
    ready = true;
    check();
  };
  torrent.once('ready', () => (torrent.done ? verified() : torrent.once('done', verified)));
  torrent.once('trackerAnnounce', () => {
    announced = true;
    check();
  });
} else {
  torrent.once('done', () => {
    out({ event: 'done', maxRssMB: process.resourceUsage().maxRSS / 1024 });
    client.destroy(() => process.exit(0));
  });
}
