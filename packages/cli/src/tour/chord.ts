import { type ChordNode, createChordNode } from '@p2pkit/chord';
import { formatAddress } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import type { TourRow, TourStep } from './run.js';

const NODES = 8;

/**
 * Chord: a ring of real nodes over UDP on 127.0.0.1 (one process), a put through one node and a
 * get through another, with the lookup's hop count.
 */
export const chordStep: TourStep = {
  protocol: 'chord',
  title: 'Chord ring',
  async run(signal) {
    const runtime = realRuntime({ host: '127.0.0.1' });
    const nodes: ChordNode[] = [];
    try {
      // Fast maintenance so the ring settles within the tour's budget (the papers use 30 s).
      const options = { runtime, stabilizeMs: 100, m: 32, successors: 2, replicas: 2 };
      for (let i = 0; i < NODES; i++) {
        const node = createChordNode(options);
        await node.start();
        if (i > 0) await node.join(nodes[0]!.address, { signal });
        nodes.push(node);
      }
      const started = performance.now();
      await settle(nodes, signal);
      const settledMs = performance.now() - started;
      const writer = nodes[1]!;
      await writer.put('hello', 'chord', { signal });
      // Read through the owner's successor: the node farthest from the key along the ring.
      const { owner } = await writer.lookup('hello', { signal });
      const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : 1));
      const at = sorted.findIndex((n) => n.id === owner.id);
      let reader = sorted[(at + 1) % sorted.length]!;
      if (reader === writer) reader = sorted[(at + 2) % sorted.length]!;
      const value = await reader.get('hello', { signal });
      const route = await reader.lookup('hello', { signal });
      const rows: TourRow[] = [
        {
          protocol: 'chord',
          what: `ring of ${NODES} nodes over UDP on 127.0.0.1`,
          result: `stabilized in ${Math.round(settledMs)} ms`,
        },
        {
          protocol: 'chord',
          what: `put "hello" via ${formatAddress(writer.address)}, get via ${formatAddress(reader.address)}`,
          result: `"${value ? new TextDecoder().decode(value) : '(missing)'}" from ${formatAddress(route.owner.address)}, ${route.hops} hop${route.hops === 1 ? '' : 's'}`,
        },
      ];
      if (value === undefined) throw new Error('get returned nothing');
      return rows;
    } finally {
      for (const node of nodes) await node.stop();
      await runtime.close();
    }
  },
};

/** Waits until the successor pointers form one ring in id order (every node, once around). */
async function settle(nodes: ChordNode[], signal: AbortSignal): Promise<void> {
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : 1));
  const ok = () =>
    sorted.every((n, i) => {
      const next = sorted[(i + 1) % sorted.length]!;
      const prev = sorted[(i - 1 + sorted.length) % sorted.length]!;
      return n.successor().id === next.id && n.predecessor()?.id === prev.id;
    });
  while (!ok()) {
    signal.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // A few more rounds so fingers exist (lookups take fingers, not just successors).
  await new Promise((resolve) => setTimeout(resolve, 500));
}
