import { formatAddress } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { createPastryNode, type PastryNode } from '@p2pkit/pastry';
import type { TourRow, TourStep } from './run.js';

const NODES = 8;

/**
 * Pastry: real nodes over UDP on 127.0.0.1 (one process) join one by one, a value is stored on
 * its k numerically closest nodes through one node and read through another, and one lookup
 * reports its route length and the responsible node.
 */
export const pastryStep: TourStep = {
  protocol: 'pastry',
  title: 'Pastry overlay',
  async run(signal) {
    const runtime = realRuntime({ host: '127.0.0.1' });
    const nodes: PastryNode[] = [];
    try {
      const started = performance.now();
      for (let i = 0; i < NODES; i++) {
        const node = createPastryNode({ runtime, port: 0, replicas: 3 });
        await node.start();
        if (i > 0) await node.join(nodes[i - 1]!.address, { signal });
        nodes.push(node);
      }
      const joinedMs = performance.now() - started;
      const writer = nodes[2]!;
      const put = await writer.put('hello', 'pastry', { signal });
      const reader = nodes[NODES - 1]!;
      const value = await reader.get('hello', { signal });
      const route = await nodes[0]!.lookup('hello', { signal });
      if (value === undefined) throw new Error('get returned nothing');
      const rows: TourRow[] = [
        {
          protocol: 'pastry',
          what: `${NODES} nodes join over UDP on 127.0.0.1 (b = 4, |L| = 16)`,
          result: `${Math.round(joinedMs)} ms, every leaf set holds the ${NODES - 1} others: ${nodes.every((n) => n.view().leafSet.length === NODES - 1) ? 'yes' : 'no'}`,
        },
        {
          protocol: 'pastry',
          what: `put "hello" via ${formatAddress(writer.address)}, get via ${formatAddress(reader.address)}`,
          result: `"${new TextDecoder().decode(value)}", ${put.replicas} copies on the numerically closest nodes; lookup: ${formatAddress(route.owner.address)} in ${route.hops} hop${route.hops === 1 ? '' : 's'}`,
        },
      ];
      return rows;
    } finally {
      for (const node of nodes) await node.stop();
      await runtime.close();
    }
  },
};
