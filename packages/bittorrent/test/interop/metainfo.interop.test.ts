/**
 * Metainfo cross-checks against implementations we did not write: npm create-torrent and
 * parse-torrent (webtorrent family), and Debian's aria2c when it is installed (`aria2c -S`).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import createTorrent from 'create-torrent';
import parseTorrent, { toMagnetURI } from 'parse-torrent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/bencode/index.js';
import { formatMagnet, parseMagnet } from '../../src/magnet.js';
import { parseMetainfo, pieceHash } from '../../src/metainfo/index.js';
import { createTorrentFromPath, nodeHasher } from '../../src/node/index.js';
import { findTool, itWithTools } from './tools.js';

const ARIA2C = findTool('aria2c');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pkit-meta-'));
  await mkdir(join(dir, 'album', 'disc 1'), { recursive: true });
  await writeFile(join(dir, 'album', 'cover.jpg'), randomBytes(70_001));
  await writeFile(join(dir, 'album', 'disc 1', 'track é.flac'), randomBytes(123_457));
  await writeFile(join(dir, 'album', 'disc 1', 'z.txt'), randomBytes(5));
  await writeFile(join(dir, 'single.bin'), randomBytes(300_000));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function theirCreate(path: string, pieceLength: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    createTorrent(
      path,
      {
        pieceLength,
        announceList: [['http://127.0.0.1:1/announce']],
        createdBy: 'x',
        creationDate: 1,
      },
      (err: Error | null, torrent: Uint8Array) => (err ? reject(err) : resolve(torrent)),
    ),
  );
}

describe('metainfo interop', () => {
  for (const target of ['album', 'single.bin']) {
    it(`${target}: create-torrent → our parser agrees with parse-torrent`, async () => {
      const theirs = await theirCreate(join(dir, target), 32768);
      const ours = parseMetainfo(theirs, { hasher: nodeHasher });
      const reference = await parseTorrent(theirs);
      expect(ours.infoHashHex).toBe(reference.infoHash);
      expect(ours.name).toBe(reference.name);
      expect(ours.pieceLength).toBe(reference.pieceLength);
      expect(ours.files.map((f) => [f.path.join('/'), f.length, f.offset])).toEqual(
        reference.files.map((f: { path: string; length: number; offset: number }) => [
          f.path.replaceAll('\\', '/'),
          f.length,
          f.offset,
        ]),
      );
      expect(Array.from({ length: ours.pieceCount }, (_, i) => toHex(pieceHash(ours, i)))).toEqual(
        reference.pieces,
      );
    });

    it(`${target}: ours → parse-torrent agrees, and on the same settings the info-hash equals create-torrent's`, async () => {
      const { torrent, metainfo } = await createTorrentFromPath(join(dir, target), {
        announce: 'http://127.0.0.1:1/announce',
        pieceLength: 32768,
      });
      const reference = await parseTorrent(torrent);
      expect(reference.infoHash).toBe(metainfo.infoHashHex);
      expect(reference.length).toBe(metainfo.length);
      expect(reference.announce).toEqual(['http://127.0.0.1:1/announce']);
      // Same files, same order, same piece length: an identical info dictionary.
      const theirs = await parseTorrent(await theirCreate(join(dir, target), 32768));
      expect(metainfo.infoHashHex).toBe(theirs.infoHash);
    });
  }

  it('magnet links round-trip with parse-torrent', async () => {
    const { metainfo } = await createTorrentFromPath(join(dir, 'single.bin'), {
      announceList: [['http://127.0.0.1:1/announce', 'udp://127.0.0.1:2']],
    });
    const ours = formatMagnet({
      infoHash: metainfo.infoHash,
      name: metainfo.name,
      trackers: metainfo.announceList.flat(),
    });
    const theirView = await parseTorrent(ours);
    expect(theirView.infoHash).toBe(metainfo.infoHashHex);
    expect(theirView.name).toBe('single.bin');
    expect(theirView.announce).toEqual(['http://127.0.0.1:1/announce', 'udp://127.0.0.1:2']);
    const theirs = toMagnetURI({
      infoHash: metainfo.infoHashHex,
      name: 'a b',
      announce: ['udp://x:1'],
    });
    expect(parseMagnet(theirs)).toMatchObject({
      infoHashHex: metainfo.infoHashHex,
      name: 'a b',
      trackers: ['udp://x:1'],
    });
  });

  itWithTools(
    'aria2c -S reads our torrents with the same info-hash and files',
    { aria2c: ARIA2C },
    async () => {
      for (const target of ['album', 'single.bin']) {
        const { torrent, metainfo } = await createTorrentFromPath(join(dir, target), {
          announce: 'http://127.0.0.1:1/announce',
        });
        const file = join(dir, `${target}.torrent`);
        await writeFile(file, torrent);
        const shown = execFileSync(ARIA2C!, ['-S', file], { encoding: 'utf8' });
        expect(shown).toMatch(new RegExp(`Info Hash: ${metainfo.infoHashHex}`, 'i'));
        expect(shown).toContain(`Piece Length: ${metainfo.pieceLength / 1024}KiB`);
        for (const f of metainfo.files) expect(shown).toContain(`./${f.path.join('/')}`);
      }
    },
  );
});
