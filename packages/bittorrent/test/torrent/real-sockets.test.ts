/**
 * End to end on real TCP: our tracker, a seeder and two leechers, each on its own 127.0.0.x
 * address, with files on disk. Small file: this is about the real stack, not speed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realRuntime } from '@p2pkit/core/node';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, createTracker, type Torrent } from '../../src/index.js';
import { createTorrentFromPath, fileStorage } from '../../src/node/index.js';

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

const done = (torrent: Torrent, ms: number) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('download did not finish')), ms);
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    if (torrent.complete) finish();
    torrent.once('done', finish);
    torrent.once('error', reject);
  });

describe('real sockets, 127.0.0.x', () => {
  it('tracker + seeder + two leechers over TCP, files compared by SHA-256', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'p2pkit-bt-real-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'seed', 'album'), { recursive: true });
    await writeFile(join(dir, 'seed', 'album', 'one.bin'), randomBytes(700_001));
    await writeFile(join(dir, 'seed', 'album', 'two.bin'), randomBytes(333_333));
    const trackerRuntime = realRuntime({ host: '127.0.0.81' });
    cleanups.push(() => trackerRuntime.close());
    const tracker = await createTracker({
      runtime: trackerRuntime,
      http: { port: 0 },
      udp: { port: 0 },
    });
    cleanups.push(() => tracker.close());
    const { metainfo } = await createTorrentFromPath(join(dir, 'seed', 'album'), {
      announceList: [
        [tracker.announceUrls.find((u) => u.startsWith('udp'))!],
        [tracker.announceUrls[0]!],
      ],
      pieceLength: 32768,
    });
    const start = async (host: string, folder: string) => {
      const runtime = realRuntime({ host });
      const client = await createClient({ runtime, storage: fileStorage({ folder }) });
      cleanups.push(async () => {
        await client.stop();
        await runtime.close();
        expect(runtime.openHandles()).toBe(0);
      });
      return client.add(metainfo);
    };
    const seeding = await start('127.0.0.82', join(dir, 'seed'));
    expect(seeding.state).toBe('seeding');
    const a = await start('127.0.0.83', join(dir, 'a'));
    const b = await start('127.0.0.84', join(dir, 'b'));
    await Promise.all([done(a, 20_000), done(b, 20_000)]);
    for (const name of ['one.bin', 'two.bin']) {
      const expected = await sha256(join(dir, 'seed', 'album', name));
      expect(await sha256(join(dir, 'a', 'album', name))).toBe(expected);
      expect(await sha256(join(dir, 'b', 'album', name))).toBe(expected);
    }
  }, 30_000);
});
