import { getEventListeners } from 'node:events';
import { setImmediate as flush } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  createDatagramRpc,
  createMemoryNetwork,
  decodeEnvelope,
  encodeEnvelope,
  isP2PError,
  P2PError,
  RemoteError,
} from '../src/index.js';

const utf8 = (value: string) => new TextEncoder().encode(value);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const PING = 1;
const SLOW = 2;

async function setup(options: { timeoutMs?: number; retries?: number; maxPending?: number } = {}) {
  const hub = createMemoryNetwork();
  const clientRuntime = hub.runtime('10.0.0.1');
  const serverRuntime = hub.runtime('10.0.0.2');
  const server = await createDatagramRpc({
    runtime: serverRuntime,
    port: 7000,
    self: { id: utf8('server') },
  });
  const client = await createDatagramRpc({
    runtime: clientRuntime,
    self: { id: utf8('client') },
    ...options,
  });
  server.handle(PING, (request) => utf8(`pong:${text(request.body)}`));
  return { hub, clock: hub.clock, client, server, serverRuntime, clientRuntime };
}

/** Captures rejections without letting them go unhandled while the clock moves. */
function outcome<T>(promise: Promise<T>): { settled: () => boolean; result: Promise<unknown> } {
  let done = false;
  const result = promise.then(
    (value) => {
      done = true;
      return value;
    },
    (error: unknown) => {
      done = true;
      return error;
    },
  );
  return { settled: () => done, result };
}

