import { createMemoryNetwork } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { askMetaserver, createMetaserver } from '../src/index.js';

describe('metaserver', () => {
  it('answers each connection with one host:port line, round-robin, and closes', async () => {
    const hub = createMemoryNetwork();
    const meta = createMetaserver({
      runtime: hub.runtime('10.0.0.1'),
      port: 8875,
      servers: [
        { host: '10.0.0.2', port: 8888 },
        { host: '10.0.0.3', port: 7777 },
      ],
    });
    const address = await meta.start();
    const client = hub.runtime('10.0.0.9');
    const raw = await client.net.dial(address);
    const bytes: number[] = [];
    raw.on('data', (c) => bytes.push(...c));
    await new Promise<void>((r) => raw.on('end', () => r()));
    raw.end();
    expect(new TextDecoder().decode(new Uint8Array(bytes))).toBe('10.0.0.2:8888\n');
    expect(await askMetaserver(client, address)).toEqual({ host: '10.0.0.3', port: 7777 });
    expect(await askMetaserver(client, address)).toEqual({ host: '10.0.0.2', port: 8888 });
    expect(meta.served).toBe(3);
    await meta.stop();
    await new Promise((r) => setImmediate(r));
    expect(hub.openHandles()).toBe(0);
  });

  it('rejects a metaserver that says nothing useful', async () => {
    const hub = createMemoryNetwork();
    const rt = hub.runtime('10.0.0.1');
    const listener = await rt.net.listen({ port: 8875 }, (c) => {
      c.write(new TextEncoder().encode('not an address'));
      c.end();
    });
    await expect(askMetaserver(hub.runtime('10.0.0.9'), listener.address)).rejects.toThrow(
      /metaserver sent/,
    );
    await listener.close();
  });
});
