/**
 * Clients and a server on the memory network: search, download straight from the peer (with
 * resume), the firewalled push path, and the refusals.
 */
import { Simulation } from '@p2pkit/sim';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createNapsterClient,
  createNapsterServer,
  DownloadUnavailableError,
  type NapsterClient,
  type NapsterClientOptions,
  type NapsterServer,
} from '../src/index.js';
import { CarelessFolder, folder, pattern, Sink } from './helpers/library.js';

let sim: Simulation;
let server: NapsterServer;
const clients: NapsterClient[] = [];

/** Runs the simulation until `promise` settles; returns (or throws) its outcome. */
async function drive<T>(promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await sim.runUntil(() => settled, { timeoutMs: 10 * 60_000 });
  return promise;
}

async function setup(): Promise<void> {
  sim = new Simulation({ seed: 1 });
  server = createNapsterServer({ runtime: sim.addHost({ address: '10.0.0.1' }), port: 8888 });
  await drive(server.start());
}

async function client(
  host: string,
  nick: string,
  options: Partial<NapsterClientOptions> & { firewalled?: boolean } = {},
): Promise<NapsterClient> {
  const runtime = sim.addHost({ address: host, firewalled: options.firewalled });
  const c = createNapsterClient({
    runtime,
    server: { host: '10.0.0.1', port: 8888 },
    nick,
    ...options,
  });
  clients.push(c);
  await drive(c.connect());
  await drive(c.share());
  await sim.runFor(1000); // let the server take the shares in
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) await drive(c.stop());
  if (server) await drive(server.stop());
  await sim.runFor(60_000);
  expect(sim.pending).toBe(0);
});

describe('NapsterClient', () => {
  it('logs in, shares its library, finds a file and downloads it from the peer', async () => {
    await setup();
    const data = pattern(200_000);
    const alice = await client('10.0.0.2', 'alice', {
      folder: folder({ 'Band - Song.mp3': data }),
      linkType: 7,
    });
    const bob = await client('10.0.0.3', 'bob');
    const results = await drive(bob.search('band song'));
    expect(results).toEqual([
      {
        nick: 'alice',
        filename: 'Band - Song.mp3',
        md5: '00000000000000000000000000000000',
        size: 200_000,
        bitrate: 0,
        frequency: 0,
        duration: 0,
        ip: '10.0.0.2',
        linkType: 7,
      },
    ]);
    const sink = new Sink();
    const uploads: unknown[] = [];
    alice.on('upload', (u) => uploads.push(u));
    const result = await drive(bob.download(results[0]!, { onData: sink.onData }));
    expect(result).toMatchObject({ mode: 'direct', size: 200_000, offset: 0 });
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(data))).toBe(true);
    expect(uploads).toEqual([
      { nick: 'bob', filename: 'Band - Song.mp3', offset: 0, bytes: 200_000, mode: 'direct' },
    ]);
  });

  it('resumes at an offset: the peer sends only the rest', async () => {
    await setup();
    const data = pattern(50_000, 3);
    await client('10.0.0.2', 'alice', { folder: folder({ 'a.mp3': data }) });
    const bob = await client('10.0.0.3', 'bob');
    const sink = new Sink();
    await drive(
      bob.download(
        { nick: 'alice', filename: 'a.mp3', size: data.length },
        { offset: 12_345, onData: sink.onData },
      ),
    );
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(data.subarray(12_345)))).toBe(true);
  });

  it('downloads from a firewalled uploader through 500/501: it connects to us and pushes', async () => {
    await setup();
    const data = pattern(80_000, 5);
    const alice = await client('10.0.0.2', 'alice', {
      folder: folder({ 'x.mp3': data }),
      firewalled: true,
    });
    expect(alice.dataPort).toBe(0);
    const bob = await client('10.0.0.3', 'bob');
    const [found] = await drive(bob.search('x'));
    const sink = new Sink();
    const result = await drive(bob.download(found!, { onData: sink.onData, offset: 1000 }));
    expect(result.mode).toBe('push');
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(data.subarray(1000)))).toBe(true);
  });

  it('both firewalled: the download is refused, nothing hangs', async () => {
    await setup();
    await client('10.0.0.2', 'alice', {
      folder: folder({ 'x.mp3': 'abc' }),
      firewalled: true,
    });
    const bob = await client('10.0.0.3', 'bob', { firewalled: true });
    await expect(
      drive(bob.download({ nick: 'alice', filename: 'x.mp3', size: 3 }, { onData: () => {} })),
    ).rejects.toBeInstanceOf(DownloadUnavailableError);
  });

  it('206 for a user not online; browse lists files or rejects for a user not online', async () => {
    await setup();
    await client('10.0.0.2', 'alice', {
      folder: folder({ 'one.mp3': 'abc', 'dir/two.mp3': 'defg' }),
    });
    const bob = await client('10.0.0.3', 'bob');
    await expect(
      drive(bob.download({ nick: 'zed', filename: 'x', size: 1 }, { onData: () => {} })),
    ).rejects.toBeInstanceOf(DownloadUnavailableError);
    const entries = await drive(bob.browse('alice'));
    expect(entries.map((e) => [e.filename, e.size]).sort()).toEqual([
      ['dir/two.mp3', 4],
      ['one.mp3', 3],
    ]);
    await expect(drive(bob.browse('zed'))).rejects.toThrow(/not online/);
  });

  it('a nick that cannot go on the wire fails connect() before any socket; stop() is quiet', async () => {
    await setup();
    const runtime = sim.addHost({ address: '10.0.0.9' });
    const bad = createNapsterClient({
      runtime,
      server: { host: '10.0.0.1', port: 8888 },
      nick: 'bad nick',
    });
    await expect(drive(bad.connect())).rejects.toThrow(/nick must be a non-empty word/);
    // Nothing listens on its data port, nothing dialed the server, nothing waits to be rejected.
    expect(bad.connected).toBe(false);
    expect(server.stats().users).toBe(0);
    await drive(bad.stop());
  });

  it('never shares or serves a name with .. or a root', async () => {
    await setup();
    const careless = new CarelessFolder({
      'ok.mp3': 'fine',
      '../secret': 'no',
      '/etc/passwd': 'no',
      'C:\\x.mp3': 'no',
      'a"b.mp3': 'no',
    });
    const alice = await client('10.0.0.2', 'alice', { folder: careless });
    expect(server.stats().files).toBe(1);
    const bob = await client('10.0.0.3', 'bob');
    // A raw GET for each bad name straight to alice's data port.
    for (const name of ['../secret', '/etc/passwd', 'C:\\x.mp3']) {
      const conn = await drive(bob.runtime.net.dial({ host: '10.0.0.2', port: alice.dataPort }));
      const got: Uint8Array[] = [];
      conn.on('data', (c) => got.push(c));
      const ended = new Promise<void>((r) => conn.on('end', () => r()));
      conn.write(new TextEncoder().encode('GET'));
      conn.write(new TextEncoder().encode(`bob "${name}" 0`));
      await drive(ended);
      conn.end();
      expect(new TextDecoder().decode(Buffer.concat(got))).toBe('1FILE NOT SHARED');
    }
    expect(careless.asked).toEqual([]);
  });
});