describe('createDatagramRpc', () => {
  it('round trip: response body, responder contact and source address', async () => {
    const { client, server } = await setup();
    const response = await client.request(server.address, PING, utf8('hi'));
    expect(text(response.body)).toBe('pong:hi');
    expect(text(response.sender.id)).toBe('server');
    expect(response.sender.address).toEqual({ host: '10.0.0.2', port: 7000 });
    expect(response.from).toEqual(server.address);
    expect(client.pending).toBe(0);
    expect(client.stats).toMatchObject({ requestsSent: 1, responsesReceived: 1 });
    expect(server.stats).toMatchObject({ requestsReceived: 1, responsesSent: 1 });
  });

  it('handlers see the request, its sender and its source; async handlers work too', async () => {
    const { client, server } = await setup();
    const seen: unknown[] = [];
    server.handle(SLOW, async (request) => {
      seen.push({
        type: request.type,
        body: text(request.body),
        id: text(request.sender.id),
        from: request.from,
        oneway: request.oneway,
      });
      await Promise.resolve();
      return utf8('later');
    });
    const response = await client.request(server.address, SLOW, utf8('x'));
    expect(text(response.body)).toBe('later');
    expect(seen).toEqual([
      { type: SLOW, body: 'x', id: 'client', from: client.address, oneway: false },
    ]);
  });

  it('unknown type: rejects with ERR_UNKNOWN_TYPE', async () => {
    const { client, server } = await setup();
    const error = await client.request(server.address, 999, utf8('?')).catch((e: unknown) => e);
    expect(isP2PError(error, 'ERR_UNKNOWN_TYPE')).toBe(true);
    expect(server.stats.unknownType).toBe(1);
    server.unhandle(PING);
    const again = await client.request(server.address, PING, utf8('?')).catch((e: unknown) => e);
    expect(isP2PError(again, 'ERR_UNKNOWN_TYPE')).toBe(true);
  });

  it('handler failure: ERR_REMOTE with the P2PError code; other errors do not leak', async () => {
    const { client, server } = await setup();
    server.handle(10, () => {
      throw new P2PError('no such key', 'ERR_NOT_FOUND');
    });
    server.handle(11, async () => {
      throw new Error('secret internal detail');
    });
    const known = await client.request(server.address, 10, utf8('')).catch((e: unknown) => e);
    expect(known).toBeInstanceOf(RemoteError);
    expect((known as RemoteError).code).toBe('ERR_REMOTE');
    expect((known as RemoteError).remoteCode).toBe('ERR_NOT_FOUND');
    expect((known as RemoteError).message).toContain('no such key');
    const hidden = await client.request(server.address, 11, utf8('')).catch((e: unknown) => e);
    expect((hidden as RemoteError).remoteCode).toBe('ERR_INTERNAL');
    expect((hidden as RemoteError).message).not.toContain('secret');
  });

  it('retransmits after each timeout, then rejects with TimeoutError', async () => {
    const { hub, client, clock } = await setup({ timeoutMs: 1000, retries: 2 });
    // A silent peer that records what reaches it.
    const received: number[] = [];
    const silent = await hub
      .runtime('10.0.0.3')
      .net.bind({}, (data) => received.push(decodeEnvelope(data).requestId));
    const pending = outcome(client.request(silent.address, PING, utf8('anyone?')));
    await flush();
    expect(received).toHaveLength(1);
    clock.advance(999);
    await flush();
    expect(received).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(received).toHaveLength(2);
    clock.advance(1000);
    await flush();
    expect(received).toHaveLength(3);
    expect(new Set(received).size).toBe(1);
    expect(pending.settled()).toBe(false);
    clock.advance(1000);
    const error = await pending.result;
    expect(isP2PError(error, 'ERR_TIMEOUT')).toBe(true);
    expect(clock.now()).toBe(3000);
    expect(client.stats).toMatchObject({ retransmissions: 2, timeouts: 1 });
    expect(client.pending).toBe(0);
  });

  it('a retransmission that is answered resolves the request (wire format by hand)', async () => {
    const { hub, client, clock } = await setup({ timeoutMs: 500, retries: 3 });
    let attempts = 0;
    const peer = await hub.runtime('10.0.0.4').net.bind({ port: 5 }, (data, from) => {
      attempts++;
      if (attempts < 3) return; // lose the first two
      const request = decodeEnvelope(data);
      expect(request.kind).toBe('request');
      peer.send(
        encodeEnvelope({
          kind: 'response',
          type: request.type,
          requestId: request.requestId,
          sender: { id: utf8('hand'), address: peer.address },
          body: utf8('third time'),
        }),
        from,
      );
    });
    const pending = outcome(client.request(peer.address, 77, utf8('')));
    for (let i = 0; i < 3 && !pending.settled(); i++) {
      await flush();
      clock.advance(500);
    }
    const response = (await pending.result) as { body: Uint8Array };
    expect(text(response.body)).toBe('third time');
    expect(attempts).toBe(3);
    expect(client.stats.retransmissions).toBe(2);
  });

  it('per-request timeouts shorter than the default fire in time order', async () => {
    const { hub, client, clock } = await setup({ timeoutMs: 5000, retries: 0 });
    const silent = await hub.runtime('10.0.0.3').net.bind({}, () => {});
    const long = outcome(client.request(silent.address, PING, utf8('')));
    const short = outcome(client.request(silent.address, PING, utf8(''), { timeoutMs: 100 }));
    clock.advance(100);
    await flush();
    expect(short.settled()).toBe(true);
    expect(long.settled()).toBe(false);
    clock.advance(4900);
    await flush();
    expect(long.settled()).toBe(true);
    expect(isP2PError(await long.result, 'ERR_TIMEOUT')).toBe(true);
  });

  it('uses one timer for many pending requests', async () => {
    const { hub, client, clock } = await setup({ timeoutMs: 1000, retries: 0 });
    const silent = await hub.runtime('10.0.0.3').net.bind({}, () => {});
    const all = Array.from({ length: 100 }, () =>
      outcome(client.request(silent.address, PING, utf8(''))),
    );
    expect(client.pending).toBe(100);
    expect(clock.pending).toBe(1);
    clock.advance(1000);
    await Promise.all(all.map((o) => o.result));
    expect(client.stats.timeouts).toBe(100);
    expect(clock.pending).toBe(0);
  });

  it('abort: rejects with AbortError, removes its listener; a shared signal does not pile up', async () => {
    const { hub, client, server, clock } = await setup({ timeoutMs: 1000, retries: 0 });
    const silent = await hub.runtime('10.0.0.3').net.bind({}, () => {});
    const controller = new AbortController();
    const pending = outcome(
      client.request(silent.address, PING, utf8(''), { signal: controller.signal }),
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    expect(isP2PError(await pending.result, 'ERR_ABORTED')).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(client.pending).toBe(0);
    const aborted = await client
      .request(server.address, PING, utf8(''), { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect(isP2PError(aborted, 'ERR_ABORTED')).toBe(true);

    // 500 requests under one long-lived signal: each adds and removes its own listener.
    const shared = new AbortController();
    const many = Array.from({ length: 500 }, (_, i) =>
      client.request(server.address, PING, utf8(String(i)), { signal: shared.signal }),
    );
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(500);
    const responses = await Promise.all(many);
    expect(text(responses[499]!.body)).toBe('pong:499');
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    expect(clock.now()).toBe(0);
  });

  it('bounds pending requests: beyond maxPending, request() rejects with ERR_OVERLOADED', async () => {
    const { hub, client } = await setup({ maxPending: 3 });
    const silent = await hub.runtime('10.0.0.3').net.bind({}, () => {});
    const held = [1, 2, 3].map(() => outcome(client.request(silent.address, PING, utf8(''))));
    const error = await client.request(silent.address, PING, utf8('')).catch((e: unknown) => e);
    expect(isP2PError(error, 'ERR_OVERLOADED')).toBe(true);
    expect(client.stats.overloaded).toBe(1);
    expect(held.every((o) => !o.settled())).toBe(true);
    await client.close();
  });

  it('refuses to send a request above maxMessageSize (ERR_MESSAGE_TOO_LARGE)', async () => {
    const { client, server } = await setup();
    const big = new Uint8Array(70_000);
    const error = await client.request(server.address, PING, big).catch((e: unknown) => e);
    expect(isP2PError(error, 'ERR_MESSAGE_TOO_LARGE')).toBe(true);
    expect(() => client.notify(server.address, PING, big)).toThrow(/exceeds maxMessageSize/);
    expect(client.pending).toBe(0);
  });

  it('drops and counts garbage, then keeps serving', async () => {
    const { hub, client, server } = await setup();
    const attacker = await hub.runtime('10.6.6.6').net.bind({}, () => {});
    attacker.send(new Uint8Array([0xff, 1, 2]), server.address);
    attacker.send(new Uint8Array(0), server.address);
    attacker.send(utf8('GET / HTTP/1.1\r\n\r\n'), server.address);
    await flush();
    expect(server.stats.malformed).toBe(3);
    expect(text((await client.request(server.address, PING, utf8('ok'))).body)).toBe('pong:ok');
  });

  it('bounds concurrent handlers: a flood is dropped and counted, not queued', async () => {
    const hub = createMemoryNetwork();
    const server = await createDatagramRpc({
      runtime: hub.runtime('s'),
      self: { id: utf8('s') },
      maxConcurrentHandlers: 2,
    });
    const client = await createDatagramRpc({
      runtime: hub.runtime('c'),
      self: { id: utf8('c') },
      timeoutMs: 1000,
      retries: 0,
    });
    const release: (() => void)[] = [];
    server.handle(SLOW, () => new Promise((resolve) => release.push(() => resolve(utf8('done')))));
    const all = Array.from({ length: 10 }, () =>
      outcome(client.request(server.address, SLOW, utf8(''))),
    );
    await flush();
    expect(release).toHaveLength(2);
    expect(server.stats.droppedRequests).toBe(8);
    for (const r of release) r();
    await flush();
    hub.clock.advance(1000);
    const results = await Promise.all(all.map((o) => o.result));
    const answered = results.filter((r) => !(r instanceof Error));
    expect(answered).toHaveLength(2);
    expect(client.stats.timeouts).toBe(8);
  });

  it('ignores a response from another address than the request went to', async () => {
    const { hub, client, clock } = await setup({ timeoutMs: 1000, retries: 0 });
    const target = await hub.runtime('10.0.0.3').net.bind({}, (data) => {
      const request = decodeEnvelope(data);
      // A third party forges the answer.
      forger.send(
        encodeEnvelope({
          kind: 'response',
          type: request.type,
          requestId: request.requestId,
          sender: { id: utf8('target'), address: target.address },
          body: utf8('forged'),
        }),
        client.address,
      );
    });
    const forger = await hub.runtime('10.6.6.6').net.bind({}, () => {});
    const pending = outcome(client.request(target.address, PING, utf8('')));
    await flush();
    expect(client.stats.unmatched).toBe(1);
    clock.advance(1000);
    expect(isP2PError(await pending.result, 'ERR_TIMEOUT')).toBe(true);
  });

  it('notify: the handler runs with oneway set, nothing is sent back', async () => {
    const { client, server } = await setup();
    const got: string[] = [];
    server.handle(20, (request) => {
      got.push(`${text(request.body)}:${request.oneway}`);
      return new Uint8Array(0);
    });
    client.notify(server.address, 20, utf8('fyi'));
    client.notify(server.address, 21, utf8('nobody handles this'));
    await flush();
    expect(got).toEqual(['fyi:true']);
    expect(server.stats).toMatchObject({
      notificationsReceived: 2,
      responsesSent: 0,
      errorsSent: 0,
    });
  });

  it('close: pending requests reject with AbortError, socket and timer are released', async () => {
    const { hub, client, server, clock } = await setup({ timeoutMs: 1000 });
    const silent = await hub.runtime('10.0.0.3').net.bind({}, () => {});
    const pending = outcome(client.request(silent.address, PING, utf8('')));
    expect(clock.pending).toBe(1);
    await client.close();
    expect(isP2PError(await pending.result, 'ERR_ABORTED')).toBe(true);
    expect(clock.pending).toBe(0);
    const after = await client.request(server.address, PING, utf8('')).catch((e: unknown) => e);
    expect(isP2PError(after, 'ERR_SOCKET_CLOSED')).toBe(true);
    await server.close();
    await silent.close();
    expect(hub.openHandles()).toBe(0);
  });

  it('request ids are fresh per request and distinct across endpoints', async () => {
    const { hub, client } = await setup();
    const ids: number[] = [];
    const sniffer = await hub.runtime('10.0.0.9').net.bind({}, (data) => {
      ids.push(decodeEnvelope(data).requestId);
    });
    for (let i = 0; i < 5; i++)
      void client.request(sniffer.address, PING, utf8('')).catch(() => {});
    await flush();
    expect(new Set(ids).size).toBe(5);
    expect(ids).not.toContain(0);
    await client.close();
  });
});

describe('createDatagramRpc self.id', () => {
  it('is read on every send, so a node may set it after binding port 0', async () => {
    const hub = createMemoryNetwork();
    const self = { id: new Uint8Array(0) };
    const server = await createDatagramRpc({ runtime: hub.runtime('s'), self });
    self.id = utf8(`node@${server.address.port}`);
    server.handle(1, () => new Uint8Array(0));
    const client = await createDatagramRpc({ runtime: hub.runtime('c'), self: { id: utf8('c') } });
    const response = await client.request(server.address, 1, new Uint8Array(0));
    expect(text(response.sender.id)).toBe(`node@${server.address.port}`);
    expect(text(server.contact.id)).toBe(`node@${server.address.port}`);
  });

  it('is read on every send: replacing or editing it in place changes the next message', async () => {
    const hub = createMemoryNetwork();
    const self = { id: utf8('aaaa') };
    const server = await createDatagramRpc({ runtime: hub.runtime('s'), self });
    server.handle(1, () => new Uint8Array(0));
    const client = await createDatagramRpc({ runtime: hub.runtime('c'), self: { id: utf8('c') } });
    const ask = async () =>
      text((await client.request(server.address, 1, new Uint8Array(0))).sender.id);
    expect(await ask()).toBe('aaaa');
    self.id.set(utf8('bb'), 1); // in place, same length
    expect(await ask()).toBe('abba');
    self.id = utf8('longer id'); // replaced, new length
    expect(await ask()).toBe('longer id');
    self.id = utf8('abba'); // replaced, old length
    expect(await ask()).toBe('abba');
  });
});
