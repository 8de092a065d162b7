/**
 * The interop scenario run against each real client (Transmission, qBittorrent): both ways,
 * through opentracker and through our tracker, over real TCP with real files on 127.0.0.x.
 *
 * - their seeder → our leecher: they announce, our leecher learns their address from the
 *   tracker and dials them;
 * - our seeder → their leecher: they announce first, then our seeder does, learns their
 *   address and dials them (Transmission ignores loopback peers from a tracker, so on one
 *   machine it is reached only by a seed that dials: issue 11's item 10).
 *
 * Files are compared by SHA-256; on failure the message carries the client's log.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realRuntime } from '@p2pkit/core/node';
import { expect, it, type TestContext } from 'vitest';
import { createClient, createTracker, createTrackerClient, type Torrent } from '../../src/index.js';
import { createTorrentFromPath, fileStorage } from '../../src/node/index.js';
import {
  type ExternalPeer,
  type ExternalTracker,
  sha256File,
  startOpentracker,
  waitFor,
} from './external.js';

const SIZE = 3 * 1024 * 1024 + 12_345;
const TRANSFER_MS = 30_000;
const TEST_MS = 90_000;

type StartPeer = (dir: string, host: string) => Promise<ExternalPeer>;

/** Registers the four tests (two directions x two trackers) for one client. */
export function twoWayTests(
  name: string,
  start: StartPeer,
  opentracker: string | undefined,
  hosts: { ours: string; theirs: string },
  /** Run the four at once (qbittorrent-nox is one instance per machine: it cannot). */
  concurrent: boolean,
): void {
  const test = concurrent ? it.concurrent : it;
  /**
   * What a test started, released in reverse order when it finishes. The test's own context
   * registers it: tests may run concurrently, and the global hook cannot tell them apart.
   */
  function cleanupList(context: TestContext) {
    const list: (() => unknown)[] = [];
    context.onTestFinished(async () => {
      for (const c of list.reverse()) await c();
    });
    return list;
  }

  /** A folder with a random file, a tracker and a torrent of the file announcing to it. */
  async function setup(context: TestContext, trackerKind: 'opentracker' | 'ours') {
    const cleanups = cleanupList(context);
    const dir = await mkdtemp(join(tmpdir(), `p2pkit-${name.toLowerCase()}-`));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'seed'));
    const file = join(dir, 'seed', 'data.bin');
    await writeFile(file, randomBytes(SIZE));
    // The info-hash does not depend on the announce URL: opentracker's whitelist needs it first.
    const { metainfo: draft } = await createTorrentFromPath(file, { pieceLength: 65536 });
    let announceUrl: string;
    let trackerLog = () => '';
    if (trackerKind === 'opentracker') {
      const tracker: ExternalTracker = await startOpentracker(opentracker!, dir, hosts.ours, [
        draft.infoHashHex,
      ]);
      cleanups.push(() => tracker.stop());
      announceUrl = tracker.announceUrl;
      trackerLog = () => tracker.output();
    } else {
      const runtime = realRuntime({ host: hosts.ours });
      cleanups.push(() => runtime.close());
      const tracker = await createTracker({
        runtime,
        http: { host: hosts.ours, port: 0 },
        udp: false,
      });
      cleanups.push(() => tracker.close());
      announceUrl = tracker.announceUrls[0]!;
    }
    const { torrent, metainfo } = await createTorrentFromPath(file, {
      announce: announceUrl,
      pieceLength: 65536,
    });
    const torrentPath = join(dir, 'data.torrent');
    await writeFile(torrentPath, torrent);
    const scrapeRuntime = realRuntime({ host: hosts.ours });
    const scraper = createTrackerClient({ runtime: scrapeRuntime });
    cleanups.push(async () => {
      await scraper.close();
      await scrapeRuntime.close();
    });
    /** Waits until the tracker counts `seeders` / `leechers` (someone announced). */
    const trackerCounts = (want: { seeders?: number; leechers?: number }, debug: () => string) =>
      waitFor(
        async () => {
          const entry = (await scraper.scrape(announceUrl, [metainfo.infoHash])).get(
            metainfo.infoHashHex,
          );
          const ok =
            entry &&
            entry.complete >= (want.seeders ?? 0) &&
            entry.incomplete >= (want.leechers ?? 0);
          return ok ? entry : undefined;
        },
        20_000,
        `${trackerKind} tracker counts ${JSON.stringify(want)}`,
        () => `${debug()}\n${trackerLog()}`,
      );
    /** Their client, in a folder of its own. */
    const theirs = async (): Promise<ExternalPeer> => {
      const peer = await start(join(dir, name.toLowerCase()), hosts.theirs);
      cleanups.push(() => peer.stop());
      return peer;
    };
    /** Our client, its data in `folder`. */
    const ours = async (folder: string) => {
      const runtime = realRuntime({ host: hosts.ours });
      const client = await createClient({ runtime, storage: fileStorage({ folder }) });
      cleanups.push(async () => {
        await client.stop();
        await runtime.close();
      });
      return client;
    };
    return {
      dir,
      torrentPath,
      metainfo,
      trackerCounts,
      theirs,
      ours,
      expected: await sha256File(file),
    };
  }

  const done = (torrent: Torrent) =>
    new Promise<void>((resolve, reject) => {
      if (torrent.complete) resolve();
      torrent.once('done', () => resolve());
      torrent.once('error', reject);
    });

  for (const trackerKind of ['opentracker', 'ours'] as const) {
    test(
      `${name} seeder → our leecher, through ${trackerKind === 'ours' ? 'our tracker' : 'opentracker'}`,
      async (context) => {
        const s = await setup(context, trackerKind);
        const peer = await s.theirs();
        await peer.add(s.torrentPath, join(s.dir, 'seed'));
        await waitFor(
          async () => ((await peer.status()).done === 1 ? true : undefined),
          20_000,
          `${name} checks the data`,
          () => peer.output(),
        );
        await s.trackerCounts({ seeders: 1 }, () => peer.output());
        const out = join(s.dir, 'ours');
        const leecher = await s.ours(out);
        const torrent = await leecher.add(s.metainfo);
        const peers: string[] = [];
        torrent.on('peer', (p) => peers.push(`${p.address.host}:${p.address.port}`));
        await waitFor(
          () => (torrent.complete ? true : undefined),
          TRANSFER_MS,
          'our leecher completes',
          () => `${JSON.stringify(torrent.progress())}\n${peer.output()}`,
        );
        await done(torrent);
        expect(await sha256File(join(out, 'data.bin'))).toBe(s.expected);
        expect(peers).toContain(`${peer.host}:${peer.port}`);
        // What it counts as uploaded (its statistics refresh every second or two).
        await waitFor(
          async () => ((await peer.status()).uploaded >= SIZE ? true : undefined),
          10_000,
          `${name} counts what it uploaded`,
          () => JSON.stringify(peer.status()),
        );
      },
      TEST_MS,
    );

    test(
      `our seeder → ${name} leecher, through ${trackerKind === 'ours' ? 'our tracker' : 'opentracker'} (our seed dials it)`,
      async (context) => {
        const s = await setup(context, trackerKind);
        const peer = await s.theirs();
        const out = join(s.dir, name.toLowerCase(), 'download');
        await mkdir(out, { recursive: true });
        await peer.add(s.torrentPath, out);
        await s.trackerCounts({ leechers: 1 }, () => peer.output());
        const seeder = await s.ours(join(s.dir, 'seed'));
        const seeding = await seeder.add(s.metainfo);
        expect(seeding.state).toBe('seeding');
        const dialed: boolean[] = [];
        seeding.on('peer', (p) => dialed.push(!p.incoming));
        await waitFor(
          async () => ((await peer.status()).done === 1 ? true : undefined),
          TRANSFER_MS,
          `${name} leecher completes`,
          () => `ours: ${JSON.stringify(seeding.progress())}\n${peer.output()}`,
        );
        expect(await sha256File(join(out, 'data.bin'))).toBe(s.expected);
        expect(seeding.progress().uploaded).toBeGreaterThanOrEqual(SIZE);
        // Our seed called them (they had announced before we did, and learnt nothing since).
        expect(dialed).toContain(true);
      },
      TEST_MS,
    );
  }
}
