import { createDatagramRpc, DecodeError } from '@p2pkit/core';
import { Simulation } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import * as msg from '../src/messages.js';
import { ChordWorld, randomKey } from '../src/scenarios/world.js';
import { spaceFor } from '../src/space.js';

describe('a ring built by real joins in the simulator', () => {
  it('16 nodes join, stabilization converges, lookups match the oracle (iterative and recursive)', async () => {
    const seed = 7;
    const sim = new Simulation({ seed });
    const world = new ChordWorld(sim, { m: 32, stabilizeMs: 1000, successors: 4 });
    const nodes = await world.spawn(16);
    for (const n of nodes.slice(1)) await world.join(n, nodes[0]);
    const took = await world.converge(1000, 120_000);
    expect(took, `seed ${seed}`).toBeLessThan(120_000);
    await sim.runFor(60_000); // fingers
    const oracle = world.oracle();
    const random = sim.random('test');
    for (let i = 0; i < 50; i++) {
      const key = randomKey(random, 32);
      const from = nodes[random.int(nodes.length)]!;
      for (const mode of ['iterative', 'recursive'] as const) {
        const r = await world.settle(from.lookupId(spaceFor(32).toBigint(key), { mode }));
        expect(r.owner.address, `seed ${seed} key ${spaceFor(32).toBigint(key)} ${mode}`).toEqual(
          oracle.owner(key).address,
        );
      }
    }
  });
});

describe('determinism', () => {
  async function history(seed: number): Promise<{ hash: string; answers: string[] }> {
    const sim = new Simulation({ seed });
    const world = new ChordWorld(sim, { m: 32, stabilizeMs: 1000, successors: 4 });
    const nodes = await world.spawn(12);
    for (const n of nodes.slice(1)) await world.join(n, nodes[0]);
    await sim.runFor(20_000);
    world.crash(nodes[3]!);
    await sim.runFor(20_000);
    const random = sim.random('determinism');
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await world.settle(
        nodes[0]!.lookupId(spaceFor(32).toBigint(randomKey(random, 32))),
      );
      answers.push(`${r.owner.address.host}/${r.hops}/${r.timeouts}`);
    }
    for (const n of world.nodes()) await n.stop();
    return { hash: sim.traceHash, answers };
  }

  it('the same seed replays the same history (trace hash); another seed does not', async () => {
    const a = await history(3);
    const b = await history(3);
    const c = await history(4);
    expect(b).toEqual(a);
    expect(c.hash).not.toBe(a.hash);
  });
});

describe('bad LOOKUP messages', () => {
  it('are counted and reported, and the node keeps forwarding good ones', async () => {
    const sim = new Simulation({ seed: 5, traceHash: 'off' });
    const world = new ChordWorld(sim, { m: 32, maintenance: false, lookup: 'recursive' });
    const nodes = await world.spawn(8);
    world.buildOracle();
    const target = nodes[3]!;
    const warnings: Error[] = [];
    target.on('warning', (e) => warnings.push(e));
    const [host] = sim.addHosts(1);
    const rpc = await createDatagramRpc({ runtime: host!, self: { id: new Uint8Array(4) } });
    rpc.notify(target.address, msg.MessageType.LOOKUP, Uint8Array.of(0, 7, 0, 0, 0, 1)); // phase 7
    await sim.runFor(100);
    expect(target.stats.badMessages).toBe(1);
    expect(warnings[0]).toBeInstanceOf(DecodeError);
    const key = randomKey(sim.random('bad'), 32);
    const r = await world.settle(nodes[0]!.lookupId(spaceFor(32).toBigint(key)));
    expect(r.owner.address).toEqual(world.oracle().owner(key).address);
    await rpc.close();
  });
});
