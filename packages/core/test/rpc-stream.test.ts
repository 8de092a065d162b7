import { setImmediate as flush } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  type Connection,
  createMemoryNetwork,
  createStreamRpc,
  encodeFrame,
  isP2PError,
  type StreamRpc,
} from '../src/index.js';

const utf8 = (value: string) => new TextEncoder().encode(value);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function connected() {
  const hub = createMemoryNetwork();
  const a = hub.runtime('10.0.0.1');
  const b = hub.runtime('10.0.0.2');
  let accept!: (c: Connection) => void;
  const accepted = new Promise<Connection>((resolve) => {
    accept = resolve;
  });
  const listener = await a.net.listen({ port: 4000 }, accept);
  const dialed = await b.net.dial(listener.address);
  const server = await accepted;
  await listener.close();
  return { hub, a, b, dialed, server, listenerAddress: listener.address };
}

async function rpcPair(options: { timeoutMs?: number; maxMessageSize?: number } = {}) {
  const { hub, a, b, dialed, server, listenerAddress } = await connected();
  const serverRpc = createStreamRpc({
    runtime: a,
    connection: server,
    self: { id: utf8('A') },
    advertise: listenerAddress,
    ...options,
  });
  const clientRpc = createStreamRpc({
    runtime: b,
    connection: dialed,
    self: { id: utf8('B') },
    ...options,
  });
  return { hub, clock: hub.clock, serverRpc, clientRpc };
}

