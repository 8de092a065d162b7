/**
 * Hostile and broken peers: gossip with bogus or oversize views is bounded and ignored, a node
 * cannot plant itself in groups it is not in or speak for another node, a system with another
 * k is ignored, and a node advertising itself everywhere gains nothing.
 */
import {
  type Address,
  type DatagramSocket,
  encodeEnvelope,
  formatAddress,
  idToBytes,
  nodeId,
} from '@p2pkit/core';
import { coordinates, type SimHost, Simulation } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import { groupOfAddress, groupOfName } from '../src/index.js';
import * as msg from '../src/messages.js';
import { KelipsWorld } from '../src/scenarios/index.js';

const SEED = Number(process.env.SEED ?? 11);
const K = 6;

/** A system of 48 nodes with complete soft state, and a raw socket for the attacker. */
async function setup() {
  const latency = coordinates();
  const sim = new Simulation({ seed: SEED, latency });
  const world = new KelipsWorld(sim, { groups: K }, latency);
  const nodes = await world.spawn(48);
  world.buildOracle();
  world.placeFiles(Array.from({ length: 60 }, (_, i) => `file-${i}`));
  await sim.runFor(10_000);
  const attackerHost: SimHost = sim.addHost();
  const socket: DatagramSocket = await attackerHost.net.bind({ port: 4000 }, () => {});
  const self = socket.address;
  const send = (to: Address, type: number, body: Uint8Array, sender: Address = self) => {
    socket.send(
      encodeEnvelope({
        kind: 'oneway',
        type,
        requestId: 0,
        sender: { id: idToBytes(nodeId(sender.host, sender.port, 160), 160), address: sender },
        body,
      }),
      to,
    );
  };
  return { sim, world, nodes, self, send };
}

