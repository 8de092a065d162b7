import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetainfo } from '../../src/metainfo/parse.js';
import { createTorrentFromPath } from '../../src/node/create-torrent.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pkit-create-'));
  await mkdir(join(dir, 'share', 'sub'), { recursive: true });
  await writeFile(join(dir, 'share', 'a.bin'), new Uint8Array(40_000).fill(7));
  await writeFile(join(dir, 'share', 'sub', 'b.txt'), 'hello');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('createTorrentFromPath', () => {
  it('reads no clock: the same files give the same bytes, with no creation date', async () => {
    const options = { announce: 'http://127.0.0.1:1/announce', pieceLength: 16384 };
    const a = await createTorrentFromPath(join(dir, 'share'), options);
    const b = await createTorrentFromPath(join(dir, 'share'), options);
    expect(Buffer.from(a.torrent).equals(Buffer.from(b.torrent))).toBe(true);
    expect(parseMetainfo(a.torrent).creationDate).toBeUndefined();
  });

  it('writes the creation date it is given', async () => {
    const { torrent } = await createTorrentFromPath(join(dir, 'share'), { creationDate: 1234 });
    expect(parseMetainfo(torrent).creationDate).toBe(1234);
  });
});
