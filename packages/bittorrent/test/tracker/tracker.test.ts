import {
  type Address,
  createMemoryNetwork,
  type DatagramSocket,
  httpRequest,
  type Runtime,
  TimeoutError,
} from '@p2pkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { bencode, bytesToBinary, toHex, utf8 } from '../../src/bencode/index.js';
import {
  type AnnounceParams,
  createAnnouncer,
  createTracker,
  createTrackerClient,
  udpTrackerPackets as P,
  type TrackerClient,
  TrackerError,
  type TrackerServer,
  UdpTrackerClient,
} from '../../src/tracker/index.js';

describe('announcer status and retry', () => {
  it('finds a tracker that started after it within 15 s, and keeps what each tracker said', async () => {
    const { hub, clock, clientFor, start } = setup({ intervalS: 120, http: { port: 6969 } });
    const announcer = createAnnouncer({
      runtime: hub.runtime('10.0.1.1'),
      client: clientFor(1),
      announceList: [['http://10.0.0.1:6969/announce']],
      infoHash: HASH,
      peerId: peerId(1),
      port: 6001,
      stats: () => ({ uploaded: 0, downloaded: 0, left: 100 }),
    });
    announcer.start();
    await flush();
    // Nothing listens yet: the failure is kept, named.
    const [down] = announcer.status();
    expect(down).toMatchObject({ url: 'http://10.0.0.1:6969/announce', announcedAt: undefined });
    expect(down!.error).toBeDefined();
    await start();
    clock.advance(14_999);
    await flush();
    expect(announcer.status()[0]!.announcedAt).toBeUndefined();
    clock.advance(1);
    for (let i = 0; i < 5 && announcer.status()[0]!.announcedAt === undefined; i++) await flush();
    expect(announcer.status()[0]).toMatchObject({
      error: undefined,
      announcedAt: 15_000,
      leechers: 1,
      seeders: 0,
    });
    const stopping = announcer.stop();
    await flush();
    clock.advance(5000);
    await stopping;
  });
});

/** A raw GET through core's HTTP client: the whole body. */
async function getBody(runtime: Runtime, url: string): Promise<Uint8Array> {
  return (await httpRequest(runtime, url)).body.bytes();
}

/** Lets queued microtasks and memory-network deliveries run. */
const flush = async (rounds = 20) => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
};

const HASH = new Uint8Array(20).fill(0xab);
const peerId = (n: number) => utf8(`-PK0001-${String(n).padStart(12, '0')}`);
const params = (n: number, extra: Partial<AnnounceParams> = {}): AnnounceParams => ({
  infoHash: HASH,
  peerId: peerId(n),
  port: 6000 + n,
  uploaded: 0,
  downloaded: 0,
  left: 100,
  ...extra,
});

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function setup(options: Partial<Parameters<typeof createTracker>[0]> = {}) {
  const hub = createMemoryNetwork();
  const serverRuntime = hub.runtime('10.0.0.1');
  const runtimes = new Map<number, Runtime>();
  const clientFor = (n: number): TrackerClient => {
    const runtime = hub.runtime(`10.0.1.${n}`);
    runtimes.set(n, runtime);
    const client = createTrackerClient({ runtime, udp: { retryBaseMs: 1000, maxRetries: 2 } });
    cleanups.push(() => client.close());
    return client;
  };
  const start = async () => {
    const tracker = await createTracker({ runtime: serverRuntime, ...options });
    cleanups.push(() => tracker.close());
    return tracker;
  };
  return { hub, clock: hub.clock, serverRuntime, clientFor, start, runtimes };
}

const urls = (tracker: TrackerServer) => ({
  http: `http://${tracker.httpAddress!.host}:${tracker.httpAddress!.port}/announce`,
  udp: `udp://${tracker.udpAddress!.host}:${tracker.udpAddress!.port}/announce`,
});

