import { realRuntime } from '@p2pkit/core/node';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/bencode/index.js';
import { createTracker, createTrackerClient } from '../../src/tracker/index.js';

describe('tracker on real sockets (127.0.0.1, port 0)', () => {
  it('our client and our server over TCP and UDP; close() releases everything', async () => {
    const serverRuntime = realRuntime({ host: '127.0.0.1' });
    const clientRuntime = realRuntime({ host: '127.0.0.1' });
    const tracker = await createTracker({ runtime: serverRuntime });
    const client = createTrackerClient({ runtime: clientRuntime });
    try {
      const infoHash = new Uint8Array(20).fill(3);
      for (const [i, url] of tracker.announceUrls.entries()) {
        const base = { infoHash, uploaded: 0, downloaded: 0, left: 10 };
        await client.announce(url, {
          ...base,
          peerId: utf8(`-PK0001-aaaaaaaaaaa${i}`),
          port: 7000 + i,
        });
        const other = await client.announce(url, {
          ...base,
          peerId: utf8('-PK0001-bbbbbbbbbbbb'),
          port: 7100,
        });
        expect(other.peers.map((p) => `${p.host}:${p.port}`)).toContain(`127.0.0.1:${7000 + i}`);
        expect(
          (await client.scrape(url, [infoHash])).get(toHex(infoHash))!.incomplete,
        ).toBeGreaterThan(0);
      }
      expect(tracker.announceUrls.map((u) => u.split(':')[0])).toEqual(['http', 'udp']);
    } finally {
      await client.close();
      await tracker.close();
    }
    expect(serverRuntime.openHandles()).toBe(0);
    expect(clientRuntime.openHandles()).toBe(0);
    await Promise.all([serverRuntime.close(), clientRuntime.close()]);
  });
});
