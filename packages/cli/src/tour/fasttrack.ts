import { createMemoryFolder, formatAddress } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { FastTrackNode, hashToHex } from '@p2pkit/fasttrack';
import type { TourRow, TourStep } from './run.js';

const NAMES = ['alpha', 'bravo', 'charlie', 'delta'];

/**
 * FastTrack: real nodes over TCP on 127.0.0.1 (one process): two linked supernodes, ordinary
 * nodes attached to them sharing files (two holders of one file, one firewalled), a search
 * forwarded between the supernodes, and a download from both holders (one through a Push).
 */
export const fasttrackStep: TourStep = {
  protocol: 'fasttrack',
  title: 'FastTrack supernodes',
  async run(signal) {
    const runtime = realRuntime({ host: '127.0.0.1' });
    const nodes: FastTrackNode[] = [];
    try {
      const common = { runtime, host: '127.0.0.1', port: 0, minUptimeMs: 0 } as const;
      const s0 = new FastTrackNode({ ...common, role: 'supernode' });
      await s0.start();
      nodes.push(s0);
      const s1 = new FastTrackNode({ ...common, role: 'supernode', peers: [s0.address] });
      await s1.start();
      nodes.push(s1);
      const song = new Uint8Array(600_000).map((_, i) => (i * 31) & 0xff);
      for (let i = 0; i < NAMES.length; i++) {
        const files = { [`${NAMES[i]} song.ogg`]: song.map((b) => b ^ i) };
        if (i === 3) files['alpha song.ogg'] = song;
        const node = new FastTrackNode({
          ...common,
          role: 'ordinary',
          peers: [i < 2 ? s0.address : s1.address],
          folder: createMemoryFolder({ files }),
          firewalled: i === 3,
        });
        await node.start();
        await node.shareFolder();
        nodes.push(node);
      }
      const folder = createMemoryFolder();
      const seeker = new FastTrackNode({
        ...common,
        role: 'ordinary',
        peers: [s1.address],
        folder,
      });
      await seeker.start();
      nodes.push(seeker);
      signal.throwIfAborted();
      const started = performance.now();
      const answer = await seeker.search('alpha song', { signal });
      const searchMs = performance.now() - started;
      const t = performance.now();
      const result = await seeker.download(answer.results, { folder, signal, spanPieces: 1 });
      const downloadMs = performance.now() - t;
      const rows: TourRow[] = [
        {
          protocol: 'fasttrack',
          what: `2 supernodes + ${NAMES.length} ordinary nodes over TCP, search "alpha song" from ${formatAddress(seeker.address)}`,
          result: `${answer.results.length} holders from ${answer.supernodes} supernode indexes in ${Math.round(searchMs)} ms`,
        },
        {
          protocol: 'fasttrack',
          what: `download ${result.name} (UUHash ${hashToHex(result.uuhash).slice(0, 12)}…) from every holder`,
          result: `${result.size} bytes from ${result.sources.length} source(s)${result.pushed ? `, ${result.pushed} piece(s) through a Push` : ''} in ${Math.round(downloadMs)} ms, every piece verified`,
        },
      ];
      return rows;
    } finally {
      for (const n of nodes) await n.stop();
      await runtime.close();
    }
  },
};
