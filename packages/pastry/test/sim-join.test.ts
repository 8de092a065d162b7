/**
 * Overlays built by real joins in the simulator: leaf sets come out exact, and routes reach the
 * numerically closest node within the paper's bound.
 */
import { sameAddress } from '@p2pkit/core';
import { constant, Simulation } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import { PastryWorld } from '../src/scenarios/world.js';

async function joined(n: number, seed: number, options = {}) {
  const sim = new Simulation({ seed, latency: constant(5) });
  const world = new PastryWorld(sim, { maintenance: false, ...options });
  const nodes = await world.spawn(n);
  for (const node of nodes) await world.join(node);
  return world;
}

describe('join', () => {
  it('gives every node its exact leaf set (40 nodes, seed 1)', async () => {
    const world = await joined(40, 1);
    expect(world.leafErrors()).toBe(0);
  });

  for (const variant of ['sl', 'wt', 'wtf'] as const) {
    it(`routes every key to the numerically closest node (${variant}, 60 nodes, seed 2)`, async () => {
      const world = await joined(60, 2, { join: variant });
      const oracle = world.oracle();
      const nodes = world.nodes();
      const random = world.sim.random('test');
      const bound = Math.ceil(Math.log(60) / Math.log(16)) + 1;
      let wrong = 0;
      let maxHops = 0;
      for (let i = 0; i < 200; i++) {
        const from = nodes[random.int(nodes.length)]!;
        const key = from.space.random(random);
        const answer = await world.settle(from.lookupId(from.space.toBigint(key)));
        if (!sameAddress(answer.owner.address, oracle.closest(key).address)) wrong++;
        maxHops = Math.max(maxHops, answer.hops);
      }
      expect(wrong).toBe(0);
      expect(maxHops).toBeLessThanOrEqual(bound);
    });
  }
});
