/**
 * Real UDP in one process: three nodes on 127.0.0.1 insert and look up a file, and stop()
 * releases every socket and timer, even with requests in flight (Node's own list of active
 * handles is back where it was).
 */
import { realRuntime } from '@p2pkit/core/node';
import { describe, expect, it } from 'vitest';
import { createKelipsNode } from '../src/index.js';

/** Sockets and timers alive in this process, by kind. */
function handles(): { udp: number; timers: number } {
  const all = process.getActiveResourcesInfo();
  return {
    udp: all.filter((r) => r === 'UDPWrap' || r === 'UDPWRAP').length,
    timers: all.filter((r) => r === 'Timeout').length,
  };
}

/**
 * Node lists a closed socket among the active handles until its close has been processed a
 * turn of the event loop later: look again for a while before judging.
 */
async function settledHandles(want: { udp: number; timers: number }) {
  let now = handles();
  for (let i = 0; i < 100 && (now.udp > want.udp || now.timers > want.timers); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    now = handles();
  }
  return now;
}

describe('kelips over real UDP', { timeout: 30_000 }, () => {
  it('three nodes find a file; stop() releases every socket and timer', async () => {
    const before = handles();
    const runtime = realRuntime({ host: '127.0.0.1' });
    const nodes = Array.from({ length: 3 }, () =>
      createKelipsNode({ runtime, groups: 1, roundMs: 50 }),
    );
    for (const node of nodes) await node.start();
    expect(handles().udp).toBe(before.udp + 3);
    for (const node of nodes.slice(1)) await node.join(nodes[0]!.address);
    const inserted = await nodes[1]!.insert('song', 'la la la');
    // One group: the home is known to every member once gossip carried the filetuple; the
    // lookup retries through the members until one knows it.
    const found = await nodes[2]!.lookup('song', { timeoutMs: 10_000 });
    expect(found.home).toEqual(inserted.home);
    // A request in flight to a port nobody listens on, then stop: it settles, nothing stays.
    const pending = nodes[0]!.ping({ host: '127.0.0.1', port: 9 }, { timeoutMs: 20_000 });
    for (const node of nodes) await node.stop();
    await expect(pending).rejects.toThrow();
    // No more than before (the test runner's own timers may come and go meanwhile).
    const after = await settledHandles(before);
    expect(after.udp).toBeLessThanOrEqual(before.udp);
    expect(after.timers).toBeLessThanOrEqual(before.timers);
    await runtime.close();
  });
});
