/**
 * Interop with webtorrent 2.8 (npm) as a peer, both ways, over real TCP on 127.0.0.x: our
 * seeder → their leecher, their seeder → our leecher, magnet links (BEP 9) both ways, our HTTP
 * tracker with their peers, and their tracker (bittorrent-tracker's server) with ours. Files
 * are compared by SHA-256. On failure the test prints both sides' logs (see the harness).
 */
import { join } from 'node:path';
import { realRuntime } from '@p2pkit/core/node';
import Server from 'bittorrent-tracker/server';
import { describe, expect, it } from 'vitest';
import { parseMetainfo } from '../../src/metainfo/parse.js';
import { createTorrentFromPath, nodeHasher } from '../../src/node/index.js';
import { createTracker } from '../../src/tracker/index.js';
import { Harness, sha256File, writeRandomFile } from './webtorrent-harness.js';

const MiB = 1 << 20;
/** Waits for a whole transfer of a few MiB on loopback: seconds normally, bounded. */
const TRANSFER_MS = 30_000;
const TEST_MS = 60_000;

/** A single file of `size` random bytes in a fresh folder; returns the folder and file path. */
async function singleFile(h: Harness, label: string, name: string, size: number) {
  const folder = await h.folder(label);
  const path = join(folder, name);
  await writeRandomFile(path, size);
  return { folder, path, sha256: await sha256File(path) };
}

describe('webtorrent 2.8 as a peer', () => {
  it(
    'our seeder → webtorrent leecher (multi-file torrent, .torrent file)',
    async () => {
      const h = new Harness();
      const seedFolder = await h.folder('seed');
      // Sizes off the 16 KiB block grid, a file boundary inside a piece.
      const files = { 'a.bin': 3 * MiB + 12_345, 'sub/b.bin': MiB + 777 };
      for (const [rel, size] of Object.entries(files))
        await writeRandomFile(join(seedFolder, 'set', rel), size);
      const { torrent } = await createTorrentFromPath(join(seedFolder, 'set'), {
        pieceLength: 256 * 1024,
        hasher: nodeHasher,
      });

      const ours = await h.ours('p2pkit-seed', '127.0.0.2', seedFolder);
      const seeding = await ours.add(torrent);
      expect(seeding.state).toBe('seeding');

      const theirs = await h.theirs('wt-leech', '127.0.0.3');
      const leechFolder = await h.folder('leech');
      const leeching = await h.theirAdd(
        theirs,
        torrent,
        leechFolder,
        `127.0.0.2:${ours.address.port}`,
      );
      await h.within(h.theirEvent(leeching, 'done'), TRANSFER_MS, 'webtorrent download done');

      for (const rel of Object.keys(files)) {
        expect(await sha256File(join(leechFolder, 'set', rel))).toBe(
          await sha256File(join(seedFolder, 'set', rel)),
        );
      }
      expect(seeding.progress().uploaded).toBeGreaterThanOrEqual(4 * MiB);
    },
    TEST_MS,
  );

  it(
    'webtorrent seeder → our leecher (their .torrent file)',
    async () => {
      const h = new Harness();
      const source = await singleFile(h, 'seed', 'data.bin', 4 * MiB + 4321);
      const theirs = await h.theirs('wt-seed', '127.0.0.4');
      const seeding = await h.theirSeed(theirs, source.path);
      // Their metainfo, parsed by ours: same info-hash.
      const meta = parseMetainfo(seeding.torrentFile, { hasher: nodeHasher });
      expect(meta.infoHashHex).toBe(seeding.infoHash);

      const leechFolder = await h.folder('leech');
      const ours = await h.ours('p2pkit-leech', '127.0.0.5', leechFolder);
      const leeching = await ours.add(seeding.torrentFile, {
        peers: [{ host: '127.0.0.4', port: h.port(theirs) }],
      });
      const peers: string[] = [];
      leeching.on('peer', (p) => peers.push(p.encryption));
      await h.within(h.ourDone(leeching), TRANSFER_MS, 'our download done');

      expect(await sha256File(join(leechFolder, 'data.bin'))).toBe(source.sha256);
      // webtorrent does not speak MSE unless `secure`: we fell back to a plain handshake.
      expect(peers).toEqual(['plain']);
    },
    TEST_MS,
  );

  it(
    'magnet link: our leecher gets the metadata from a webtorrent seeder (BEP 9), then the data',
    async () => {
      const h = new Harness();
      const source = await singleFile(h, 'seed', 'magnet.bin', 2 * MiB + 99);
      const theirs = await h.theirs('wt-seed', '127.0.0.6');
      const seeding = await h.theirSeed(theirs, source.path);

      const leechFolder = await h.folder('leech');
      const ours = await h.ours('p2pkit-leech', '127.0.0.7', leechFolder);
      // The seeder's address rides in the magnet link (x.pe).
      const magnet = `magnet:?xt=urn:btih:${seeding.infoHash}&dn=magnet.bin&x.pe=127.0.0.6:${h.port(theirs)}`;
      const leeching = await ours.add(magnet);
      expect(leeching.state).toBe('metadata');
      await h.within(h.ourDone(leeching), TRANSFER_MS, 'our magnet download done');

      expect(leeching.metainfo?.infoHashHex).toBe(seeding.infoHash);
      expect(await sha256File(join(leechFolder, 'magnet.bin'))).toBe(source.sha256);
    },
    TEST_MS,
  );

  it(
    'magnet link: a webtorrent leecher gets the metadata from our seeder (BEP 9), then the data',
    async () => {
      const h = new Harness();
      const source = await singleFile(h, 'seed', 'magnet.bin', 2 * MiB + 4097);
      const { metainfo } = await createTorrentFromPath(source.path, { hasher: nodeHasher });
      const ours = await h.ours('p2pkit-seed', '127.0.0.8', source.folder);
      await ours.add(metainfo);

      const theirs = await h.theirs('wt-leech', '127.0.0.9');
      const leechFolder = await h.folder('leech');
      const leeching = await h.theirAdd(
        theirs,
        `magnet:?xt=urn:btih:${metainfo.infoHashHex}`,
        leechFolder,
        `127.0.0.8:${ours.address.port}`,
      );
      await h.within(h.theirEvent(leeching, 'done'), TRANSFER_MS, 'webtorrent magnet download');

      expect(leeching.name).toBe('magnet.bin');
      expect(await sha256File(join(leechFolder, 'magnet.bin'))).toBe(source.sha256);
    },
    TEST_MS,
  );
});