describe(`robustness (seed ${SEED}; replay: SEED=${SEED})`, { timeout: 60_000 }, () => {
  it('oversize, over-long, truncated and garbage gossip is dropped and counted', async () => {
    const { sim, world, nodes, send } = await setup();
    const target = nodes[0]!;
    const member = { address: { host: '10.9.9.9', port: 4000 }, heartbeat: 1, ageMs: 0 };
    // 65 entries announced (one above the limit), each a valid IPv4 member.
    const overLong = new Uint8Array(8 + 65 * 13 + 1);
    overLong.set([0, K, 0, 0, 0, 1, 65]);
    for (let i = 0; i < 65; i++)
      overLong.set([4, 10, 9, 9, 9, 0x0f, 0xa0, 0, 0, 0, 1, 0, 0], 7 + i * 13);
    const oversize = new Uint8Array(msg.MAX_GOSSIP_BODY + 1);
    oversize.set([0, K]);
    const valid = msg.encodeGossip({ groups: K, heartbeat: 1, members: [member], tuples: [] });
    const bad0 = target.stats.badMessages;
    send(target.address, msg.MessageType.GOSSIP, overLong);
    send(target.address, msg.MessageType.GOSSIP, oversize);
    send(target.address, msg.MessageType.GOSSIP, valid.subarray(0, valid.length - 3));
    send(target.address, msg.MessageType.GOSSIP, Uint8Array.of(0xff, 0xff, 0xff));
    await sim.runFor(100);
    expect(target.stats.badMessages - bad0).toBe(4);
    expect(target.state.find('10.9.9.9:4000')).toBeUndefined();
    // The same member in a well-formed message is taken: the drops were the bytes' fault.
    send(target.address, msg.MessageType.GOSSIP, valid);
    await sim.runFor(100);
    expect(target.state.find('10.9.9.9:4000')).toBeDefined();
    await world.close();
  });

  it('gossip from a system with another k is ignored', async () => {
    const { sim, world, nodes, send } = await setup();
    const target = nodes[3]!;
    const stranger = { address: { host: '10.9.9.8', port: 4000 }, heartbeat: 1, ageMs: 0 };
    send(
      target.address,
      msg.MessageType.GOSSIP,
      msg.encodeGossip({ groups: K + 1, heartbeat: 1, members: [stranger], tuples: [] }),
    );
    await sim.runFor(100);
    expect(target.stats.mismatched).toBe(1);
    expect(target.state.find('10.9.9.8:4000')).toBeUndefined();
    await world.close();
  });

  it('a forged sender is not learned: nobody can speak for another node', async () => {
    const { sim, world, nodes, send } = await setup();
    const target = nodes[5]!;
    // Claim to be an address in the target's own group that does not exist.
    let forged: Address | undefined;
    for (let p = 1; forged === undefined; p++) {
      const a = { host: '10.9.9.7', port: p };
      if (groupOfAddress(a, K) === target.group) forged = a;
    }
    send(
      target.address,
      msg.MessageType.GOSSIP,
      msg.encodeGossip({ groups: K, heartbeat: 99, members: [], tuples: [] }),
      forged,
    );
    await sim.runFor(100);
    expect(target.stats.gossipReceived).toBeGreaterThan(0);
    expect(target.state.find(formatAddress(forged))).toBeUndefined();
    await world.close();
  });

  it('a node advertising itself in every group, and as home of every file, gains nothing', async () => {
    const { sim, world, nodes, self, send } = await setup();
    const own = groupOfAddress(self, K);
    // Every 2 s for a minute, to every node: itself (age 0), and a filetuple naming itself home
    // of a file of each group.
    const names = Array.from({ length: K }, (_, g) => {
      for (let i = 0; ; i++) if (groupOfName(`bait-${g}-${i}`, K) === g) return `bait-${g}-${i}`;
    });
    const body = msg.encodeGossip({
      groups: K,
      heartbeat: 1,
      members: [{ address: self, heartbeat: 1, ageMs: 0 }],
      tuples: names.map((name) => ({ name, home: self, heartbeat: 1, ageMs: 0 })),
    });
    for (let t = 0; t < 30; t++) {
      for (const n of nodes) send(n.address, msg.MessageType.GOSSIP, body);
      await sim.runFor(2000);
    }
    const key = formatAddress(self);
    for (const n of nodes) {
      const view = n.view();
      // It appears only where its address puts it: in its own group's slots, nowhere else.
      const places = [
        ...view.view.filter((m) => formatAddress(m.address) === key).map(() => n.group),
        ...view.contacts.filter((m) => formatAddress(m.address) === key).map((m) => m.group),
      ];
      for (const g of places) expect(g).toBe(own);
      // It is home only of what a member of its group may hold: in its own group, the bait of
      // that group; in every other group, nothing.
      const homed = view.tuples.filter((t) => formatAddress(t.home) === key).map((t) => t.name);
      expect(homed).toEqual(n.group === own ? [names[own]] : []);
      // At most the one slot any member of its group could hold; a measured, closer contact
      // is never pushed out for it (it never answers a probe, so it is never measured).
      expect(places.length).toBeLessThanOrEqual(1);
      for (const c of view.contacts.filter((m) => m.group === own && m.rttMs !== undefined)) {
        expect(formatAddress(c.address)).not.toBe(key);
      }
    }
    // Lookups still find the real homes.
    for (let i = 0; i < 20; i++) {
      const answer = await world.settle(nodes[i]!.lookup(`file-${i}`));
      expect(world.at(answer.home!)?.store.has(`file-${i}`)).toBe(true);
    }
    await world.close();
  });

  it('a flood of invented members is capped by maxView and ages out', async () => {
    const latency = coordinates();
    const sim = new Simulation({ seed: SEED, latency });
    const world = new KelipsWorld(sim, { groups: 1, maxView: 40 }, latency);
    const [target] = await world.spawn(1);
    await world.join(target!);
    const host = sim.addHost();
    const socket = await host.net.bind({ port: 4000 }, () => {});
    const sender = socket.address;
    for (let batch = 0; batch < 10; batch++) {
      const members = Array.from({ length: msg.MAX_GOSSIP_ENTRIES }, (_, i) => ({
        address: { host: '10.8.0.1', port: 1 + batch * 64 + i },
        heartbeat: 1,
        ageMs: 0,
      }));
      socket.send(
        encodeEnvelope({
          kind: 'oneway',
          type: msg.MessageType.GOSSIP,
          requestId: 0,
          sender: { id: new Uint8Array(0), address: sender },
          body: msg.encodeGossip({ groups: 1, heartbeat: 1, members, tuples: [] }),
        }),
        target!.address,
      );
    }
    await sim.runFor(1000);
    expect(target!.state.view.size).toBe(40);
    expect(target!.state.counters.full).toBeGreaterThan(500);
    await sim.runFor(30_000); // past the 25 s group timeout: nobody refreshes them
    expect(target!.state.view.size).toBeLessThanOrEqual(1);
    await world.close();
  });
});
