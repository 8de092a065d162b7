import { createMemoryNetwork, createRandom, type Runtime } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { type Client, createClient } from '../../src/client.js';
import { createMetainfo, memorySource } from '../../src/metainfo/create.js';
import type { Metainfo } from '../../src/metainfo/types.js';
import { createMemoryStorage, type MemoryStorage } from '../../src/storage/memory.js';
import type { Storage, StorageLayout } from '../../src/storage/storage.js';
import type { TorrentSettings } from '../../src/torrent/settings.js';
import type { Torrent } from '../../src/torrent/torrent.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function makeTorrent(runtime: Runtime, size: number, pieceLength: number, seed = 1) {
  const data = createRandom(seed).bytes(size);
  const half = Math.floor(size / 3);
  const { metainfo } = await createMetainfo(
    memorySource('dir', [
      { path: ['a.bin'], data: data.subarray(0, half) },
      { path: ['sub', 'b.bin'], data: data.subarray(half) },
    ]),
    { hasher: runtime.hash, pieceLength },
  );
  return { data, metainfo };
}

interface Node {
  client: Client;
  storages: MemoryStorage[];
}

async function node(
  runtime: Runtime,
  options: {
    data?: Uint8Array;
    settings?: Partial<TorrentSettings>;
    wrap?: (s: MemoryStorage) => Storage;
  } = {},
): Promise<Node> {
  const storages: MemoryStorage[] = [];
  const client = await createClient({
    runtime,
    storage: (layout: StorageLayout) => {
      const s = createMemoryStorage(layout, { data: options.data });
      storages.push(s);
      return options.wrap ? options.wrap(s) : s;
    },
    settings: { announce: false, ...options.settings },
  });
  return { client, storages };
}

const done = (torrent: Torrent) =>
  new Promise<void>((resolve, reject) => {
    if (torrent.complete) resolve();
    torrent.once('done', () => resolve());
    torrent.once('error', reject);
  });

