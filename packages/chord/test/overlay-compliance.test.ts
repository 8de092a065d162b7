/**
 * Chord through the overlay compliance suite of @p2pkit/core/testing, on the simulator.
 */
import {
  type OverlayHarness,
  type OverlayNode,
  overlayComplianceSuite,
} from '@p2pkit/core/testing';
import { Simulation } from '@p2pkit/sim';
import type { ChordNode } from '../src/node.js';
import { ChordWorld } from '../src/scenarios/world.js';

function harness(seed: number): Promise<OverlayHarness> {
  const sim = new Simulation({ seed });
  const world = new ChordWorld(sim, { m: 32, stabilizeMs: 1000, successors: 8, replicas: 3 });
  const node = (n: OverlayNode): ChordNode => {
    const found = world.at(n.address);
    if (!found) throw new Error(`no live node at ${n.address.host}:${n.address.port}`);
    return found;
  };
  const view = (n: ChordNode): OverlayNode => ({ id: n.id, address: n.address });
  const h: OverlayHarness = {
    m: 32,
    async addNodes(count) {
      const out: OverlayNode[] = [];
      for (let i = 0; i < count; i++) {
        const [n] = await world.spawn(1);
        if (world.members.size > 1) await world.join(n!);
        out.push(view(n!));
      }
      return out;
    },
    advance: (ms) => sim.runFor(ms),
    async lookup(from, key) {
      const r = await world.settle(node(from).lookupId(key));
      return { owner: r.owner.address, hops: r.hops };
    },
    leave: (n) => world.leave(node(n)),
    crash: (n) => world.crash(node(n)),
    partition(groups) {
      sim.partition(...groups.map((g) => g.map((n) => n.address.host)));
    },
    heal: () => sim.heal(),
    async put(from, key, value) {
      await world.settle(node(from).put(key, value));
    },
    get: (from, key) => world.settle(node(from).get(key)),
    async close() {
      for (const n of world.nodes()) await n.stop();
    },
  };
  return Promise.resolve(h);
}

overlayComplianceSuite('chord (simulator)', harness, { convergeMs: 60_000, nodes: 32 });
