/**
 * Time-driven behaviour of a torrent session, on a manual clock and the memory network: no test
 * here waits for real time. A scripted peer (our own wire codec, driven by the test) plays the
 * remote side.
 */
import { createHash } from 'node:crypto';
import { type Connection, createMemoryNetwork, createRandom, type Runtime } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { type Client, createClient } from '../../src/client.js';
import { createMetainfo, memorySource } from '../../src/metainfo/create.js';
import { createMemoryStorage } from '../../src/storage/memory.js';
import type { TorrentSettings } from '../../src/torrent/settings.js';
import { handshakeOutgoing } from '../../src/wire/establish.js';
import { reservedFor } from '../../src/wire/handshake.js';
import { PeerWire } from '../../src/wire/peer.js';

const sha1 = (data: Uint8Array) => new Uint8Array(createHash('sha1').update(data).digest());

/** Lets queued microtasks (memory-network deliveries, promise continuations) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

async function setup(settings: Partial<TorrentSettings> = {}) {
  const hub = createMemoryNetwork();
  const runtime = hub.runtime('10.0.0.1');
  const data = createRandom(9).bytes(100_000);
  const { metainfo } = await createMetainfo(memorySource('f', [{ path: [], data }]), {
    hasher: runtime.hash,
    pieceLength: 16384,
  });
  const seeder: Client = await createClient({
    runtime,
    storage: (layout) => createMemoryStorage(layout, { data }),
    settings: { announce: false, ...settings },
  });
  const torrent = await seeder.add(metainfo);
  return { hub, seeder, torrent, metainfo };
}

/** A remote peer we script: handshake done, then it does only what the test says. */
async function scriptedPeer(runtime: Runtime, target: Client, infoHash: Uint8Array) {
  const connection = await runtime.net.dial(target.address);
  const established = await handshakeOutgoing({
    connection,
    clock: runtime.clock,
    random: runtime.random,
    sha1,
    infoHash,
    peerId: new TextEncoder().encode('-XX0001-scriptedpeer'),
    reserved: reservedFor({ extended: true, fast: true }),
    encryption: 'plain',
  });
  const wire = new PeerWire({
    ...established,
    clock: runtime.clock,
    initialData: established.rest,
  });
  wire.start();
  return wire;
}

describe('bitfields with spare bits set', () => {
  it.each([false, true])('strictBitfield %s', async (strict) => {
    const hub = createMemoryNetwork();
    const data = createRandom(4).bytes(5 * 16384);
    const runtime = hub.runtime('10.0.0.2');
    const { metainfo } = await createMetainfo(memorySource('f', [{ path: [], data }]), {
      hasher: runtime.hash,
      pieceLength: 16384,
    });
    const leecher = await createClient({
      runtime,
      storage: (layout) => createMemoryStorage(layout),
      settings: { announce: false, strictBitfield: strict },
    });
    const torrent = await leecher.add(metainfo);
    const warnings: string[] = [];
    torrent.on('warning', (e) => warnings.push(e.message));
    const remote = await scriptedPeer(hub.runtime('10.0.0.9'), leecher, metainfo.infoHash);
    // 5 pieces: one byte, 3 spare bits; all set.
    remote.bitfield(Uint8Array.of(0xff));
    await settle();
    if (strict) {
      expect(remote.closed).toBe(true);
      expect(torrent.peerCount).toBe(0);
    } else {
      expect(remote.closed).toBe(false);
      expect(warnings.some((w) => w.includes('spare bits'))).toBe(true);
      expect(torrent.peers()[0]!.pieces).toBe(5);
      expect(torrent.peers()[0]!.amInterested).toBe(true);
    }
    await leecher.stop();
  });
});

describe('stop() with connections in flight', () => {
  it('aborts dials and handshakes in progress: nothing stays open, no time has to pass', async () => {
    const hub = createMemoryNetwork();
    const runtime = hub.runtime('10.0.0.2');
    const data = createRandom(5).bytes(3 * 16384);
    const { metainfo } = await createMetainfo(memorySource('f', [{ path: [], data }]), {
      hasher: runtime.hash,
      pieceLength: 16384,
    });
    // One peer that accepts and never says a word, one that does not answer at all.
    const silent = await hub.runtime('10.0.0.7').net.listen({ port: 6881 }, () => {});
    hub.blackhole('10.0.0.8');
    const leecher = await createClient({
      runtime,
      storage: (layout) => createMemoryStorage(layout),
      settings: { announce: false },
    });
    const torrent = await leecher.add(metainfo, {
      peers: [
        { host: '10.0.0.7', port: 6881 },
        { host: '10.0.0.8', port: 6881 },
      ],
    });
    await settle();
    expect(torrent.peerCount).toBe(0);
    await silent.close();
    await leecher.stop();
    await settle();
    expect(hub.openHandles()).toBe(0);
  });
});