describe('session over the memory network', () => {
  it('a seeder and two leechers: every byte arrives, verified', async () => {
    const hub = createMemoryNetwork();
    const r1 = hub.runtime('10.0.0.1');
    const { data, metainfo } = await makeTorrent(r1, 300_000, 32768);
    const seeder = await node(r1, { data });
    const seeding = await seeder.client.add(metainfo);
    expect(seeding.state).toBe('seeding');
    const a = await node(hub.runtime('10.0.0.2'));
    const b = await node(hub.runtime('10.0.0.3'));
    const ta = await a.client.add(metainfo, { peers: [seeder.client.address] });
    const tb = await b.client.add(metainfo, { peers: [seeder.client.address, a.client.address] });
    await Promise.all([done(ta), done(tb)]);
    expect(hex(a.storages[0]!.contents())).toBe(hex(data));
    expect(hex(b.storages[0]!.contents())).toBe(hex(data));
    expect(ta.progress()).toMatchObject({
      downloaded: data.length,
      piecesDone: metainfo.pieceCount,
    });
    await Promise.all([seeder.client.stop(), a.client.stop(), b.client.stop()]);
    expect(hub.openHandles()).toBe(0);
  });

  it('a leecher passes on what it downloads: a chain seeder -> A -> B', async () => {
    const hub = createMemoryNetwork();
    const r1 = hub.runtime('10.0.0.1');
    const { data, metainfo } = await makeTorrent(r1, 200_000, 16384, 7);
    const seeder = await node(r1, { data });
    await seeder.client.add(metainfo);
    const a = await node(hub.runtime('10.0.0.2'));
    const b = await node(hub.runtime('10.0.0.3'));
    const ta = await a.client.add(metainfo, { peers: [seeder.client.address] });
    const tb = await b.client.add(metainfo, { peers: [a.client.address] });
    await Promise.all([done(ta), done(tb)]);
    expect(hex(b.storages[0]!.contents())).toBe(hex(data));
    expect(ta.progress().uploaded).toBeGreaterThanOrEqual(data.length);
    await Promise.all([seeder.client.stop(), a.client.stop(), b.client.stop()]);
  });

  it.each(['required', 'disabled'] as const)('works with encryption %s', async (encryption) => {
    const hub = createMemoryNetwork();
    const r1 = hub.runtime('10.0.0.1');
    const { data, metainfo } = await makeTorrent(r1, 100_000, 16384, 2);
    const seeder = await node(r1, { data, settings: { encryption } });
    await seeder.client.add(metainfo);
    const leecher = await node(hub.runtime('10.0.0.2'), { settings: { encryption } });
    const t = await leecher.client.add(metainfo, { peers: [seeder.client.address] });
    const peers: string[] = [];
    t.on('peer', (p) => peers.push(p.encryption));
    await done(t);
    expect(peers).toEqual([encryption === 'required' ? 'mse-rc4' : 'plain']);
    expect(hex(leecher.storages[0]!.contents())).toBe(hex(data));
    await Promise.all([seeder.client.stop(), leecher.client.stop()]);
  });

  it('a leecher with encryption enabled redials plain when the peer refuses MSE', async () => {
    const hub = createMemoryNetwork();
    const r1 = hub.runtime('10.0.0.1');
    const { data, metainfo } = await makeTorrent(r1, 50_000, 16384, 6);
    const seeder = await node(r1, { data, settings: { encryption: 'disabled' } });
    await seeder.client.add(metainfo);
    const leecher = await node(hub.runtime('10.0.0.2'), { settings: { encryption: 'enabled' } });
    const t = await leecher.client.add(metainfo, { peers: [seeder.client.address] });
    const peers: string[] = [];
    t.on('peer', (p) => peers.push(p.encryption));
    await done(t);
    expect(peers).toEqual(['plain']);
    await Promise.all([seeder.client.stop(), leecher.client.stop()]);
  });

  it('a magnet link downloads: metadata over ut_metadata (BEP 9), then the data', async () => {
    const hub = createMemoryNetwork();
    const r1 = hub.runtime('10.0.0.1');
    const { data, metainfo } = await makeTorrent(r1, 200_000, 16384, 3);
    const seeder = await node(r1, { data });
    await seeder.client.add(metainfo);
    const leecher = await node(hub.runtime('10.0.0.2'));
    const t = await leecher.client.add(`magnet:?xt=urn:btih:${metainfo.infoHashHex}&dn=dir`, {
      peers: [seeder.client.address],
    });
    expect(t.state).toBe('metadata');
    const meta = new Promise<Metainfo>((resolve) => t.once('metadata', resolve));
    await done(t);
    expect((await meta).infoHashHex).toBe(metainfo.infoHashHex);
    expect(hex(leecher.storages[0]!.contents())).toBe(hex(data));
    await Promise.all([seeder.client.stop(), leecher.client.stop()]);
  });

  it('a peer sending corrupt pieces is banned, and the file is still correct', async () => {
    const hub = createMemoryNetwork();
    const r1 = hub.runtime('10.0.0.1');
    const { data, metainfo } = await makeTorrent(r1, 400_000, 16384, 4);
    const honest = await node(r1, { data });
    await honest.client.add(metainfo);
    // The liar verifies fine at start (first read of each piece), then serves garbage.
    const evil = await node(hub.runtime('10.0.0.66'), {
      data,
      wrap: (s) => {
        let reads = 0;
        return {
          ...s,
          async read(index, offset, length) {
            const out = await s.read(index, offset, length);
            if (++reads > metainfo.pieceCount)
              for (let i = 0; i < out.length; i += 997) out[i] = out[i]! ^ 0x5a;
            return out;
          },
        };
      },
    });
    await evil.client.add(metainfo);
    const leecher = await node(hub.runtime('10.0.0.2'));
    const t = await leecher.client.add(metainfo, {
      peers: [evil.client.address, honest.client.address],
    });
    const banned: string[] = [];
    t.on('banned', (address) => banned.push(address.host));
    const warnings: string[] = [];
    t.on('warning', (e) => warnings.push(e.message));
    await done(t);
    expect(hex(leecher.storages[0]!.contents())).toBe(hex(data));
    expect(banned).toEqual(['10.0.0.66']);
    expect(warnings.some((w) => w.includes('failed its SHA-1'))).toBe(true);
    await Promise.all([honest.client.stop(), evil.client.stop(), leecher.client.stop()]);
  });

  it('resumes: pieces already in storage are verified, not downloaded again', async () => {
    const hub = createMemoryNetwork();
    const r1 = hub.runtime('10.0.0.1');
    const { data, metainfo } = await makeTorrent(r1, 160_000, 16384, 5);
    const seeder = await node(r1, { data });
    await seeder.client.add(metainfo);
    // Half of the pieces are on "disk" already, one of them corrupt.
    const partial = data.slice();
    partial.fill(0, 80_000);
    partial[5] = partial[5]! ^ 1;
    const leecher = await node(hub.runtime('10.0.0.2'), { data: partial });
    const t = await leecher.client.add(metainfo, { peers: [seeder.client.address] });
    const fetched: number[] = [];
    t.on('piece', (i) => fetched.push(i));
    await done(t);
    expect(hex(leecher.storages[0]!.contents())).toBe(hex(data));
    // Piece 0 (corrupt) and the zeroed second half were fetched; pieces 1..3 were not.
    expect(fetched.sort((x, y) => x - y)).toEqual([
      0,
      ...Array.from({ length: 10 - 4 }, (_, i) => i + 4),
    ]);
    await Promise.all([seeder.client.stop(), leecher.client.stop()]);
  });
});

describe('two peers that dial each other at once', () => {
  /** Lets every connection and handshake in flight on the memory network finish (no timers). */
  const settle = async () => {
    for (let i = 0; i < 200; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };

  // Each finds the other at its announce and dials at the same moment: each end sees two
  // connections and must keep the same one as the other end, or both are closed and neither
  // redials (the tour's BitTorrent step stalled 8 times in 60 this way on loopback TCP).
  // Several pairs of hosts: random peer ids, so either end can be the one with the lower id.
  it.each([2, 3, 4, 5, 6, 7])('both ends keep one and the same connection (pair %i)', async (n) => {
    const hub = createMemoryNetwork();
    const r1 = hub.runtime(`10.0.${n}.1`);
    const { metainfo } = await makeTorrent(r1, 50_000, 16384, n);
    const a = await node(r1);
    const b = await node(hub.runtime(`10.0.${n}.2`));
    const [ta, tb] = await Promise.all([
      a.client.add(metainfo, { peers: [b.client.address] }),
      b.client.add(metainfo, { peers: [a.client.address] }),
    ]);
    await settle();
    expect([ta.peerCount, tb.peerCount]).toEqual([1, 1]);
    const [pa] = ta.peers();
    const [pb] = tb.peers();
    // The same TCP connection seen from both ends: one incoming, the other outgoing.
    expect(pa!.incoming).toBe(!pb!.incoming);
    await Promise.all([a.client.stop(), b.client.stop()]);
    expect(hub.openHandles()).toBe(0);
  });
});
