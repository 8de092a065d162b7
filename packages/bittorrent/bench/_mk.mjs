import { writeFile } from 'node:fs/promises';
import { realRuntime } from '@p2pkit/core/node';
import { createTorrentFromPath } from '../dist/node/index.js';

const rt = realRuntime();
const { torrent, metainfo } = await createTorrentFromPath(process.argv[2], {
  hasher: rt.hash,
  pieceLength: 262144,
  announce: process.argv[4],
});
await writeFile(process.argv[3], torrent);
console.log(metainfo.infoHashHex);
await rt.close();
