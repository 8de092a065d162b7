/**
 * Peers that lie or send garbage, in the simulator: a node answering with a leaf set of ids that
 * do not belong to their addresses, ids with bits outside the id space, forged answers, looping
 * messages and random bytes. Each is refused and counted; the overlay keeps routing correctly.
 */
import { createDatagramRpc, createRandom, type DatagramRpc, sameAddress } from '@p2pkit/core';
import { constant, Simulation } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import * as msg from '../src/messages.js';
import { Peer } from '../src/peer.js';
import { PastryWorld } from '../src/scenarios/world.js';

async function overlay(n: number, seed: number, options = {}) {
  const sim = new Simulation({ seed, latency: constant(5) });
  const world = new PastryWorld(sim, { join: 'wt', maintenance: false, ...options });
  for (const node of await world.spawn(n)) await world.join(node);
  return world;
}

/** A raw RPC endpoint on a fresh simulated host: the attacker, with the id it claims. */
async function attacker(world: PastryWorld, id?: string): Promise<DatagramRpc> {
  const host = world.sim.addHost();
  const self = { id: new Uint8Array(world.nodes()[0]!.space.bytes) };
  const rpc = await createDatagramRpc({
    runtime: host,
    port: 4000,
    self,
    timeoutMs: 500,
    retries: 0,
  });
  const space = world.nodes()[0]!.space;
  space.write(id ?? space.nodeId(rpc.address.host, 4000), self.id, 0);
  rpc.handle(msg.MessageType.PING, () => msg.EMPTY);
  return rpc;
}

async function allCorrect(world: PastryWorld, lookups = 100): Promise<number> {
  const oracle = world.oracle();
  const nodes = world.joined();
  const random = createRandom('robustness');
  let wrong = 0;
  for (let i = 0; i < lookups; i++) {
    const key = nodes[0]!.space.random(random);
    const a = await world.settle(
      nodes[random.int(nodes.length)]!.lookupId(nodes[0]!.space.toBigint(key)),
    );
    if (!sameAddress(a.owner.address, oracle.closest(key).address)) wrong++;
  }
  return wrong;
}

describe('robustness', () => {
  it('a leaf set of made-up ids is refused: no entry from it is taken', async () => {
    const world = await overlay(20, 1);
    const victim = world.nodes()[4]!;
    const space = victim.space;
    const evil = await attacker(world);
    // Peers whose ids sit right next to the victim's (they would enter its leaf set) but do
    // not belong to their addresses.
    const self = victim.state.self.id;
    const fakes = [1n, 2n, 3n].map(
      (d) =>
        new Peer(space.fromBigint((space.toBigint(self) + d) % 2n ** 128n), {
          host: '10.9.9.9',
          port: 4000 + Number(d),
        }),
    );
    evil.handle(msg.MessageType.ANNOUNCE, () => msg.encodePeers(fakes, space));
    const before = victim.state.leaf.members().map((p) => p.key);
    // The victim asks the attacker (as its keep-alive would) and gets the fake leaf set.
    await world.settle(
      evil.request(victim.address, msg.MessageType.ANNOUNCE, msg.encodePeers(fakes, space)),
    );
    await world.sim.runFor(2000);
    const after = victim.state.leaf.members().map((p) => p.key);
    expect(after.filter((k) => k.startsWith('10.9.9.9'))).toEqual([]);
    expect(victim.stats.rejectedPeers).toBeGreaterThanOrEqual(3);
    // The attacker itself has a genuine id: it is a member now, nothing else changed.
    expect(after.filter((k) => !before.includes(k))).toEqual(
      [`${evil.address.host}:4000`].filter((k) => after.includes(k)),
    );
    evil.unhandle(msg.MessageType.ANNOUNCE);
    await evil.close();
  });

  it('a sender whose id does not match its address is ignored', async () => {
    const world = await overlay(12, 2);
    const victim = world.nodes()[0]!;
    const space = victim.space;
    const liar = await attacker(world, space.fromBigint(12345n));
    await world.settle(
      liar.request(victim.address, msg.MessageType.ANNOUNCE, msg.encodePeers([], space)),
    );
    expect(victim.state.knows(new Peer(space.fromBigint(12345n), liar.address))).toBe(false);
    expect(victim.stats.rejectedPeers).toBeGreaterThan(0);
    await liar.close();
  });

  it('ids with bits outside the id space are refused with a decode error', async () => {
    const world = await overlay(8, 3, { m: 30 });
    const victim = world.nodes()[0]!;
    const evil = await attacker(world);
    // A lookup whose 4-byte key has the top two bits set: outside a 30-bit space.
    const body = Uint8Array.of(
      0,
      msg.Purpose.LOOKUP,
      0,
      0,
      0,
      1,
      0xff,
      0xff,
      0xff,
      0xff,
      4,
      10,
      0,
      0,
      9,
      0x0f,
      0xa0,
    );
    await expect(
      world.settle(evil.request(victim.address, msg.MessageType.ROUTE, body)),
    ).rejects.toThrow(/ERR_DECODE/);
    expect(victim.stats.badMessages).toBe(1);
    expect(await allCorrect(world, 40)).toBe(0);
    await evil.close();
  });

  it('a forged answer from a node that is not the responder is ignored', async () => {
    const world = await overlay(30, 4, { hopAcks: false });
    const [origin] = world.nodes();
    const space = origin!.space;
    const evil = await attacker(world);
    const key = space.random(createRandom('forged'));
    const lookup = origin!.lookupId(space.toBigint(key));
    // Guess the route id (the first lookup of this node): claim to be the owner, from elsewhere.
    const fakeOwner = new Peer(space.nodeId('10.0.0.1', 4000), { host: '10.0.0.1', port: 4000 });
    for (let id = 1; id < 5; id++) {
      evil.notify(
        origin!.address,
        msg.MessageType.ROUTE_RESULT,
        msg.encodeRouteResult(
          {
            routeId: id,
            hops: 1,
            purpose: msg.Purpose.LOOKUP,
            status: msg.Status.OK,
            responder: fakeOwner,
          },
          space,
        ),
      );
    }
    const answer = await world.settle(lookup);
    expect(sameAddress(answer.owner.address, world.oracle().closest(key).address)).toBe(true);
    expect(origin!.stats.rejectedPeers).toBeGreaterThan(0);
    await evil.close();
  });

  it('looping messages are dropped; random bytes of every type never stop a node', async () => {
    const world = await overlay(16, 5);
    const victim = world.nodes()[3]!;
    const space = victim.space;
    const evil = await attacker(world);
    const loop = msg.encodeRoute(
      {
        hops: msg.MAX_HOPS,
        purpose: msg.Purpose.LOOKUP,
        routeId: 9,
        key: space.random(createRandom(1)),
        origin: evil.address,
      },
      space,
    );
    evil.notify(victim.address, msg.MessageType.ROUTE, loop);
    const random = createRandom('garbage');
    for (let i = 0; i < 300; i++) {
      const type = Object.values(msg.MessageType)[random.int(8)]!;
      evil.notify(victim.address, type, random.bytes(random.int(80)));
    }
    await world.sim.runFor(1000);
    expect(victim.stats.badMessages).toBeGreaterThan(100);
    expect(victim.running).toBe(true);
    expect(await allCorrect(world, 50)).toBe(0);
    await evil.close();
  });
});
