/**
 * Real sockets: 16 Chord nodes over UDP on 127.0.0.1 in one process. Waits poll the nodes'
 * state with a deadline (this is the real network: time is real).
 */
import { keyId } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChordNode, createChordNode } from '../src/index.js';

const runtimes: { close(): Promise<void> }[] = [];
const started: ChordNode[] = [];

afterEach(async () => {
  for (const n of started.splice(0)) await n.stop();
  for (const r of runtimes.splice(0)) await r.close();
});

async function waitFor(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** True when successor and predecessor pointers form one ring in id order. */
function consistent(nodes: ChordNode[]): boolean {
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : 1));
  return sorted.every((n, i) => {
    const next = sorted[(i + 1) % sorted.length]!;
    const prev = sorted[(i - 1 + sorted.length) % sorted.length]!;
    return n.successor().id === next.id && n.predecessor()?.id === prev.id;
  });
}

function owner(nodes: ChordNode[], id: bigint): ChordNode {
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : 1));
  return sorted.find((n) => n.id >= id) ?? sorted[0]!;
}

describe('16 nodes over UDP on 127.0.0.1', () => {
  it('join, converge, route correctly (both modes), store, survive a crash and a leave', async () => {
    const runtime = realRuntime({ host: '127.0.0.1' });
    runtimes.push(runtime);
    const nodes: ChordNode[] = [];
    for (let i = 0; i < 16; i++) {
      const node = createChordNode({ runtime, stabilizeMs: 50, successors: 4, replicas: 3 });
      await node.start();
      started.push(node);
      if (i > 0) await node.join(nodes[0]!.address);
      nodes.push(node);
    }
    await waitFor('the ring to converge', () => consistent(nodes));

    for (let i = 0; i < 40; i++) {
      const key = `key-${i}`;
      const from = nodes[i % nodes.length]!;
      const expected = owner(nodes, keyId(key, 160));
      for (const mode of ['iterative', 'recursive'] as const) {
        const answer = await from.lookup(key, { mode });
        expect(answer.owner.address, `${key} (${mode})`).toEqual(expected.address);
      }
    }

    for (let i = 0; i < 20; i++) await nodes[i % 16]!.put(`k${i}`, `v${i}`);
    expect(new TextDecoder().decode(await nodes[5]!.get('k7'))).toBe('v7');
    expect(await nodes[5]!.get('absent')).toBeUndefined();
    await nodes[2]!.delete('k3');
    expect(await nodes[9]!.get('k3')).toBeUndefined();

    // A crash (no goodbye) and a graceful leave.
    const crashed = nodes[4]!;
    const leaving = nodes[11]!;
    await crashed.stop();
    await leaving.leave();
    const live = nodes.filter((n) => n !== crashed && n !== leaving);
    await waitFor('the ring to repair', () => consistent(live));
    for (let i = 0; i < 20; i++) {
      if (i === 3) continue;
      const value = await live[i % live.length]!.get(`k${i}`);
      expect(value && new TextDecoder().decode(value), `k${i}`).toBe(`v${i}`);
    }
    for (const n of live) await n.stop();
    expect(runtime.openHandles()).toBe(0);
  }, 60_000);
});
