import { createMemoryFolder, formatAddress } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { createNapsterClient, createNapsterServer, type NapsterClient } from '@p2pkit/napster';
import type { TourRow, TourStep } from './run.js';

function song(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = seed;
  for (let i = 0; i < bytes; i++) out[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  return out;
}

/**
 * Napster: a server on 127.0.0.1, two clients sharing (one behind a "firewall": no data port),
 * a search, and two downloads straight from the peers: one connected to, one pushed.
 */
export const napsterStep: TourStep = {
  protocol: 'napster',
  title: 'Napster server, clients, search, downloads',
  async run(signal) {
    const runtime = realRuntime({ host: '127.0.0.1' });
    const clients: NapsterClient[] = [];
    const server = createNapsterServer({ runtime, port: 0 });
    try {
      const address = await server.start();
      const open = createNapsterClient({
        runtime,
        server: address,
        nick: 'alice',
        dataPort: 0,
        linkType: 8,
        folder: createMemoryFolder({
          files: { 'Sneaker Pimps - Tesko Suicide.mp3': song(3 << 20, 1) },
        }),
      });
      const walled = createNapsterClient({
        runtime,
        server: address,
        nick: 'bob',
        firewalled: true,
        folder: createMemoryFolder({
          files: { 'Sneaker Pimps - 6 Underground.mp3': song(2 << 20, 2) },
        }),
      });
      const searcher = createNapsterClient({
        runtime,
        server: address,
        nick: 'carol',
        dataPort: 0,
      });
      clients.push(open, walled, searcher);
      for (const c of clients) {
        await c.connect(signal);
        await c.share();
      }
      // Shares are one-way messages: wait until the server has indexed all of them.
      while (server.stats().files < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      const started = performance.now();
      const results = await searcher.search('sneaker pimps', signal);
      const searchMs = performance.now() - started;
      const rows: TourRow[] = [
        {
          protocol: 'napster',
          what: `server on ${formatAddress(address)}, 2 clients sharing (bob firewalled)`,
          result: `${server.stats().files} files indexed`,
        },
        {
          protocol: 'napster',
          what: 'search "sneaker pimps"',
          result: `${results.length} results in ${searchMs.toFixed(1)} ms (${results
            .map((r) => r.nick)
            .sort()
            .join(', ')})`,
        },
      ];
      for (const r of results.sort((a, b) => a.nick.localeCompare(b.nick))) {
        let bytes = 0;
        const t = performance.now();
        const done = await searcher.download(r, {
          onData: (chunk) => void (bytes += chunk.length),
          signal,
        });
        const ms = performance.now() - t;
        rows.push({
          protocol: 'napster',
          what: `get "${r.filename}" from ${r.nick}`,
          result: `${(bytes / 1024 / 1024).toFixed(1)} MiB in ${ms.toFixed(0)} ms, ${done.mode === 'push' ? 'pushed (500/501)' : 'direct (203/204)'}`,
        });
      }
      if (results.length !== 2) throw new Error(`expected 2 results, got ${results.length}`);
      return rows;
    } finally {
      for (const c of clients) await c.stop();
      await server.stop();
      await runtime.close();
    }
  },
};
