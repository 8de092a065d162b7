/**
 * PAST-style storage in the simulator: k replicas on the k numerically closest nodes, versions,
 * re-replication when the responsible node crashes or a closer node joins, and the limits.
 */
import { constant, Simulation } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import { PastryWorld } from '../src/scenarios/world.js';

async function overlay(n: number, seed: number, options = {}) {
  const sim = new Simulation({ seed, latency: constant(5) });
  const world = new PastryWorld(sim, { join: 'wt', probeMs: 1000, ...options });
  for (const node of await world.spawn(n)) await world.join(node);
  return world;
}

describe('storage', () => {
  it('a put lands on the k numerically closest nodes; a get from anywhere returns it', async () => {
    const world = await overlay(40, 1);
    const nodes = world.nodes();
    const result = await world.settle(nodes[3]!.put('colour', 'blue'));
    expect(result).toEqual({ version: 1, replicas: 5 });
    const oracle = world.oracle();
    const id = nodes[0]!.space.keyId('colour');
    const closest = [...oracle.peers]
      .sort((a, b) => nodes[0]!.space.compareDistance(id, a.id, b.id))
      .slice(0, 5)
      .map((p) => p.key)
      .sort();
    const stored = nodes
      .filter((n) => n.storedKeys === 1)
      .map((n) => n.state.self.key)
      .sort();
    expect(stored).toEqual(closest);
    for (const from of [nodes[0]!, nodes[17]!, nodes[39]!]) {
      const got = await world.settle(from.get('colour'));
      expect(new TextDecoder().decode(got)).toBe('blue');
    }
    expect(await world.settle(nodes[5]!.get('missing'))).toBeUndefined();
    // An overwrite gets the next version everywhere.
    expect(await world.settle(nodes[9]!.put('colour', 'green'))).toEqual({
      version: 2,
      replicas: 5,
    });
    expect(new TextDecoder().decode(await world.settle(nodes[30]!.get('colour')))).toBe('green');
    expect(
      nodes
        .filter((n) => n.storedKeys === 1)
        .map((n) => n.state.self.key)
        .sort(),
    ).toEqual(stored);
  });

  it('the responsible node crashes: its replicas answer, and a new replica is made', async () => {
    const world = await overlay(40, 2);
    const nodes = world.nodes();
    await world.settle(nodes[0]!.put('k', 'v'));
    const owner = world.at((await world.settle(nodes[1]!.lookup('k'))).owner.address)!;
    world.crash(owner);
    // Keep-alives find the crash; the leaf sets heal; the new 5th closest node gets a copy.
    await world.sim.runFor(10_000);
    const live = world.nodes();
    expect(live.filter((n) => n.storedKeys === 1).length).toBe(5);
    const got = await world.settle(live[7]!.get('k'));
    expect(new TextDecoder().decode(got)).toBe('v');
  });

  it('a node that joins closer to a key receives the value', async () => {
    const world = await overlay(20, 3, { replicas: 1 });
    const nodes = world.nodes();
    // Many keys: some will belong to the newcomers.
    for (let i = 0; i < 60; i++) await world.settle(nodes[i % 20]!.put(`key-${i}`, `v${i}`));
    const fresh = await world.spawn(10);
    for (const n of fresh) await world.join(n);
    await world.sim.runFor(5000);
    expect(fresh.reduce((sum, n) => sum + n.storedKeys, 0)).toBeGreaterThan(0);
    // With k = 1 every value sits on exactly its closest node, and every get finds it.
    expect(world.nodes().reduce((sum, n) => sum + n.storedKeys, 0)).toBe(60);
    for (let i = 0; i < 60; i++) {
      const got = await world.settle(fresh[i % 10]!.get(`key-${i}`));
      expect(new TextDecoder().decode(got)).toBe(`v${i}`);
    }
  });

  it('refuses oversized values and keys, and values beyond the node budget', async () => {
    const world = await overlay(8, 4, { maxValueSize: 100, maxStoredBytes: 150, replicas: 1 });
    const node = world.nodes()[0]!;
    await expect(world.settle(node.put('big', new Uint8Array(101)))).rejects.toThrow(
      /maxValueSize/,
    );
    await expect(world.settle(node.put('', 'x'))).rejects.toThrow(/key must be/);
    await world.settle(node.put('a', new Uint8Array(100)));
    // The responsible node of 'b' may already hold 'a': try until one refuses.
    let refused = 0;
    for (let i = 0; i < 8; i++) {
      await world.settle(node.put(`fill-${i}`, new Uint8Array(100))).catch((e: Error) => {
        expect(e.message).toMatch(/refused/);
        refused++;
      });
    }
    expect(refused).toBeGreaterThan(0);
  });
});
