/**
 * Interop with the webtorrent family's tracker (npm `bittorrent-tracker`): our tracker with
 * their client, their tracker (HTTP and UDP) with our client. Real sockets on 127.0.0.1.
 */
import { type RealRuntime, realRuntime } from '@p2pkit/core/node';
import Client from 'bittorrent-tracker';
import Server from 'bittorrent-tracker/server';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../../src/bencode/index.js';
import {
  type AnnounceParams,
  createTracker,
  createTrackerClient,
  type TrackerServer,
} from '../../src/tracker/index.js';

const HASH_HEX = '0123456789abcdef0123456789abcdef01234567';
const HASH = fromHex(HASH_HEX)!;

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function runtime(): RealRuntime {
  const r = realRuntime({ host: '127.0.0.1' });
  cleanups.push(() => r.close());
  return r;
}

/** Their client: resolves the first `update` and collects `peer` events. */
function theirClient(announce: string, peerIdHex: string, port: number) {
  const client = new Client({ infoHash: HASH_HEX, peerId: peerIdHex, announce: [announce], port });
  const peers = new Set<string>();
  client.on('peer', (addr: string) => peers.add(addr));
  const errors: unknown[] = [];
  client.on('error', (e: unknown) => errors.push(e));
  client.on('warning', (e: unknown) => errors.push(e));
  cleanups.push(() => new Promise<void>((r) => client.destroy(() => r())));
  const update = () =>
    new Promise<{ complete: number; incomplete: number }>((resolve, reject) => {
      client.once('update', resolve);
      client.once('error', reject);
    });
  const scrape = () =>
    new Promise<{ complete: number; incomplete: number; downloaded: number }>((resolve, reject) => {
      client.once('scrape', resolve);
      client.once('error', reject);
      client.scrape();
    });
  return { client, peers, errors, update, scrape };
}

const waitFor = async (predicate: () => boolean, ms = 5000) => {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('our tracker ← bittorrent-tracker client', () => {
  for (const kind of ['http', 'udp'] as const) {
    it(`${kind}: two of their clients find each other and scrape the counts`, async () => {
      const tracker: TrackerServer = await createTracker({ runtime: runtime() });
      cleanups.push(() => tracker.close());
      const url = tracker.announceUrls.find((u) => u.startsWith(kind))!;
      const a = theirClient(url, `2d5757303030302d${'11'.repeat(12)}`, 51001);
      const b = theirClient(url, `2d5757303030302d${'22'.repeat(12)}`, 51002);
      const firstA = a.update();
      a.client.start();
      await firstA;
      const firstB = b.update();
      b.client.start();
      const seenByB = await firstB;
      expect(seenByB.incomplete).toBe(2);
      await waitFor(() => b.peers.has('127.0.0.1:51001'));
      expect(tracker.peers).toBe(2);
      const counts = await a.scrape();
      expect(counts).toMatchObject({ complete: 0, incomplete: 2 });
      const completed = a.update();
      a.client.complete();
      await completed;
      expect((await b.scrape()).downloaded).toBe(1);
      const stopped = a.update();
      a.client.stop();
      await stopped;
      expect(tracker.peers).toBe(1);
      expect(a.errors).toEqual([]);
      expect(b.errors).toEqual([]);
    });
  }
});

describe('bittorrent-tracker server ← our client', () => {
  async function theirServer() {
    const server = new Server({ http: true, udp: true, ws: false, stats: false });
    await new Promise<void>((resolve) =>
      server.listen(0, { http: '127.0.0.1', udp: '127.0.0.1', udp6: '::1' }, () => resolve()),
    );
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    return {
      http: `http://127.0.0.1:${server.http.address().port}/announce`,
      udp: `udp://127.0.0.1:${server.udp4.address().port}`,
    };
  }

  for (const kind of ['http', 'udp'] as const) {
    it(`${kind}: announce, find the other peer, scrape, stop`, async () => {
      const urls = await theirServer();
      const url = urls[kind];
      const client = createTrackerClient({
        runtime: runtime(),
        udp: { retryBaseMs: 2000, maxRetries: 1 },
      });
      cleanups.push(() => client.close());
      // Peer ids with bytes that are not UTF-8 and need escaping: the raw-bytes path end to end.
      const idA = new Uint8Array([0xff, 0x00, 0x20, 0x2b, ...utf8('-PK0001-abcdefgh')]);
      const idB = new Uint8Array([0x80, 0x25, 0x26, 0x3d, ...utf8('-PK0001-ijklmnop')]);
      const params = (peerId: Uint8Array, port: number, extra: Partial<AnnounceParams> = {}) => ({
        infoHash: HASH,
        peerId,
        port,
        uploaded: 0,
        downloaded: 0,
        left: 1000,
        ...extra,
      });
      const first = await client.announce(url, params(idA, 52001, { event: 'started' }));
      // Like opentracker, it lists the announcing peer itself: callers filter their own address.
      expect(first.peers.filter((p) => p.port !== 52001)).toEqual([]);
      expect(first.interval).toBeGreaterThan(0);
      const second = await client.announce(
        url,
        params(idB, 52002, { event: 'started', numwant: 10 }),
      );
      expect(second.peers.map((p) => `${p.host}:${p.port}`)).toContain('127.0.0.1:52001');
      expect(second.incomplete).toBe(2);
      const scrape = await client.scrape(url, [HASH]);
      expect(scrape.get(toHex(HASH))).toMatchObject({ complete: 0, incomplete: 2 });
      await client.announce(url, params(idA, 52001, { event: 'stopped' }));
      const after = await client.scrape(url, [HASH]);
      expect(after.get(toHex(HASH))).toMatchObject({ incomplete: 1 });
    });
  }
});
