import { createMemoryFolder, formatAddress } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { Servent } from '@p2pkit/gnutella';
import type { TourRow, TourStep } from './run.js';

const NAMES = ['alpha', 'bravo', 'charlie', 'delta'];
const LEAVES = NAMES.length;

/**
 * Gnutella: real servents over TCP on 127.0.0.1 (one process): two ultrapeers, leaves sharing
 * files (one firewalled), a search routed by QRP, and a download through a Push.
 */
export const gnutellaStep: TourStep = {
  protocol: 'gnutella',
  title: 'Gnutella servents',
  async run(signal) {
    const runtime = realRuntime({ host: '127.0.0.1' });
    const servents: Servent[] = [];
    try {
      const common = { runtime, maintain: false, pingIntervalMs: 0 } as const;
      const ups = [
        new Servent({ ...common, role: 'ultrapeer' }),
        new Servent({ ...common, role: 'ultrapeer' }),
      ];
      for (const up of ups) {
        await up.start();
        servents.push(up);
      }
      await ups[1]!.connect(ups[0]!.address);
      const text = new TextEncoder();
      for (let i = 0; i < LEAVES; i++) {
        const folder = createMemoryFolder({
          files: { [`${NAMES[i]} song.ogg`]: text.encode(`${NAMES[i]} `.repeat(4000 * (i + 1))) },
        });
        const leaf = new Servent({ ...common, role: 'leaf', folder, firewalled: i === LEAVES - 1 });
        await leaf.start();
        await leaf.shareFolder(folder);
        servents.push(leaf);
        await leaf.connect(ups[i % 2]!.address);
      }
      const seeker = new Servent({ ...common, role: 'leaf' });
      await seeker.start();
      servents.push(seeker);
      await seeker.connect(ups[0]!.address);
      const started = performance.now();
      const search = seeker.search(`${NAMES[LEAVES - 1]} song`);
      while (search.hits.length === 0) {
        signal.throwIfAborted();
        await new Promise((r) => setTimeout(r, 10));
      }
      const searchMs = performance.now() - started;
      search.stop();
      const hit = search.hits[0]!;
      const folder = createMemoryFolder();
      const t = performance.now();
      const result = await seeker.download(hit, { folder, signal });
      const downloadMs = performance.now() - t;
      const leaves = servents.slice(2, 2 + LEAVES);
      const reached = leaves.filter((l) => (l.stats.received.query ?? 0) > 0).length;
      const rows: TourRow[] = [
        {
          protocol: 'gnutella',
          what: `2 ultrapeers + ${LEAVES} leaves over TCP, search "${search.criteria}"`,
          result: `hit from ${hit.host}:${hit.port} in ${Math.round(searchMs)} ms; QRP sent it to ${reached} of ${LEAVES} leaves`,
        },
        {
          protocol: 'gnutella',
          what: `download ${hit.name} (firewalled holder) into ${formatAddress(seeker.address)}`,
          result: `${result.size} bytes via ${result.pushed ? 'Push/GIV' : 'GET'} in ${Math.round(downloadMs)} ms, ${result.urn.slice(0, 17)}… verified`,
        },
      ];
      return rows;
    } finally {
      for (const s of servents) await s.stop();
      await runtime.close();
    }
  },
};
