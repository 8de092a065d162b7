import { type Connection, createMemoryNetwork } from '@p2pkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToBinary, utf8 } from '../../src/bencode/index.js';
import { createHttpServer, type HttpServer, httpGet } from '../../src/http/index.js';

const flush = async (rounds = 10) => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
};

let servers: HttpServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

async function setup(options: { maxConnections?: number; requestTimeoutMs?: number } = {}) {
  const hub = createMemoryNetwork();
  const server = await createHttpServer({
    runtime: hub.runtime('10.0.0.1'),
    port: 80,
    maxHeaderSize: 256,
    ...options,
    handler: (request) => ({
      status: 200,
      body: `${request.method} ${request.target} from ${request.remoteAddress.host}`,
    }),
  });
  servers.push(server);
  const client = hub.runtime('10.0.0.2');
  /** Sends raw bytes; resolves with everything the server sent until it closed. */
  const raw = async (bytes: string, end = false) => {
    const connection: Connection = await client.net.dial({ host: '10.0.0.1', port: 80 });
    let received = '';
    const closed = new Promise<string>((resolve) => {
      connection.on('data', (chunk) => {
        received += bytesToBinary(chunk);
      });
      connection.on('end', () => connection.end());
      connection.on('close', () => resolve(received));
    });
    connection.write(utf8(bytes));
    if (end) connection.end();
    return { connection, closed };
  };
  return { hub, server, client, raw };
}

describe('HTTP server', () => {
  it('answers a GET with Content-Length and Connection: close', async () => {
    const { client } = await setup();
    const response = await httpGet(client, 'http://10.0.0.1:80/announce?x=%41');
    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    expect(bytesToBinary(response.body)).toBe('GET /announce?x=%41 from 10.0.0.2');
  });

  it('answers 400 to garbage, 431 to an oversized head, then closes', async () => {
    const { raw } = await setup();
    const garbage = await raw('\u0000\u0001 nonsense\r\n\r\n');
    expect(await garbage.closed).toMatch(/^HTTP\/1\.1 400 /);
    const big = await raw(`GET /${'a'.repeat(400)} HTTP/1.1\r\n\r\n`);
    expect(await big.closed).toMatch(/^HTTP\/1\.1 431 /);
    const body = await raw('POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc');
    expect(await body.closed).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('closes a connection that never finishes its request (requestTimeoutMs)', async () => {
    const { raw, hub, server } = await setup({ requestTimeoutMs: 1000 });
    const slow = await raw('GET / HTTP/1.1\r\nHost: x\r\n');
    await flush();
    expect(server.connections).toBe(1);
    hub.clock.advance(1000);
    expect(await slow.closed).toBe('');
    expect(server.connections).toBe(0);
  });

  it('caps open connections and releases everything on close()', async () => {
    const { raw, hub, server } = await setup({ maxConnections: 2 });
    await raw('GET / HTTP/1.1\r\n');
    await raw('GET / HTTP/1.1\r\n');
    const third = await raw('GET / HTTP/1.1\r\n');
    expect(await third.closed).toBe('');
    await flush();
    expect(server.connections).toBe(2);
    await server.close();
    servers = [];
    await flush();
    expect(hub.openHandles()).toBe(0);
    expect(hub.clock.pending).toBe(0);
  });
});
