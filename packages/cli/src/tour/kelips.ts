import { formatAddress } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { createKelipsNode, groupOfName, type KelipsNode } from '@p2pkit/kelips';
import type { TourRow, TourStep } from './run.js';

const NODES = 9;
const GROUPS = 3;

/**
 * Kelips: nine real nodes over UDP on 127.0.0.1 in k = 3 = √9 affinity groups, joined through
 * one introducer; gossip completes the views; a file inserted through one node is found from a
 * node of another group in one hop.
 */
export const kelipsStep: TourStep = {
  protocol: 'kelips',
  title: 'Kelips affinity groups',
  async run(signal) {
    const runtime = realRuntime({ host: '127.0.0.1' });
    const nodes: KelipsNode[] = [];
    try {
      // Fast gossip so the views fill within the tour's budget (the paper gossips every 2 s).
      const options = { runtime, groups: GROUPS, roundMs: 50 };
      for (let i = 0; i < NODES; i++) {
        const node = createKelipsNode(options);
        await node.start();
        if (i > 0) await node.join(nodes[0]!.address, { signal });
        nodes.push(node);
      }
      const started = performance.now();
      await complete(nodes, signal);
      const settledMs = performance.now() - started;
      const name = 'hello.txt';
      const writer = nodes[1]!;
      const inserted = await writer.insert(name, 'kelips', { signal });
      const group = groupOfName(name, GROUPS);
      // Read from a node outside the file's group, once its filetuple has spread.
      const reader = nodes.find((n) => n.group !== group && n !== writer) ?? nodes[2]!;
      const route = await waitFor(() => reader.lookup(name, { signal }), signal);
      const value = await reader.get(name, { signal });
      const sizes = nodes.map((n) => n.memory().entries);
      const rows: TourRow[] = [
        {
          protocol: 'kelips',
          what: `${NODES} nodes over UDP in k=${GROUPS} affinity groups`,
          result: `views complete by gossip in ${Math.round(settledMs)} ms, ${Math.min(...sizes)}-${Math.max(...sizes)} entries per node`,
        },
        {
          protocol: 'kelips',
          what: `insert "${name}" via ${formatAddress(writer.address)}, get via ${formatAddress(reader.address)}`,
          result: `"${value ? new TextDecoder().decode(value) : '(missing)'}" from ${formatAddress(inserted.home)} (group ${group}), ${route.hops} hop${route.hops === 1 ? '' : 's'}`,
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

/** Waits until every node knows its whole group and a contact in every other group. */
async function complete(nodes: KelipsNode[], signal: AbortSignal): Promise<void> {
  const size = new Map<number, number>();
  for (const n of nodes) size.set(n.group, (size.get(n.group) ?? 0) + 1);
  const ok = () =>
    nodes.every((n) => {
      const v = n.view();
      const groups = new Set(v.contacts.map((c) => c.group));
      return v.view.length === size.get(n.group)! - 1 && groups.size === size.size - 1;
    });
  while (!ok()) {
    signal.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Retries `lookup` until it finds the file (its filetuple is still spreading). */
async function waitFor(
  lookup: () => ReturnType<KelipsNode['lookup']>,
  signal: AbortSignal,
): ReturnType<KelipsNode['lookup']> {
  for (;;) {
    const answer = await lookup();
    if (answer.home !== undefined) return answer;
    signal.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
