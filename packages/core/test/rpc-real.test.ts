import { describe, expect, it } from 'vitest';
import { type Connection, createDatagramRpc, createStreamRpc } from '../src/index.js';
import { realRuntime } from '../src/node/index.js';

const utf8 = (value: string) => new TextEncoder().encode(value);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('RPC on real sockets (127.0.0.1)', () => {
  it('over UDP', async () => {
    const runtime = realRuntime();
    try {
      const server = await createDatagramRpc({ runtime, self: { id: utf8('s') } });
      const client = await createDatagramRpc({ runtime, self: { id: utf8('c') } });
      server.handle(1, (r) => utf8(`pong ${text(r.body)}`));
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) => client.request(server.address, 1, utf8(String(i)))),
      );
      expect(responses.map((r) => text(r.body))).toEqual(
        Array.from({ length: 100 }, (_, i) => `pong ${i}`),
      );
      await Promise.all([server.close(), client.close()]);
      expect(runtime.openHandles()).toBe(0);
    } finally {
      await runtime.close();
    }
  });

  it('over TCP', async () => {
    const runtime = realRuntime();
    try {
      let serverSide: Promise<void> = Promise.resolve();
      const listener = await runtime.net.listen({}, (connection: Connection) => {
        const rpc = createStreamRpc({ runtime, connection, self: { id: utf8('s') } });
        rpc.handle(1, (r) => utf8(`pong ${text(r.body)}`));
        serverSide = new Promise((resolve) => rpc.on('close', () => resolve()));
      });
      const connection = await runtime.net.dial(listener.address);
      const client = createStreamRpc({ runtime, connection, self: { id: utf8('c') } });
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) => client.request(1, utf8(String(i)))),
      );
      expect(responses.map((r) => text(r.body))).toEqual(
        Array.from({ length: 100 }, (_, i) => `pong ${i}`),
      );
      await client.close();
      await serverSide;
      await listener.close();
      expect(runtime.openHandles()).toBe(0);
    } finally {
      await runtime.close();
    }
  });
});
