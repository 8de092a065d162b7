/**
 * Clients that misbehave do not take the server down, nor make it lose other users' entries:
 * 10^5 shares, a search storm from a client that never reads, random frames before and after
 * login, an uploader that disappears mid-transfer.
 */
import { DecodeError } from '@p2pkit/core';
import { Simulation } from '@p2pkit/sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createNapsterClient,
  createNapsterServer,
  encodeClientMessage,
  encodeFrame,
  MessageType,
  type ShareSource,
} from '../src/index.js';
import { folder, pattern, Sink } from './helpers/library.js';
import { flush, world } from './helpers/raw.js';

const share = (filename: string) =>
  encodeClientMessage({
    kind: 'share',
    filename,
    md5: '0123456789abcdef0123456789abcdef',
    size: 1000,
    bitrate: 128,
    frequency: 44100,
    duration: 60,
  });

async function world2(seed = 1) {
  const sim = new Simulation({ seed });
  const server = createNapsterServer({ runtime: sim.addHost({ address: '10.0.0.1' }), port: 8888 });
  const drive = async <T>(p: Promise<T>): Promise<T> => {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    await sim.runUntil(() => done, { timeoutMs: 600_000 });
    return p;
  };
  await drive(server.start());
  return { sim, server, drive };
}

describe('robustness', () => {
  it('10^5 shares from one client: capped, one 404, everyone else unaffected', async () => {
    const { sim, server, drive } = await world2();
    const good = createNapsterClient({
      runtime: sim.addHost(),
      server: { host: '10.0.0.1', port: 8888 },
      nick: 'good',
      firewalled: true,
    });
    await drive(good.connect());
    await drive(good.share([{ filename: 'keep me.mp3', size: 10 }]));
    const flood = sim.addHost();
    const conn = await drive(flood.net.dial({ host: '10.0.0.1', port: 8888 }));
    const notices: string[] = [];
    conn.on('data', (chunk) => {
      for (let at = 0; at + 4 <= chunk.length; ) {
        const n = chunk[at]! | (chunk[at + 1]! << 8);
        if ((chunk[at + 2]! | (chunk[at + 3]! << 8)) === 404)
          notices.push(new TextDecoder().decode(chunk.subarray(at + 4, at + 4 + n)));
        at += 4 + n;
      }
    });
    conn.write(
      encodeClientMessage({
        kind: 'login',
        nick: 'flood',
        password: 'p',
        port: 0,
        clientInfo: 'x',
        linkType: 0,
      }),
    );
    await sim.runFor(1000);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 100_000; i++) frames.push(share(`file number ${i}.mp3`));
    conn.write(Buffer.concat(frames));
    await sim.runFor(60_000);
    // good logged in first (user 0), flood second (user 1).
    expect(server.index.countOf(1)).toBe(5000);
    expect(notices).toEqual(['You may only share 5000 files']);
    expect(server.stats()).toMatchObject({ users: 2, files: 5001 });
    const found = await drive(good.search('keep'));
    expect(found).toHaveLength(0); // own files are never returned...
    const other = createNapsterClient({
      runtime: sim.addHost(),
      server: { host: '10.0.0.1', port: 8888 },
      nick: 'other',
      firewalled: true,
    });
    await drive(other.connect());
    expect((await drive(other.search('keep'))).map((r) => r.nick)).toEqual(['good']); // ...but others see them
    conn.destroy();
    await sim.runFor(1000);
    expect(server.stats()).toMatchObject({ users: 2, files: 1 });
    await drive(good.stop());
    await drive(other.stop());
    await drive(server.stop());
  }, 120_000);

  it('a search storm from a client that never reads gets it dropped; others keep searching', async () => {
    const { sim, server, drive } = await world2(2);
    const good = createNapsterClient({
      runtime: sim.addHost(),
      server: { host: '10.0.0.1', port: 8888 },
      nick: 'good',
      firewalled: true,
    });
    await drive(good.connect());
    const sharer = createNapsterClient({
      runtime: sim.addHost(),
      server: { host: '10.0.0.1', port: 8888 },
      nick: 'sharer',
      firewalled: true,
    });
    await drive(sharer.connect());
    await drive(
      sharer.share(
        Array.from({ length: 100 }, (_, i) => ({ filename: `common song ${i}.mp3`, size: 5 })),
      ),
    );
    const storm = sim.addHost();
    const conn = await drive(storm.net.dial({ host: '10.0.0.1', port: 8888 }));
    conn.write(
      encodeClientMessage({
        kind: 'login',
        nick: 'storm',
        password: 'p',
        port: 0,
        clientInfo: 'x',
        linkType: 0,
      }),
    );
    await sim.runFor(1000);
    conn.pause(); // never reads: every result piles up at the server
    const search = encodeClientMessage({
      kind: 'search',
      query: 'FILENAME CONTAINS "common song"',
    });
    for (let round = 0; round < 20; round++) {
      conn.write(Buffer.concat(Array.from({ length: 500 }, () => search)));
      await sim.runFor(100);
    }
    await sim.runFor(10_000);
    expect(server.nicks().sort()).toEqual(['good', 'sharer']);
    expect(server.stats().dropped).toBeGreaterThanOrEqual(1);
    expect(await drive(good.search('common song'))).toHaveLength(100);
    await drive(good.stop());
    await drive(sharer.stop());
    await drive(server.stop());
  }, 120_000);

  it('random frames, before and after login, never throw and leave the server serving', async () => {
    const types = Object.values(MessageType);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            type: fc.oneof(fc.constantFrom(...types), fc.nat(0xffff)),
            data: fc.oneof(fc.string({ maxLength: 60 }), fc.uint8Array({ maxLength: 60 })),
          }),
          { maxLength: 30 },
        ),
        async (frames) => {
          const w = await world({ maxCommandLength: 2048 });
          try {
            const before = await w.client();
            const after = await w.client();
            await after.login('fuzzer');
            for (const f of frames) {
              before.sendRaw(f.type, f.data);
              after.sendRaw(f.type, f.data);
            }
            await flush(50);
            const witness = await w.client();
            const acks = await witness.login('witness');
            expect(acks[0]).toMatchObject({ kind: 'loginAck' });
            witness.send({ kind: 'stats' });
            await flush();
            expect(witness.kinds()).toContain('stats');
          } finally {
            await w.stop();
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);

  it('an uploader whose machine dies mid-file: the download fails cleanly, the server drops only its files', async () => {
    const { sim, drive, server } = await world2(4);
    const data = pattern(400_000, 11);
    const upHost = sim.addHost();
    const up = createNapsterClient({
      runtime: upHost,
      server: { host: '10.0.0.1', port: 8888 },
      nick: 'up',
      dataPort: 6699,
      folder: folder({ 'song.mp3': data }),
    });
    const keeper = createNapsterClient({
      runtime: sim.addHost(),
      server: { host: '10.0.0.1', port: 8888 },
      nick: 'keeper',
      firewalled: true,
      folder: folder({ 'keep song.mp3': pattern(10, 1) }),
    });
    const down = createNapsterClient({
      runtime: sim.addHost(),
      server: { host: '10.0.0.1', port: 8888 },
      nick: 'down',
      firewalled: true,
    });
    for (const c of [up, keeper, down]) await drive(c.connect());
    await drive(up.share());
    await drive(keeper.share());
    await sim.runFor(1000);
    expect(server.stats()).toMatchObject({ users: 3, files: 2 });
    const sink = new Sink();
    let received = 0;
    const target = { nick: 'up', filename: 'song.mp3', size: data.length };
    const download = down.download(target, {
      onData: (chunk) => {
        sink.onData(chunk);
        received += chunk.length;
        // Half-way, the uploader's machine dies: its sockets vanish, its peers get resets.
        if (received > 150_000) sim.crash(upHost);
      },
    });
    await expect(drive(download)).rejects.toThrow();
    const kept = sink.bytes().length;
    expect(kept).toBeGreaterThan(150_000);
    expect(kept).toBeLessThan(data.length);
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(data.subarray(0, kept)))).toBe(true);
    await sim.runFor(5000);
    expect(server.nicks().sort()).toEqual(['down', 'keeper']);
    expect(server.stats()).toMatchObject({ users: 2, files: 1 });
    expect((await drive(down.search('song'))).map((r) => `${r.nick} ${r.filename}`)).toEqual([
      'keeper keep song.mp3',
    ]);
    await drive(keeper.stop());
    await drive(down.stop());
    await drive(server.stop());
  }, 60_000);

  it('an uploader that vanishes mid-file: the downloader fails cleanly, then resumes elsewhere', async () => {
    const { sim, drive, server } = await world2(3);
    const data = pattern(400_000, 9);
    let cut = true;
    const memory = folder({ 'song.mp3': data });
    // A folder whose reads die half-way the first time (a disk error, a crash).
    const flaky: ShareSource = {
      list: () => memory.list(),
      stat: (name) => memory.stat(name),
      async *read(name, options) {
        let sent = 0;
        for await (const chunk of memory.read(name, options)) {
          if (cut && sent > 150_000) throw new DecodeError('simulated read failure');
          sent += chunk.length;
          yield chunk;
        }
      },
    };
    const up = createNapsterClient({
      runtime: sim.addHost(),
      server: { host: '10.0.0.1', port: 8888 },
      nick: 'up',
      dataPort: 6699,
      folder: flaky,
    });
    const down = createNapsterClient({
      runtime: sim.addHost(),
      server: { host: '10.0.0.1', port: 8888 },
      nick: 'down',
      firewalled: true,
    });
    await drive(up.connect());
    await drive(up.share());
    await drive(down.connect());
    await sim.runFor(1000);
    const sink = new Sink();
    const target = { nick: 'up', filename: 'song.mp3', size: data.length };
    await expect(drive(down.download(target, { onData: sink.onData }))).rejects.toThrow();
    const kept = sink.bytes().length;
    expect(kept).toBeGreaterThan(100_000);
    expect(kept).toBeLessThan(data.length);
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(data.subarray(0, kept)))).toBe(true);
    cut = false;
    await drive(down.download(target, { offset: kept, onData: sink.onData }));
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(data))).toBe(true);
    expect(server.nicks().sort()).toEqual(['down', 'up']);
    await drive(up.stop());
    await drive(down.stop());
    await drive(server.stop());
  }, 60_000);
});

describe('frames', () => {
  it('encodeFrame refuses data over 65,535 bytes', () => {
    expect(() => encodeFrame(205, 'x'.repeat(70_000))).toThrow(/65535/);
  });
});
