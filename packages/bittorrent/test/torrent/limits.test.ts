/**
 * What a user of a BitTorrent client expects beyond moving bytes, on the memory network and
 * its manual clock: upload and download rate limits, a seed that dials the leechers it hears
 * of, and a torrent that can say why nothing flows (its trackers' answers and failures).
 */
import { createMemoryNetwork, createRandom, type ManualClock, type Runtime } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { createMetainfo, memorySource } from '../../src/metainfo/create.js';
import { createMemoryStorage } from '../../src/storage/memory.js';
import type { TorrentSettings } from '../../src/torrent/settings.js';
import type { Torrent } from '../../src/torrent/torrent.js';

async function makeTorrent(runtime: Runtime, size: number, announce?: string) {
  const data = createRandom(size).bytes(size);
  const { metainfo } = await createMetainfo(memorySource('data.bin', [{ path: [], data }]), {
    hasher: runtime.hash,
    pieceLength: 16384,
    ...(announce ? { announce } : {}),
  });
  return { data, metainfo };
}

async function peer(runtime: Runtime, data?: Uint8Array, settings: Partial<TorrentSettings> = {}) {
  return createClient({
    runtime,
    storage: (layout) => createMemoryStorage(layout, { data }),
    settings: { announce: false, ...settings },
  });
}

/** Lets deliveries (microtasks) and I/O callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Advances the manual clock in 100 ms steps until `until()` or `maxMs`; the time it took. */
async function runUntil(
  clock: ManualClock,
  until: () => boolean,
  maxMs: number,
  each?: () => void,
) {
  const start = clock.now();
  await settle();
  while (!until() && clock.now() - start < maxMs) {
    clock.advance(100);
    await settle();
    each?.();
  }
  return clock.now() - start;
}

describe('rate limits', () => {
  const size = 20 * 16384;
  const rate = 32 * 1024;

  it.each([
    ['maxUploadRate on the seed', { seed: { maxUploadRate: rate }, leech: {} }],
    ['maxDownloadRate on the leecher', { seed: {}, leech: { maxDownloadRate: rate } }],
  ] as const)('%s: never more than rate x t plus a one-second burst', async (_name, limits) => {
    const hub = createMemoryNetwork();
    const r1 = hub.runtime('10.0.0.1');
    const { data, metainfo } = await makeTorrent(r1, size);
    const seeder = await peer(r1, data, limits.seed);
    await seeder.add(metainfo);
    const leecher = await peer(hub.runtime('10.0.0.2'), undefined, limits.leech);
    const torrent: Torrent = await leecher.add(metainfo, { peers: [seeder.address] });
    const start = hub.clock.now();
    let worst = 0;
    const took = await runUntil(
      hub.clock,
      () => torrent.complete,
      60_000,
      () => {
        const allowed = rate * (1 + (hub.clock.now() - start) / 1000);
        worst = Math.max(worst, torrent.progress().received / allowed);
      },
    );
    expect(torrent.complete).toBe(true);
    expect(worst).toBeLessThanOrEqual(1);
    // And the limit is a limit, not a stop: the whole file at about the rate (one burst early).
    expect(took).toBeGreaterThanOrEqual(((size - rate) / rate) * 1000);
    expect(took).toBeLessThan((size / rate) * 1000 * 1.5);
    await Promise.all([seeder.stop(), leecher.stop()]);
    expect(hub.openHandles()).toBe(0);
  });
});

describe('a seed dials', () => {
  it('the leechers it hears of (a leecher that dials nobody still gets the file)', async () => {
    const hub = createMemoryNetwork();
    const r1 = hub.runtime('10.0.0.1');
    const { data, metainfo } = await makeTorrent(r1, 5 * 16384);
    const seeder = await peer(r1, data);
    const seeding = await seeder.add(metainfo);
    const leecher = await peer(hub.runtime('10.0.0.2'));
    const torrent = await leecher.add(metainfo); // no peers: it waits to be called
    seeding.addPeers([leecher.address]);
    await runUntil(hub.clock, () => torrent.complete, 10_000);
    expect(torrent.complete).toBe(true);
    expect(seeding.progress().uploaded).toBe(data.length);
    await Promise.all([seeder.stop(), leecher.stop()]);
  });

  it('but not another seed twice: they part, and it does not call again', async () => {
    const hub = createMemoryNetwork();
    const r1 = hub.runtime('10.0.0.1');
    const { data, metainfo } = await makeTorrent(r1, 5 * 16384);
    const a = await peer(r1, data);
    const seedA = await a.add(metainfo);
    const b = await peer(hub.runtime('10.0.0.2'), data);
    const seedB = await b.add(metainfo);
    let meetings = 0;
    seedB.on('peer', () => meetings++);
    seedA.addPeers([b.address]);
    await runUntil(hub.clock, () => false, 5 * 60_000);
    expect(meetings).toBe(1);
    expect(seedA.peerCount + seedB.peerCount).toBe(0);
    await Promise.all([a.stop(), b.stop()]);
  });
});

describe('why nothing flows', () => {
  it("progress counts peers known and being dialed; trackers() keeps each tracker's failure", async () => {
    const hub = createMemoryNetwork();
    const runtime = hub.runtime('10.0.0.2');
    // Nothing listens at 10.0.0.9: the tracker connection is refused, as is the peer's.
    const { metainfo } = await makeTorrent(runtime, 16384, 'http://10.0.0.9:6969/announce');
    const client = await peer(runtime, undefined, { announce: true });
    const torrent = await client.add(metainfo, { peers: [{ host: '10.0.0.8', port: 6881 }] });
    await runUntil(hub.clock, () => torrent.trackers()[0]?.error !== undefined, 60_000);
    const [tracker] = torrent.trackers();
    expect(tracker).toMatchObject({ url: 'http://10.0.0.9:6969/announce', peers: 0 });
    expect(tracker!.error).toMatch(/refused|ECONNREFUSED|unreachable/i);
    expect(torrent.progress()).toMatchObject({ peers: 0, seeds: 0, knownPeers: 1 });
    await client.stop();
  });
});
