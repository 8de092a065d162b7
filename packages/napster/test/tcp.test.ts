/**
 * The download flows over real TCP on 127.0.0.1 (ports picked by the system), with files on
 * disk: our server and client on one side, a raw peer written from PROTOCOL.md §5-6 on the
 * other, byte for byte. Direct GET at offset 0 and at an offset (resume); the firewalled path
 * (203 → 204 port 0, 500 → 607 to the uploader, 608 → 501 to it, its push with SEND) with a
 * resume offset. No sleeps: every wait is for bytes to arrive.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSharedFolder, type RealRuntime, realRuntime } from '@p2pkit/core/node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ClientMessage,
  createNapsterClient,
  createNapsterServer,
  encodeClientMessage,
  type NapsterClient,
  type NapsterServer,
  napsterToIp,
  type ServerMessage,
  type UnknownMessage,
} from '../src/index.js';
import { pattern } from './helpers/library.js';
import { takeServerMessages } from './helpers/raw.js';

const SIZE = 100_000;
const NAME = 'Band - Song.mp3';
const text = (s: string) => new TextEncoder().encode(s);

/** A napster session on a raw socket: frames out, server messages in, waited for by kind. */
class RawSession {
  private buffer: Uint8Array = new Uint8Array(0);
  private readonly queue: (ServerMessage | UnknownMessage)[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Uint8Array) => {
      this.buffer = takeServerMessages(this.buffer, chunk, (m) => this.queue.push(m));
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  send(message: ClientMessage): void {
    this.socket.write(encodeClientMessage(message));
  }

  /** The next message of one of these kinds (earlier ones of other kinds are dropped). */
  async next<K extends ServerMessage['kind']>(
    ...kinds: K[]
  ): Promise<Extract<ServerMessage, { kind: K }>> {
    for (;;) {
      const i = this.queue.findIndex((m) => (kinds as string[]).includes(m.kind));
      if (i >= 0) return this.queue.splice(0, i + 1)[i] as Extract<ServerMessage, { kind: K }>;
      if (this.closed) throw new Error(`closed while waiting for ${kinds.join(' or ')}`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

/** Collects what a data socket receives until it has `n` bytes, or ends. */
function reader(socket: Socket) {
  let got = new Uint8Array(0);
  let ended = false;
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Uint8Array) => {
    const merged = new Uint8Array(got.length + chunk.length);
    merged.set(got);
    merged.set(chunk, got.length);
    got = merged;
    waiter?.();
  });
  socket.on('close', () => {
    ended = true;
    waiter?.();
  });
  return {
    async until(test: (bytes: Uint8Array) => boolean): Promise<Uint8Array> {
      while (!test(got)) {
        if (ended) throw new Error(`ended after ${got.length} bytes`);
        await new Promise<void>((resolve) => (waiter = resolve));
      }
      return got;
    },
    async end(): Promise<Uint8Array> {
      while (!ended) await new Promise<void>((resolve) => (waiter = resolve));
      return got;
    },
    take(n: number): Uint8Array {
      const head = got.slice(0, n);
      got = got.slice(n);
      return head;
    },
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function world() {
  const dir = await mkdtemp(join(tmpdir(), 'napster-tcp-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const data = pattern(SIZE, 11);
  await writeFile(join(dir, NAME), data);
  const runtimes: RealRuntime[] = [];
  const runtime = () => {
    const r = realRuntime({ host: '127.0.0.1' });
    runtimes.push(r);
    return r;
  };
  cleanup.push(async () => {
    for (const r of runtimes) await r.close();
  });
  const server: NapsterServer = createNapsterServer({ runtime: runtime(), port: 0 });
  await server.start();
  cleanup.push(() => server.stop());
  const clients: NapsterClient[] = [];
  cleanup.push(async () => {
    for (const c of clients) await c.stop();
  });
  const client = async (nick: string, options: { firewalled?: boolean; shares?: boolean }) => {
    const c = createNapsterClient({
      runtime: runtime(),
      server: server.address,
      nick,
      dataPort: 0,
      firewalled: options.firewalled ?? false,
      ...(options.shares ? { folder: await openSharedFolder(dir, { create: false }) } : {}),
    });
    clients.push(c);
    await c.connect();
    if (options.shares) await c.share();
    return c;
  };
  const raw = async (login: ClientMessage) => {
    const socket = tcpConnect({ host: '127.0.0.1', port: server.address.port });
    cleanup.push(async () => {
      socket.destroy();
    });
    const session = new RawSession(socket);
    session.send(login);
    await session.next('loginAck');
    return session;
  };
  return { data, server, client, raw };
}

/** Searches until `nick`'s file is indexed (its shares travel on another connection). */
async function find(session: RawSession, nick: string) {
  for (;;) {
    session.send({ kind: 'search', query: 'FILENAME CONTAINS "song" MAX_RESULTS 10' });
    const results: ServerMessage[] = [];
    for (;;) {
      const m = await session.next('searchResult', 'searchEnd');
      if (m.kind === 'searchEnd') break;
      results.push(m);
    }
    const hit = results.find((m) => m.kind === 'searchResult' && m.nick === nick);
    if (hit) return hit;
  }
}

/** Our client searches until `nick`'s file is indexed; its first hit. */
async function searchUntil(client: NapsterClient, nick: string) {
  for (;;) {
    const hit = (await client.search('song')).find((f) => f.nick === nick);
    if (hit) return hit;
  }
}

/** Dials the accepting side of a transfer, which speaks first: the single byte `1`. */
async function dialAccepting(port: number) {
  const socket = tcpConnect({ host: '127.0.0.1', port });
  const r = reader(socket);
  await r.until((b) => b.length >= 1);
  expect(new TextDecoder().decode(r.take(1))).toBe('1');
  return { socket, r };
}

function listen(): Promise<{ server: Server; port: number; accepted: Promise<Socket> }> {
  return new Promise((resolve) => {
    let accept!: (s: Socket) => void;
    const accepted = new Promise<Socket>((r) => (accept = r));
    const server = createServer((s) => accept(s));
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        server,
        port: typeof address === 'object' && address ? address.port : 0,
        accepted,
      });
    });
  });
}

describe('downloads over real TCP', () => {
  it('direct: 203 → 204 with the uploader port, then `1`, GET, the size and the bytes; again at an offset', async () => {
    const w = await world();
    const alice = await client(w, 'alice');
    const bob = await w.raw({
      kind: 'login',
      nick: 'bob',
      password: 'pw',
      port: 0,
      clientInfo: 'raw test',
      linkType: 3,
    });
    const hit = await find(bob, 'alice');
    expect(hit).toMatchObject({ filename: NAME, size: SIZE });

    for (const offset of [0, 60_000]) {
      bob.send({ kind: 'download', nick: 'alice', filename: NAME });
      const ack = await bob.next('downloadAck');
      expect(ack).toMatchObject({ nick: 'alice', filename: NAME, port: alice.dataPort });
      expect(napsterToIp(ack.ip)).toBe('127.0.0.1');

      const { socket, r } = await dialAccepting(ack.port);
      socket.write(text('GET'));
      socket.write(text(`bob "${NAME}" ${offset}`));
      // The size is the whole file's, as bare digits, and the bytes from the offset follow.
      const got = await r.end();
      const digits = String(SIZE);
      expect(new TextDecoder().decode(got.subarray(0, digits.length))).toBe(digits);
      expect(
        Buffer.from(got.subarray(digits.length)).equals(Buffer.from(w.data.subarray(offset))),
      ).toBe(true);
    }
  }, 15_000);

  it('firewalled uploader: 204 port 0, then 500 → 607 → 608 → 501, and it pushes from the offset', async () => {
    const w = await world();
    const bob = await client(w, 'bob');
    const data = await listen();
    cleanup.push(() => new Promise((resolve) => data.server.close(() => resolve())));
    // Raw alice: firewalled (port 0), shares the file herself.
    const alice = await w.raw({
      kind: 'login',
      nick: 'alice',
      password: 'pw',
      port: 0,
      clientInfo: 'raw test',
      linkType: 3,
    });
    alice.send({
      kind: 'share',
      filename: NAME,
      md5: '0'.repeat(32),
      size: SIZE,
      bitrate: 128,
      frequency: 44100,
      duration: 60,
    });
    const found = await searchUntil(bob, 'alice');
    expect(found).toMatchObject({ nick: 'alice', filename: NAME, size: SIZE });
    const offset = 40_000;
    const collected = collect.reset();
    const download = bob.download(found, { offset, onData: collect.push });

    // The server asks the firewalled uploader (607) once bob sends 500; alice accepts (608) and
    // is told where bob listens (501).
    const request = await alice.next('uploadRequest');
    expect(request).toEqual({ kind: 'uploadRequest', nick: 'bob', filename: NAME });
    alice.send({ kind: 'uploadAccept', nick: 'bob', filename: NAME });
    const push = await alice.next('firewallUpload');
    expect(push).toMatchObject({ nick: 'bob', port: bob.dataPort, filename: NAME });
    expect(napsterToIp(push.ip)).toBe('127.0.0.1');

    const { socket, r } = await dialAccepting(push.port);
    socket.write(text('SEND'));
    socket.write(text(`alice "${NAME}" ${SIZE}`));
    // Bob answers the offset as bare digits, nothing after.
    const asked = await r.until((b) => b.length >= String(offset).length);
    expect(new TextDecoder().decode(asked)).toBe(String(offset));
    socket.end(w.data.subarray(offset));
    const result = await download;
    expect(result.mode).toBe('push');
    expect(Buffer.from(collected()).equals(Buffer.from(w.data.subarray(offset)))).toBe(true);
  }, 15_000);

  it('our client both ways: direct and pushed, each resumed at an offset, from a folder on disk', async () => {
    const w = await world();
    await client(w, 'alice', { shares: true });
    await client(w, 'carol', { shares: true, firewalled: true });
    const bob = await client(w, 'bob');
    for (const [nick, mode] of [
      ['alice', 'direct'],
      ['carol', 'push'],
    ] as const) {
      const found = await searchUntil(bob, nick);
      collect.reset();
      const result = await bob.download(found, { offset: 12_345, onData: collect.push });
      expect(result.mode).toBe(mode);
      expect(Buffer.from(collect.bytes()).equals(Buffer.from(w.data.subarray(12_345)))).toBe(true);
    }
  }, 15_000);
});

/** What onData handed over, in order. */
const collect = (() => {
  let chunks: Uint8Array[] = [];
  const bytes = () => Buffer.concat(chunks);
  return {
    push: (chunk: Uint8Array) => {
      chunks.push(chunk.slice());
    },
    bytes,
    reset: () => {
      chunks = [];
      return bytes;
    },
  };
})();

function client(w: Awaited<ReturnType<typeof world>>, nick: string, options = {}) {
  return w.client(nick, { shares: true, ...options });
}
