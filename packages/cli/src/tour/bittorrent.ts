import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Client,
  createClient,
  createMetainfo,
  createTracker,
  memorySource,
  memoryStorage,
  type Torrent,
} from '@p2pkit/bittorrent';
import { fileStorage } from '@p2pkit/bittorrent/node';
import { realRuntime } from '@p2pkit/core/node';
import type { TourRow, TourStep } from './run.js';

const SIZE = 8 * 1024 * 1024;
const PIECE = 64 * 1024;

/**
 * BitTorrent: our HTTP tracker, a seeder and two leechers on 127.0.0.1 (real TCP, real files
 * for the leechers) who find each other through the tracker. Leecher A downloads from the
 * seeder; the seeder leaves; leecher B gets the file from A: a finished leecher seeds on.
 */
export const bittorrentStep: TourStep = {
  protocol: 'bittorrent',
  title: 'BitTorrent swarm',
  async run(signal) {
    const runtime = realRuntime({ host: '127.0.0.1' });
    const folder = await mkdtemp(join(tmpdir(), 'p2pkit-tour-bt-'));
    const clients: Client[] = [];
    const tracker = await createTracker({
      runtime,
      http: { host: '127.0.0.1', port: 0 },
      udp: false,
    });
    try {
      const data = runtime.random.bytes(SIZE);
      const { metainfo } = await createMetainfo(memorySource('tour.bin', [{ path: [], data }]), {
        hasher: runtime.hash,
        announce: tracker.announceUrls[0]!,
        pieceLength: PIECE,
      });
      const seeder = await createClient({ runtime, storage: memoryStorage({ data: () => data }) });
      clients.push(seeder);
      await seeder.add(metainfo);
      const [a, b] = await Promise.all(
        ['a', 'b'].map((name) =>
          createClient({ runtime, storage: fileStorage({ folder: join(folder, name) }) }),
        ),
      );
      clients.push(a!, b!);
      let started = performance.now();
      const first = await a!.add(metainfo);
      await finished(first, signal);
      const firstMs = performance.now() - started;
      // The seeder leaves; leecher A, done, seeds on: B gets everything from it.
      await seeder.stop();
      started = performance.now();
      const second = await b!.add(metainfo);
      await finished(second, signal);
      const secondMs = performance.now() - started;
      const rows: TourRow[] = [
        {
          protocol: 'bittorrent',
          what: `HTTP tracker at ${tracker.announceUrls[0]}`,
          result: `${tracker.peers} peers in the swarm`,
        },
        {
          protocol: 'bittorrent',
          what: `seeder -> leecher A: ${SIZE / 1024 / 1024} MiB, ${metainfo.pieceCount} pieces over TCP`,
          result: `every piece SHA-1 verified, ${Math.round(firstMs)} ms`,
        },
        {
          protocol: 'bittorrent',
          what: 'seeder leaves; leecher B finds A through the tracker',
          result: `B complete from A alone, ${Math.round(secondMs)} ms (A sent ${mib(first.progress().uploaded)} MiB)`,
        },
      ];
      return rows;
    } finally {
      await Promise.allSettled(clients.map((c) => c.stop()));
      await tracker.close();
      await runtime.close();
      await rm(folder, { recursive: true, force: true });
    }
  },
};

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function finished(torrent: Torrent, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (torrent.complete) return resolve();
    const onAbort = () => reject(new Error('timed out'));
    signal.addEventListener('abort', onAbort, { once: true });
    torrent.once('done', () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    torrent.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
  });
}