describe('createStreamRpc', () => {
  it('both ends request each other over one connection', async () => {
    const { serverRpc, clientRpc } = await rpcPair();
    serverRpc.handle(1, (r) => utf8(`A got ${text(r.body)}`));
    clientRpc.handle(2, async (r) => utf8(`B got ${text(r.body)}`));
    const [fromA, fromB] = await Promise.all([
      clientRpc.request(1, utf8('x')),
      serverRpc.request(2, utf8('y')),
    ]);
    expect(text(fromA.body)).toBe('A got x');
    expect(fromA.sender.address).toEqual({ host: '10.0.0.1', port: 4000 });
    expect(text(fromB.body)).toBe('B got y');
    expect(text(fromB.sender.id)).toBe('B');
  });

  it('matches many concurrent requests answered out of order', async () => {
    const { serverRpc, clientRpc } = await rpcPair();
    const waiting: (() => void)[] = [];
    serverRpc.handle(1, (r) => {
      const n = Number(text(r.body));
      return new Promise((resolve) => waiting.push(() => resolve(utf8(String(n * n)))));
    });
    const all = Array.from({ length: 50 }, (_, i) => clientRpc.request(1, utf8(String(i))));
    await flush();
    expect(waiting).toHaveLength(50);
    for (const release of waiting.reverse()) release();
    const squares = (await Promise.all(all)).map((r) => Number(text(r.body)));
    expect(squares).toEqual(Array.from({ length: 50 }, (_, i) => i * i));
  });

  it('times out without retransmitting (the stream is reliable)', async () => {
    const { serverRpc, clientRpc, clock } = await rpcPair({ timeoutMs: 300 });
    let calls = 0;
    serverRpc.handle(1, () => {
      calls++;
      return new Promise<Uint8Array>(() => {});
    });
    const pending = clientRpc.request(1, utf8('')).catch((e: unknown) => e);
    await flush();
    clock.advance(300);
    expect(isP2PError(await pending, 'ERR_TIMEOUT')).toBe(true);
    expect(calls).toBe(1);
    expect(clientRpc.stats.retransmissions).toBe(0);
  });

  it('a peer that closes rejects what is pending and emits close', async () => {
    const { serverRpc, clientRpc } = await rpcPair();
    serverRpc.handle(1, () => new Promise<Uint8Array>(() => {}));
    const pending = clientRpc.request(1, utf8('')).catch((e: unknown) => e);
    const closed = new Promise<Error | undefined>((resolve) => clientRpc.on('close', resolve));
    await flush();
    await serverRpc.close();
    const error = await pending;
    expect(isP2PError(error, 'ERR_SOCKET_CLOSED')).toBe(true);
    expect(await closed).toBeUndefined();
    expect(clientRpc.open).toBe(false);
    const after = await clientRpc.request(1, utf8('')).catch((e: unknown) => e);
    expect(isP2PError(after, 'ERR_SOCKET_CLOSED')).toBe(true);
  });

  it('after the peer ended, new requests fail at once instead of vanishing', async () => {
    const { a, dialed, server } = await connected();
    const rpc = createStreamRpc({ runtime: a, connection: server, self: { id: utf8('A') } });
    dialed.on('data', () => {}); // a raw peer that ends its side but keeps reading
    // Ask right after the RPC saw the end, before the connection has fully closed.
    const asked = new Promise<unknown>((resolve) => {
      server.once('end', () => resolve(rpc.request(1, utf8('')).catch((e: unknown) => e)));
    });
    dialed.end();
    const error = await asked;
    expect(isP2PError(error, 'ERR_SOCKET_CLOSED')).toBe(true);
    expect(rpc.pending).toBe(0);
  });

  it('a reset connection rejects pending requests with ERR_CONNECTION_RESET', async () => {
    const { hub, a, dialed, server } = await connected();
    const rpc = createStreamRpc({ runtime: a, connection: server, self: { id: utf8('A') } });
    dialed.on('data', () => {});
    const pending = rpc.request(1, utf8('')).catch((e: unknown) => e);
    await flush();
    dialed.destroy();
    expect(isP2PError(await pending, 'ERR_CONNECTION_RESET')).toBe(true);
    expect(hub.openHandles()).toBe(0);
  });

  it('an oversize frame is a protocol violation: the connection is reset', async () => {
    const { a, dialed, server } = await connected();
    const rpc = createStreamRpc({
      runtime: a,
      connection: server,
      self: { id: utf8('A') },
      maxMessageSize: 1024,
    });
    const closed = new Promise<Error | undefined>((resolve) => rpc.on('close', resolve));
    const peerClosed = new Promise<Error | undefined>((resolve) => dialed.once('close', resolve));
    dialed.on('data', () => {});
    // Only the 4-byte prefix claiming 1 GiB is sent: refused before any payload is buffered.
    dialed.write(new Uint8Array([0x40, 0, 0, 0]));
    expect(isP2PError(await closed)).toBe(true);
    expect(rpc.stats.malformed).toBe(1);
    expect(isP2PError(await peerClosed, 'ERR_CONNECTION_RESET')).toBe(true);
  });

  it('a malformed envelope inside a good frame is dropped; the stream goes on', async () => {
    const { a, b, dialed, server } = await connected();
    const serverRpc = createStreamRpc({ runtime: a, connection: server, self: { id: utf8('A') } });
    serverRpc.handle(1, () => utf8('fine'));
    dialed.write(encodeFrame(utf8('not an envelope')));
    const clientRpc = createStreamRpc({ runtime: b, connection: dialed, self: { id: utf8('B') } });
    expect(text((await clientRpc.request(1, utf8(''))).body)).toBe('fine');
    expect(serverRpc.stats.malformed).toBe(1);
  });

  it('a peer that stops reading cannot grow our memory: requests reject with ERR_OVERLOADED', async () => {
    const { a, dialed, server, hub } = await connected();
    dialed.pause();
    dialed.on('data', () => {});
    const rpc: StreamRpc = createStreamRpc({
      runtime: a,
      connection: server,
      self: { id: utf8('A') },
      maxWriteBuffer: 64 * 1024,
    });
    const body = new Uint8Array(16 * 1024);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => rpc.request(1, body).catch((e: unknown) => e)).slice(5),
    );
    expect(results.every((e) => isP2PError(e, 'ERR_OVERLOADED'))).toBe(true);
    expect(server.writableLength).toBeLessThan(64 * 1024 + 20 * 1024);
    // The paused peer never answers our FIN: close() resets it after closeTimeoutMs.
    const closing = rpc.close();
    hub.clock.advance(2_000);
    await closing;
    expect(hub.openHandles()).toBe(0);
  });

  it('close() on both ends releases the connection (no handles left)', async () => {
    const { hub, serverRpc, clientRpc } = await rpcPair();
    await Promise.all([serverRpc.close(), clientRpc.close()]);
    expect(serverRpc.open).toBe(false);
    expect(clientRpc.open).toBe(false);
    expect(hub.openHandles()).toBe(0);
    expect(hub.clock.pending).toBe(0);
  });

  it('close() resets a peer that never closes its side, after closeTimeoutMs', async () => {
    const { a, dialed, server, hub } = await connected();
    dialed.on('data', () => {}); // a raw peer: reads, never ends
    const rpc = createStreamRpc({
      runtime: a,
      connection: server,
      self: { id: utf8('A') },
      closeTimeoutMs: 500,
    });
    let done = false;
    const closing = rpc.close().then(() => {
      done = true;
    });
    await flush();
    expect(done).toBe(false);
    hub.clock.advance(500);
    await closing;
    expect(rpc.open).toBe(false);
  });
});
