/**
 * stop() releases everything a node holds: in the simulator, a stopped overlay leaves no event
 * behind (probes, RPC timeouts, re-replication, lookups in flight); over real UDP, stopping the
 * nodes closes their sockets and clears their timers without runtime.close() as a backstop.
 */
import { realRuntime } from '@p2pkit/core/node';
import { constant, Simulation } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import { createPastryNode } from '../src/node.js';
import { PastryWorld } from '../src/scenarios/world.js';

/** How many of the process's live handles are of each kind we might leak. */
function handles(): { udp: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return {
    udp: info.filter((x) => x === 'UDPWrap').length,
    timers: info.filter((x) => x === 'Timeout').length,
  };
}

/** Resolves once the handles are back to `before` (at most 2 s: the assertions then say what is left). */
async function released(before: { udp: number; timers: number }): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const now = handles();
    if (now.udp <= before.udp && now.timers <= before.timers) return;
    await new Promise((resolve) => setImmediate(resolve));
    if (i > 20) await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('stop() releases every timer and socket', () => {
  it('simulator: with probes on and work in flight, a stopped overlay runs dry', async () => {
    const seed = 3;
    const sim = new Simulation({ seed, latency: constant(20) });
    const world = new PastryWorld(sim, { probeMs: 1000, replicas: 3 });
    for (const node of await world.spawn(24)) await world.join(node);
    const nodes = world.nodes();
    await world.settle(nodes[1]!.put('kept', 'value'));
    await sim.runFor(5000);
    expect(sim.pending, `seed ${seed}: maintenance should be scheduling probes`).toBeGreaterThan(0);
    // Work still in flight when the nodes stop: a lookup, a put, and a crashed peer whose
    // probes and RPCs are still timing out.
    world.crash(nodes[5]!);
    const inFlight = [
      nodes[2]!.lookup('somewhere').then(
        () => 'answered',
        () => 'rejected',
      ),
      nodes[3]!.put('late', 'value').then(
        () => 'stored',
        () => 'rejected',
      ),
    ];
    await sim.runFor(1);
    await world.close();
    await sim.run({ for: 600_000 });
    expect(sim.pending, `seed ${seed}`).toBe(0);
    // Every promise settled: nothing waits for a timer that no longer exists.
    const settled = await Promise.race([
      Promise.all(inFlight).then(() => true),
      new Promise<boolean>((resolve) => setImmediate(() => resolve(false))),
    ]);
    expect(settled).toBe(true);
  }, 15_000);

  it('real UDP: three nodes with maintenance on, joined and storing, stop and leave nothing open', async () => {
    const before = handles();
    const runtime = realRuntime({ host: '127.0.0.1' });
    const options = { runtime, port: 0, probeMs: 200, rpcTimeoutMs: 300 };
    const a = createPastryNode(options);
    const b = createPastryNode(options);
    const c = createPastryNode(options);
    for (const node of [a, b, c]) await node.start();
    await b.join(a.address);
    await c.join(b.address);
    await c.put('colour', 'blue');
    expect(new TextDecoder().decode(await a.get('colour'))).toBe('blue');
    const running = handles();
    expect(running.udp).toBe(before.udp + 3);
    expect(running.timers).toBeGreaterThan(before.timers);
    await b.leave();
    await a.stop();
    await c.stop();
    // No runtime.close(): what the nodes opened, their stop() must have released. A socket's
    // handle goes away on the close event after rpc.close() resolves, so wait for it (bounded).
    await released(before);
    expect(handles().udp).toBe(before.udp);
    expect(handles().timers).toBeLessThanOrEqual(before.timers);
    await runtime.close();
  }, 15_000);
});