describe('trackers with webtorrent peers', () => {
  it(
    'our HTTP tracker: a webtorrent seeder, our leecher and a webtorrent leecher find each other',
    async () => {
      const h = new Harness();
      const trackerRuntime = realRuntime({ host: '127.0.0.20' });
      h.defer(() => trackerRuntime.close());
      // trustIp: webtorrent dials from 127.0.0.1 whatever it listens on, so it announces the
      // address it listens on with BEP 3's `ip` parameter.
      const tracker = await createTracker({ runtime: trackerRuntime, udp: false, trustIp: true });
      h.defer(() => tracker.close());
      const url = tracker.announceUrls[0]!;
      h.status('tracker', () => ({ torrents: tracker.torrents, peers: tracker.peers }));

      const source = await singleFile(h, 'seed', 'swarm.bin', 3 * MiB + 1);
      const seeder = await h.theirs('wt-seed', '127.0.0.21', { tracker: true, announceIp: true });
      const seeding = await h.theirSeed(seeder, source.path, [url]);
      await h.within(seeding.announced, 10_000, 'webtorrent seeder announce');

      const ourFolder = await h.folder('ours');
      const ours = await h.ours('p2pkit-leech', '127.0.0.22', ourFolder, { announce: true });
      const ourTorrent = await ours.add(seeding.torrentFile);
      const leecher = await h.theirs('wt-leech', '127.0.0.23', { tracker: true, announceIp: true });
      const theirFolder = await h.folder('theirs');
      const theirTorrent = await h.theirAdd(leecher, seeding.torrentFile, theirFolder);

      await h.within(
        Promise.all([h.ourDone(ourTorrent), h.theirEvent(theirTorrent, 'done')]),
        TRANSFER_MS,
        'both leechers done',
      );
      expect(await sha256File(join(ourFolder, 'swarm.bin'))).toBe(source.sha256);
      expect(await sha256File(join(theirFolder, 'swarm.bin'))).toBe(source.sha256);
      expect(tracker.peers).toBe(3);
    },
    TEST_MS,
  );

  it(
    "bittorrent-tracker's server: our seeder, our leecher and a webtorrent leecher",
    async () => {
      const h = new Harness();
      const server = new Server({ http: true, udp: false, ws: false, stats: false });
      const starts: string[] = [];
      server.on('start', (addr: string) => {
        starts.push(addr);
        h.log('their-tracker', `start from ${addr}`);
      });
      server.on('complete', (addr: string) => h.log('their-tracker', `complete from ${addr}`));
      await new Promise<void>((resolve) =>
        server.listen(0, { http: '127.0.0.30' }, () => resolve()),
      );
      h.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const url = `http://127.0.0.30:${server.http.address().port}/announce`;

      const source = await singleFile(h, 'seed', 'theirs.bin', 3 * MiB + 17);
      const { torrent, metainfo } = await createTorrentFromPath(source.path, {
        announce: url,
        hasher: nodeHasher,
      });
      const seeder = await h.ours('p2pkit-seed', '127.0.0.31', source.folder, { announce: true });
      const seederStarted = new Promise<void>((resolve) =>
        server.on('start', (addr: string) => addr.startsWith('127.0.0.31:') && resolve()),
      );
      await seeder.add(metainfo);
      await h.within(seederStarted, 10_000, 'our seeder announced to their tracker');

      const ourFolder = await h.folder('ours');
      const leecher = await h.ours('p2pkit-leech', '127.0.0.32', ourFolder, { announce: true });
      const ourTorrent = await leecher.add(metainfo);
      // Their tracker records the source address of the announce: webtorrent's is 127.0.0.1.
      const theirs = await h.theirs('wt-leech', '127.0.0.1', { tracker: true });
      const theirFolder = await h.folder('theirs');
      const theirTorrent = await h.theirAdd(theirs, torrent, theirFolder);

      await h.within(
        Promise.all([h.ourDone(ourTorrent), h.theirEvent(theirTorrent, 'done')]),
        TRANSFER_MS,
        'both leechers done',
      );
      expect(await sha256File(join(ourFolder, 'theirs.bin'))).toBe(source.sha256);
      expect(await sha256File(join(theirFolder, 'theirs.bin'))).toBe(source.sha256);
      expect(starts).toHaveLength(3);
    },
    TEST_MS,
  );
});
