import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type Connection, createMemoryNetwork, sha1 } from '../src/index.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const utf8 = (value: string) => new TextEncoder().encode(value);

describe('createMemoryNetwork', () => {
  it('gives each host a full, deterministic Runtime', () => {
    const hub = createMemoryNetwork();
    const a = hub.runtime('10.0.0.1');
    const again = createMemoryNetwork().runtime('10.0.0.1');
    expect(a.host).toBe('10.0.0.1');
    expect(a.clock).toBe(hub.clock);
    expect(a.random.u32()).toBe(again.random.u32());
    expect(hub.runtime('10.0.0.2', { seed: 5 }).random.u32()).toBe(
      hub.runtime('10.0.0.3', { seed: 5 }).random.u32(),
    );
    expect(a.hash.sha1(utf8('abc'))).toEqual(sha1('abc'));
    expect(a.log.enabled).toBe(false);
    expect(a.net.maxDatagramSize).toBe(65_507);
  });

  it('holds bytes until the first data listener, so none are lost after dial()', async () => {
    const hub = createMemoryNetwork();
    const a = hub.runtime('a');
    const b = hub.runtime('b');
    const listener = await a.net.listen({ port: 80 }, (connection) => {
      connection.write(utf8('hello'));
      connection.end();
    });
    const connection = await b.net.dial(listener.address);
    await turn();
    await turn();
    const chunks: string[] = [];
    const ended = new Promise<void>((resolve) => connection.once('end', resolve));
    connection.on('data', (chunk) => chunks.push(text(chunk)));
    await ended;
    expect(chunks).toEqual(['hello']);
  });

  it('releases every handle: openHandles() returns to 0', async () => {
    const hub = createMemoryNetwork();
    const a = hub.runtime('a');
    const b = hub.runtime('b');
    const accepted: Connection[] = [];
    const listener = await a.net.listen({}, (c) => accepted.push(c));
    const socket = await a.net.bind({}, () => {});
    const one = await b.net.dial(listener.address);
    const two = await b.net.dial(listener.address);
    expect(hub.openHandles()).toBe(6);
    one.destroy();
    two.end();
    accepted[1]!.on('data', () => {});
    two.on('data', () => {});
    accepted[1]!.end();
    await listener.close();
    await socket.close();
    await turn();
    expect(hub.openHandles()).toBe(0);
  });

  it('a black-holed host swallows datagrams until restored', async () => {
    const hub = createMemoryNetwork();
    const a = hub.runtime('a');
    const b = hub.runtime('b');
    const got: string[] = [];
    const server = await a.net.bind({ port: 9 }, (data) => got.push(text(data)));
    const client = await b.net.bind({}, () => {});
    hub.blackhole('a');
    client.send(utf8('lost'), server.address);
    await turn();
    hub.blackhole('a', false);
    client.send(utf8('found'), server.address);
    await turn();
    expect(got).toEqual(['found']);
  });

  it('copies datagrams: the receiver owns its bytes', async () => {
    const hub = createMemoryNetwork();
    const received: Uint8Array[] = [];
    const a = await hub.runtime('a').net.bind({}, (data) => received.push(data));
    const b = await hub.runtime('b').net.bind({}, () => {});
    const payload = utf8('abc');
    b.send(payload, a.address);
    b.send(payload, a.address);
    payload[0] = 0x7a;
    await turn();
    received[0]![1] = 0x7a;
    expect(received.map(text)).toEqual(['azc', 'abc']);
  });

  it('an accept handler that throws resets that connection and is reported, not swallowed', async () => {
    const hub = createMemoryNetwork();
    const a = hub.runtime('a');
    const b = hub.runtime('b');
    const listener = await a.net.listen({}, () => {
      throw new Error('handler bug');
    });
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    process.on('uncaughtException', onError);
    try {
      const connection = await b.net.dial(listener.address);
      const closed = new Promise<Error | undefined>((resolve) => connection.once('close', resolve));
      connection.on('data', () => {});
      expect(((await closed) as { code?: string } | undefined)?.code).toBe('ERR_CONNECTION_RESET');
      await turn();
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(errors.map((e) => (e as Error).message)).toEqual(['handler bug']);
  });
});