describe('tracker state size', () => {
  it('stateBytes counts each peer and swarm it holds, and shrinks as they leave', async () => {
    const { clientFor, start } = setup();
    const tracker = await start();
    const url = urls(tracker).udp;
    expect(tracker.stateBytes).toBe(0);
    const sizes: number[] = [];
    for (let n = 1; n <= 6; n++) {
      await clientFor(n).announce(url, params(n, { event: 'started' }));
      sizes.push(tracker.stateBytes);
    }
    // Every peer adds its record (hundreds of bytes in V8), by the same amount for the same
    // address and id lengths; the first also pays for its swarm.
    const steps = sizes.slice(1).map((size, i) => size - sizes[i]!);
    expect(new Set(steps).size).toBe(1);
    expect(steps[0]).toBeGreaterThan(300);
    expect(steps[0]).toBeLessThan(1000);
    expect(sizes[0]).toBeGreaterThan(steps[0]!);
    // A second torrent is a second swarm.
    await clientFor(1).announce(url, params(1, { infoHash: new Uint8Array(20).fill(1) }));
    expect(tracker.torrents).toBe(2);
    expect(tracker.stateBytes).toBe(sizes[5]! + sizes[0]!);
    await clientFor(1).announce(url, params(1, { event: 'stopped' }));
    expect(tracker.stateBytes).toBe(sizes[5]! + sizes[0]! - steps[0]!);
  });
});

