/**
 * How a seed reads what it uploads: a piece is read when requests for it reach the head of a
 * peer's queue, with 1 MiB of pieces read ahead, not as soon as a request for it arrives (a
 * leecher's 500 queued requests would pull 8 MiB of pieces into memory at once).
 */
import { createMemoryNetwork, createRandom, type Runtime } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/client.js';
import { createMetainfo, memorySource } from '../../src/metainfo/create.js';
import { createMemoryStorage } from '../../src/storage/memory.js';
import type { Storage, StorageLayout } from '../../src/storage/storage.js';

const PIECE = 65_536;
const PIECES = 96;
/** The head's piece and 1 MiB ahead (the uploader's READ_AHEAD_BYTES). */
const MOST_IN_FLIGHT = 1 + (1 << 20) / PIECE;

/** Memory storage whose reads finish a loop turn later, counted (and those in flight at once). */
function countingStorage(layout: StorageLayout, data: Uint8Array | undefined) {
  const storage = createMemoryStorage(layout, { data });
  const stats = { reads: 0, inFlight: 0, maxInFlight: 0 };
  const read: Storage['read'] = async (index, offset, length, target) => {
    stats.reads++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    stats.inFlight--;
    return storage.read(index, offset, length, target);
  };
  return { storage: Object.assign(Object.create(storage) as Storage, { read }), stats };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('upload reads', () => {
  it('a seed reads each piece once, 1 MiB ahead at most for one peer with 500 requests queued', async () => {
    const hub = createMemoryNetwork();
    const r1: Runtime = hub.runtime('10.0.0.1');
    const size = PIECES * PIECE;
    const data = createRandom(size).bytes(size);
    const { metainfo } = await createMetainfo(memorySource('data.bin', [{ path: [], data }]), {
      hasher: r1.hash,
      pieceLength: PIECE,
    });
    let seedStats: { reads: number; inFlight: number; maxInFlight: number } | undefined;
    const seeder = await createClient({
      runtime: r1,
      storage: (layout) => {
        const counted = countingStorage(layout, data);
        seedStats = counted.stats;
        return counted.storage;
      },
      settings: { announce: false },
    });
    await seeder.add(metainfo);
    await settle();
    const readsAtStart = seedStats!.reads;
    seedStats!.maxInFlight = 0;
    const leecher = await createClient({
      runtime: hub.runtime('10.0.0.2'),
      storage: (layout) => createMemoryStorage(layout),
      settings: { announce: false, initialQueue: 500, maxRequestsPerPeer: 500 },
    });
    const torrent = await leecher.add(metainfo, { peers: [seeder.address] });
    for (let t = 0; t < 600 && !torrent.complete; t++) {
      hub.clock.advance(100);
      await settle();
    }
    expect(torrent.complete).toBe(true);
    // Every piece once (the cache holds each until it is sent), never the whole queue at once
    // (reading each requested piece as its request arrived: all 96 in flight).
    expect(seedStats!.reads - readsAtStart).toBe(PIECES);
    expect(seedStats!.maxInFlight).toBeLessThanOrEqual(MOST_IN_FLIGHT);
    await leecher.stop();
    await seeder.stop();
  }, 20_000);
});