describe('our own address in the peer list (trackers list the announcer too)', () => {
  it('is dialed once, recognised by its peer id, and forgotten', async () => {
    const hub = createMemoryNetwork();
    const base = hub.runtime('10.0.0.2');
    let selfDials = 0;
    const runtime: Runtime = {
      ...base,
      net: {
        ...base.net,
        maxDatagramSize: base.net.maxDatagramSize,
        // Reachable under a second address too (as behind a NAT, or bound to 0.0.0.0).
        listen: async (o, f) => {
          const main = await base.net.listen(o, f);
          const alias = await base.net.listen({ host: '10.0.0.3', port: main.address.port }, f);
          return {
            address: main.address,
            close: async () => {
              await main.close();
              await alias.close();
            },
          };
        },
        bind: (o, f) => base.net.bind(o, f),
        dial: (address, options) => {
          if (address.host === '10.0.0.3') selfDials++;
          return base.net.dial(address, options);
        },
      },
    };
    const data = createRandom(6).bytes(2 * 16384);
    const { metainfo } = await createMetainfo(memorySource('f', [{ path: [], data }]), {
      hasher: runtime.hash,
      pieceLength: 16384,
    });
    const client = await createClient({
      runtime,
      storage: (layout) => createMemoryStorage(layout),
      settings: { announce: false },
    });
    const torrent = await client.add(metainfo);
    // As a tracker would: our own address as others see it (the host check cannot tell).
    torrent.addPeers([{ host: '10.0.0.3', port: client.address.port }]);
    for (let i = 0; i < 30; i++) {
      hub.clock.advance(1000);
      await settle();
    }
    expect(selfDials).toBe(1);
    expect(torrent.peerCount).toBe(0);
    await client.stop();
  });
});

describe('session timers (manual clock)', () => {
  it('sends keep-alives to a quiet peer and drops it once silent for idleTimeoutMs', async () => {
    const { hub, seeder, torrent, metainfo } = await setup();
    const remote = await scriptedPeer(hub.runtime('10.0.0.2'), seeder, metainfo.infoHash);
    await settle();
    expect(torrent.peerCount).toBe(1);
    const heardAt: number[] = [];
    // The scripted peer never writes; each second we note whether bytes came from the seeder.
    let last = remote.lastReceivedAt;
    for (let t = 0; t < 185; t++) {
      hub.clock.advance(1000);
      await settle();
      if (remote.lastReceivedAt !== last) {
        last = remote.lastReceivedAt;
        heardAt.push(Math.round(last / 1000));
      }
    }
    // A keep-alive every 60 s (nothing else to say), and the silent peer dropped at 180 s.
    expect(heardAt).toEqual([60, 120, 180].filter((s) => s < 180));
    expect(torrent.peerCount).toBe(0);
    expect(remote.closed).toBe(true);
    await seeder.stop();
  });

  it('closes an incoming connection that never completes its handshake', async () => {
    const { hub, seeder } = await setup({ handshakeTimeoutMs: 20_000 });
    const connection: Connection = await hub.runtime('10.0.0.3').net.dial(seeder.address);
    let closed = false;
    connection.on('data', () => {});
    connection.on('close', () => {
      closed = true;
    });
    connection.write(new Uint8Array([19, 66, 105])); // the first bytes of a handshake, then silence
    await settle();
    hub.clock.advance(19_000);
    await settle();
    expect(closed).toBe(false);
    hub.clock.advance(1_500);
    await settle();
    expect(closed).toBe(true);
    await seeder.stop();
  });

  it('gives up on requests a peer sits on, after requestTimeoutMs', async () => {
    const hub = createMemoryNetwork();
    const seedRuntime = hub.runtime('10.0.0.1');
    const data = createRandom(3).bytes(64 * 1024);
    const { metainfo } = await createMetainfo(memorySource('f', [{ path: [], data }]), {
      hasher: seedRuntime.hash,
      pieceLength: 16384,
    });
    const leecher = await createClient({
      runtime: hub.runtime('10.0.0.2'),
      storage: (layout) => createMemoryStorage(layout),
      settings: { announce: false, requestTimeoutMs: 30_000 },
    });
    const torrent = await leecher.add(metainfo);
    // A "seeder" that announces every piece, unchokes, and never answers a request.
    const remote = await scriptedPeer(seedRuntime, leecher, metainfo.infoHash);
    let requested = 0;
    remote.on('request', () => requested++);
    remote.haveAll();
    remote.unchoke();
    await settle();
    expect(requested).toBe(4);
    expect(torrent.peers()[0]!.requests).toBe(4);
    hub.clock.advance(29_000);
    await settle();
    expect(torrent.peers()[0]!.requests).toBe(4);
    hub.clock.advance(2_000);
    await settle();
    // Released (so other peers could take them), then asked again: the pipeline started over.
    expect(requested).toBe(8);
    await leecher.stop();
  });
});