describe('tracker client ↔ server (memory network)', () => {
  for (const kind of ['http', 'udp'] as const) {
    it(`${kind}: announce returns the other peers, scrape counts them, stopped removes`, async () => {
      const { clientFor, start } = setup();
      const tracker = await start();
      const url = urls(tracker)[kind];
      const a = clientFor(1);
      const b = clientFor(2);
      const c = clientFor(3);
      const first = await a.announce(url, params(1, { event: 'started' }));
      expect(first.peers).toEqual([]);
      expect(first.interval).toBe(600);
      await b.announce(url, params(2, { event: 'started', left: 0 }));
      const third = await c.announce(url, params(3, { event: 'started' }));
      expect(third.peers.map((p) => `${p.host}:${p.port}`).sort()).toEqual([
        '10.0.1.1:6001',
        '10.0.1.2:6002',
      ]);
      expect(third).toMatchObject({ complete: 1, incomplete: 2 });
      // A seed is only given leechers.
      const seedView = await b.announce(url, params(2, { left: 0 }));
      expect(seedView.peers.map((p) => p.port).sort()).toEqual([6001, 6003]);
      await a.announce(url, params(1, { event: 'completed', left: 0 }));
      const scrape = await c.scrape(url, [HASH, new Uint8Array(20)]);
      expect(scrape.get(toHex(HASH))).toEqual({ complete: 2, incomplete: 1, downloaded: 1 });
      expect(scrape.get(toHex(new Uint8Array(20)))).toEqual({
        complete: 0,
        incomplete: 0,
        downloaded: 0,
      });
      await b.announce(url, params(2, { event: 'stopped', left: 0 }));
      const after = await c.announce(url, params(3));
      expect(after.peers.map((p) => p.port)).toEqual([6001]);
      expect(tracker.peers).toBe(2);
    });
  }

  it('http: compact=0 gives dictionary peers with peer ids; no_peer_id drops them', async () => {
    const { clientFor, start, runtimes } = setup();
    const tracker = await start();
    await clientFor(1).announce(urls(tracker).http, params(1));
    clientFor(2);
    const base = `${urls(tracker).http}?info_hash=${'%AB'.repeat(20)}&peer_id=${bytesToBinary(peerId(2))}&port=1&left=1`;
    const reply = await getBody(runtimes.get(2)!, `${base}&compact=0`);
    expect(bytesToBinary(reply)).toContain(`7:peer id20:${bytesToBinary(peerId(1))}`);
    expect(bytesToBinary(reply)).toContain('2:ip8:10.0.1.1');
    const noId = await getBody(runtimes.get(2)!, `${base}&compact=0&no_peer_id=1`);
    expect(bytesToBinary(noId)).not.toContain('peer id');
  });

  it('clamps numwant and caps swarms and torrents', async () => {
    const { clientFor, start } = setup({ maxNumwant: 3, maxPeersPerTorrent: 5, maxTorrents: 1 });
    const tracker = await start();
    const url = urls(tracker).http;
    for (let n = 1; n <= 8; n++) await clientFor(n).announce(url, params(n));
    expect(tracker.peers).toBe(5);
    const many = await clientFor(9).announce(url, params(9, { numwant: 1000 }));
    expect(many.peers).toHaveLength(3);
    const none = await clientFor(10).announce(url, params(10, { numwant: 0 }));
    expect(none.peers).toHaveLength(0);
    const other = clientFor(11).announce(url, params(11, { infoHash: new Uint8Array(20) }));
    await expect(other).rejects.toMatchObject({
      code: 'ERR_TRACKER_FAILURE',
      reason: 'tracker is full',
    });
  });

  it('refuses torrents outside its filter with a failure reason (HTTP and UDP)', async () => {
    const { clientFor, start } = setup({ filter: (h) => h[0] === 0xab });
    const tracker = await start();
    const client = clientFor(1);
    for (const url of Object.values(urls(tracker))) {
      await expect(
        client.announce(url, params(1, { infoHash: new Uint8Array(20) })),
      ).rejects.toMatchObject({
        code: 'ERR_TRACKER_FAILURE',
        reason: 'torrent not tracked here',
      });
    }
  });

  it('forgets peers that stop announcing', async () => {
    const { clientFor, start, clock } = setup({ intervalS: 100, sweepIntervalMs: 10_000 });
    const tracker = await start();
    const url = urls(tracker).http;
    await clientFor(1).announce(url, params(1));
    clock.advance(150_000);
    await clientFor(2).announce(url, params(2));
    expect(tracker.peers).toBe(2);
    clock.advance(60_000); // peer 1 silent for 210 s > 2 × interval
    expect(tracker.peers).toBe(1);
    clock.advance(200_000);
    expect(tracker.peers).toBe(0);
    expect(tracker.torrents).toBe(0);
  });

  it('udp: stale or forged connection ids get an error packet', async () => {
    const { hub, start, clock } = setup();
    const tracker = await start();
    const replies: Uint8Array[] = [];
    const socket = await hub
      .runtime('10.0.2.1')
      .net.bind({ port: 0 }, (data) => replies.push(data));
    cleanups.push(() => socket.close());
    socket.send(P.encodeConnectRequest(1), tracker.udpAddress!);
    await flush();
    const connect = P.decodeUdpResponse(replies.shift()!);
    if (connect.action !== 'connect') throw new Error('expected connect');
    const announce = (id: Uint8Array, tid: number) =>
      P.encodeAnnounceRequest({
        connectionId: id,
        transactionId: tid,
        infoHash: HASH,
        peerId: peerId(1),
        downloaded: 0,
        left: 1,
        uploaded: 0,
        event: undefined,
        ip: 0,
        key: 0,
        numWant: -1,
        port: 1,
      });
    clock.advance(119_000); // BEP 15: trackers accept an id for two minutes
    socket.send(announce(connect.connectionId, 2), tracker.udpAddress!);
    await flush();
    expect(P.decodeUdpResponse(replies.shift()!)).toMatchObject({
      action: 'announce',
      transactionId: 2,
    });
    socket.send(announce(new Uint8Array(8), 3), tracker.udpAddress!);
    clock.advance(200_000);
    socket.send(announce(connect.connectionId, 4), tracker.udpAddress!);
    await flush();
    expect(replies.map((r) => P.decodeUdpResponse(r))).toMatchObject([
      { action: 'error', transactionId: 3, message: 'connection id mismatch' },
      { action: 'error', transactionId: 4 },
    ]);
    // Garbage and short packets get no reply at all.
    socket.send(new Uint8Array(10), tracker.udpAddress!);
    socket.send(new Uint8Array(100), tracker.udpAddress!);
    await flush();
    expect(replies).toHaveLength(2);
  });

  it('stop releases every socket and timer', async () => {
    const { hub, start, clock } = setup();
    const tracker = await start();
    expect(hub.openHandles()).toBeGreaterThan(0);
    await tracker.close();
    cleanups = [];
    expect(hub.openHandles()).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

/** A scripted UDP tracker: `script` answers each packet (or not). */
async function fakeUdpTracker(
  runtime: Runtime,
  script: (packet: Uint8Array, n: number, reply: (p: Uint8Array) => void) => void,
): Promise<{
  socket: DatagramSocket;
  received: { at: number; packet: Uint8Array }[];
  url: string;
}> {
  const received: { at: number; packet: Uint8Array }[] = [];
  let socket: DatagramSocket | undefined;
  socket = await runtime.net.bind({ port: 0 }, (data, from: Address) => {
    received.push({ at: runtime.clock.now(), packet: data });
    script(data, received.length, (p) => socket!.send(p, from));
  });
  cleanups.push(() => socket!.close());
  return { socket, received, url: `udp://${socket.address.host}:${socket.address.port}` };
}

const CONN = new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9]);

describe('udp tracker client against scripted trackers', () => {
  it('retransmits after base·2^n and reuses the connection id for a minute', async () => {
    const hub = createMemoryNetwork();
    const server = await fakeUdpTracker(hub.runtime('10.0.0.9'), (packet, n, reply) => {
      if (n <= 2) return; // lose the first two connect requests
      const request = P.decodeUdpRequest(packet);
      if (request.action === 'connect') reply(P.encodeConnectResponse(request.transactionId, CONN));
      else
        reply(
          P.encodeAnnounceResponse({
            transactionId: request.transactionId,
            interval: 5,
            leechers: 0,
            seeders: 0,
            peers: new Uint8Array(0),
          }),
        );
    });
    const client = new UdpTrackerClient({
      runtime: hub.runtime('10.0.0.2'),
      retryBaseMs: 1000,
      maxRetries: 3,
    });
    cleanups.push(() => client.close());
    const done = client.announce(server.url, params(1));
    await flush();
    hub.clock.advance(1000);
    await flush();
    hub.clock.advance(2000);
    await flush();
    await done;
    expect(server.received.map((r) => r.at)).toEqual([0, 1000, 3000, 3000]);
    // Within a minute: no new connect.
    hub.clock.advance(50_000);
    await client.announce(server.url, params(1));
    expect(server.received).toHaveLength(5);
    expect(P.decodeUdpRequest(server.received[4]!.packet).action).toBe('announce');
    // After a minute: connect again.
    hub.clock.advance(20_000);
    await client.announce(server.url, params(1));
    expect(server.received.slice(5).map((r) => P.decodeUdpRequest(r.packet).action)).toEqual([
      'connect',
      'announce',
    ]);
  });

  it('gives up with a TimeoutError after maxRetries', async () => {
    const hub = createMemoryNetwork();
    const server = await fakeUdpTracker(hub.runtime('10.0.0.9'), () => {});
    const client = new UdpTrackerClient({
      runtime: hub.runtime('10.0.0.2'),
      retryBaseMs: 100,
      maxRetries: 2,
    });
    cleanups.push(() => client.close());
    const done = client.announce(server.url, params(1));
    const outcome = done.catch((e) => e);
    for (const step of [100, 200, 400]) {
      await flush();
      hub.clock.advance(step);
    }
    expect(await outcome).toBeInstanceOf(TimeoutError);
    expect(server.received.map((r) => r.at)).toEqual([0, 100, 300]);
  });

  it("opentracker's 8-byte announce reply → ERR_TRACKER_RESPONSE at once; error packets → ERR_TRACKER_FAILURE", async () => {
    const hub = createMemoryNetwork();
    const short = await fakeUdpTracker(hub.runtime('10.0.0.9'), (packet, _n, reply) => {
      const request = P.decodeUdpRequest(packet);
      if (request.action === 'connect') reply(P.encodeConnectResponse(request.transactionId, CONN));
      // opentracker for a torrent it does not track: action 1 and the transaction id, nothing else.
      else reply(new Uint8Array([0, 0, 0, 1, ...packet.slice(12, 16)]));
    });
    const client = new UdpTrackerClient({ runtime: hub.runtime('10.0.0.2'), retryBaseMs: 1000 });
    cleanups.push(() => client.close());
    await expect(client.announce(short.url, params(1))).rejects.toMatchObject({
      code: 'ERR_TRACKER_RESPONSE',
    });

    const refusing = await fakeUdpTracker(hub.runtime('10.0.0.8'), (packet, _n, reply) => {
      const request = P.decodeUdpRequest(packet);
      if (request.action === 'connect') reply(P.encodeConnectResponse(request.transactionId, CONN));
      else
        reply(
          new Uint8Array([
            0,
            0,
            0,
            3,
            ...packet.slice(12, 16),
            ...utf8('Connection ID missmatch.'),
            0,
          ]),
        );
    });
    const error = await client.announce(refusing.url, params(1)).catch((e) => e);
    expect(error).toBeInstanceOf(TrackerError);
    expect(error).toMatchObject({
      code: 'ERR_TRACKER_FAILURE',
      reason: 'Connection ID missmatch.',
    });
  });

  it('ignores replies with the wrong transaction id or from elsewhere', async () => {
    const hub = createMemoryNetwork();
    const runtime = hub.runtime('10.0.0.9');
    const server = await fakeUdpTracker(runtime, (packet, _n, reply) => {
      const request = P.decodeUdpRequest(packet);
      reply(P.encodeConnectResponse(request.transactionId + 1, CONN)); // wrong tid
    });
    const client = new UdpTrackerClient({
      runtime: hub.runtime('10.0.0.2'),
      retryBaseMs: 100,
      maxRetries: 0,
    });
    cleanups.push(() => client.close());
    const outcome = client.announce(server.url, params(1)).catch((e) => e);
    await flush();
    hub.clock.advance(100);
    expect(await outcome).toBeInstanceOf(TimeoutError);
  });

  it('an AbortSignal stops a request at once', async () => {
    const hub = createMemoryNetwork();
    const server = await fakeUdpTracker(hub.runtime('10.0.0.9'), () => {});
    const client = new UdpTrackerClient({ runtime: hub.runtime('10.0.0.2') });
    cleanups.push(() => client.close());
    const controller = new AbortController();
    const outcome = client
      .announce(server.url, params(1), { signal: controller.signal })
      .catch((e) => e);
    await flush();
    controller.abort();
    expect(await outcome).toMatchObject({ code: 'ERR_ABORTED' });
  });
});

describe('http tracker client against scripted servers', () => {
  async function rawServer(
    hub: ReturnType<typeof createMemoryNetwork>,
    reply: string | null,
    close = true,
  ) {
    const runtime = hub.runtime('10.0.0.7');
    const listener = await runtime.net.listen({ port: 0 }, (connection) => {
      connection.on('data', () => {
        if (reply === null) return;
        connection.write(utf8(reply));
        if (close) connection.end();
      });
    });
    cleanups.push(() => listener.close());
    return `http://10.0.0.7:${listener.address.port}/announce`;
  }

  const cases: [string, string, string][] = [
    ['garbage body', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', 'ERR_TRACKER_RESPONSE'],
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', 'ERR_TRACKER_RESPONSE'],
    [
      'truncated body',
      'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nd8:interval',
      'ERR_TRACKER_RESPONSE',
    ],
    ['404', 'HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop', 'ERR_TRACKER_HTTP'],
    [
      '500 with failure reason',
      'HTTP/1.1 500 Oops\r\n\r\nd14:failure reason4:downe',
      'ERR_TRACKER_FAILURE',
    ],
  ];
  for (const [what, reply, expected] of cases) {
    it(`${what} → ${expected}`, async () => {
      const hub = createMemoryNetwork();
      const url = await rawServer(hub, reply);
      const client = createTrackerClient({ runtime: hub.runtime('10.0.0.2') });
      await expect(client.announce(url, params(1))).rejects.toMatchObject({ code: expected });
    });
  }

  it('reads a chunked reply', async () => {
    const hub = createMemoryNetwork();
    const body = bytesToBinary(
      bencode({ interval: 30, peers: new Uint8Array([1, 2, 3, 4, 0, 5]) }),
    );
    const chunked = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n${body.slice(0, 4)}\r\n${(body.length - 4).toString(16)}\r\n${body.slice(4)}\r\n0\r\n\r\n`;
    const url = await rawServer(hub, chunked, false);
    const client = createTrackerClient({ runtime: hub.runtime('10.0.0.2') });
    const result = await client.announce(url, params(1));
    expect(result.peers).toEqual([{ host: '1.2.3.4', port: 5 }]);
  });

  it('times out on a silent server, from the runtime clock', async () => {
    const hub = createMemoryNetwork();
    const url = await rawServer(hub, null);
    const client = createTrackerClient({
      runtime: hub.runtime('10.0.0.2'),
      http: { timeoutMs: 5000 },
    });
    const outcome = client.announce(url, params(1)).catch((e) => e);
    await flush();
    hub.clock.advance(5000);
    expect(await outcome).toBeInstanceOf(TimeoutError);
  });

  it('refuses URLs it cannot use', async () => {
    const hub = createMemoryNetwork();
    const client = createTrackerClient({ runtime: hub.runtime('10.0.0.2') });
    for (const url of ['https://x/announce', 'wss://x', 'udp://x', 'udp://x:0', 'nonsense']) {
      await expect(client.announce(url, params(1))).rejects.toMatchObject({
        code: 'ERR_TRACKER_URL',
      });
    }
  });
});

describe('announcer', () => {
  it('walks BEP 12 tiers, promotes the tracker that answers, re-announces, sends stopped', async () => {
    const { clientFor, start, clock, hub } = setup({ intervalS: 120, minIntervalS: 10 });
    const tracker = await start();
    const client = clientFor(1);
    const dead = 'http://10.9.9.9:1/announce';
    const deadUdp = 'udp://10.0.0.1:9/announce';
    const good = urls(tracker).udp;
    // A second peer so that the announcer has someone to find.
    await clientFor(2).announce(urls(tracker).http, params(2));
    const announcer = createAnnouncer({
      runtime: hub.runtime('10.0.1.1'),
      client,
      announceList: [[dead], [deadUdp, good]],
      infoHash: HASH,
      peerId: peerId(1),
      port: 6001,
      stats: () => ({ uploaded: 0, downloaded: 0, left: 100 }),
      requestTimeoutMs: 5000,
    });
    const seen: string[] = [];
    const errors: string[] = [];
    let lastAt = 0;
    announcer.on('peers', (peers, url) => {
      lastAt = clock.now();
      seen.push(`${url} ${peers.map((p) => p.port).join(',')}`);
    });
    announcer.on('error', (_e, url) => errors.push(String(url)));
    announcer.start();
    for (let i = 0; i < 10 && seen.length === 0; i++) {
      await flush();
      clock.advance(1000);
    }
    expect(seen).toEqual([`${good} 6002`]);
    expect(errors).toContain(dead);
    expect(announcer.tiers[1]![0]).toBe(good);
    expect(tracker.peers).toBe(2);
    // The next regular announce comes after the tracker's interval (120 s).
    clock.advanceTo(lastAt + 119_000);
    await flush();
    expect(seen).toHaveLength(1);
    clock.advance(2000);
    for (let i = 0; i < 10 && seen.length < 2; i++) {
      await flush();
      clock.advance(1000);
    }
    expect(seen).toHaveLength(2);
    const stopping = announcer.stop();
    for (let i = 0; i < 10; i++) {
      await flush();
      clock.advance(1000);
    }
    await stopping;
    expect(tracker.peers).toBe(1);
  });
});
