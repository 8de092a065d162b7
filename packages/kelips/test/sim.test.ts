/**
 * Kelips nodes in the simulator: joins build complete soft state by gossip, lookups take one
 * hop, inserts land on a random member of the file's group, crashes and leaves are absorbed,
 * and one seed gives one result.
 */
import { constant, coordinates, Simulation } from '@p2pkit/sim';
import { describe, expect, it } from 'vitest';
import { groupOfName, type KelipsNode } from '../src/index.js';
import { KelipsWorld, simulate } from '../src/scenarios/index.js';

const SEED = Number(process.env.SEED ?? 7);

async function joinedWorld(n: number, groups: number, seed = SEED) {
  const latency = coordinates();
  const sim = new Simulation({ seed, latency });
  const world = new KelipsWorld(sim, { groups }, latency);
  const nodes = await world.spawn(n);
  for (const node of nodes) await world.join(node);
  return { sim, world, nodes };
}

/** Nodes per group, from the nodes themselves. */
function groupsOf(nodes: readonly KelipsNode[], k: number): KelipsNode[][] {
  const out: KelipsNode[][] = Array.from({ length: k }, () => []);
  for (const n of nodes) out[n.group]!.push(n);
  return out;
}

describe(`kelips in the simulator (seed ${SEED}; replay: SEED=${SEED})`, {
  timeout: 60_000,
}, () => {
  it('64 nodes join through one another; gossip completes every view and fills the contacts', async () => {
    const { sim, world, nodes } = await joinedWorld(64, 8);
    await sim.runFor(120_000);
    const groups = groupsOf(nodes, 8);
    for (const node of nodes) {
      const view = node.view();
      expect(view.view.length, `view of ${node.address.host}`).toBe(groups[node.group]!.length - 1);
      for (let g = 0; g < 8; g++) {
        if (g === node.group) continue;
        const have = view.contacts.filter((c) => c.group === g).length;
        expect(have).toBe(Math.min(2, groups[g]!.length));
      }
    }
    await world.close();
  });

  it('inserts land in the file group; lookups from anywhere take one hop and find them', async () => {
    const { sim, world, nodes } = await joinedWorld(64, 8);
    await sim.runFor(60_000);
    const homes = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const name = `doc-${i}`;
      const answer = await world.settle(nodes[(i * 13) % 64]!.insert(name, `v${i}`));
      expect(answer.tries).toBe(1);
      const home = world.at(answer.home)!;
      expect(home.group).toBe(groupOfName(name, 8));
      expect(home.store.has(name)).toBe(true);
      homes.set(name, home.address.host);
    }
    // The homes are spread over the group's members, not one per group.
    expect(new Set(homes.values()).size).toBeGreaterThan(16);
    await sim.runFor(40_000); // filetuples spread by gossip
    for (let i = 0; i < 40; i++) {
      const name = `doc-${i}`;
      const from = nodes[(i * 7 + 3) % 64]!;
      const answer = await world.settle(from.lookup(name));
      expect(answer.home?.host).toBe(homes.get(name));
      expect(answer.hops).toBe(from.group === groupOfName(name, 8) ? 0 : 1);
      const value = await world.settle(from.get(name));
      expect(new TextDecoder().decode(value)).toBe(`v${i}`);
    }
    expect(await world.settle(nodes[0]!.lookup('never-inserted'))).toMatchObject({
      home: undefined,
    });
    await world.close();
  });

  it('a quarter crash: views and filetuples shed them within the timeout; lookups still work', async () => {
    const { sim, world, nodes } = await joinedWorld(64, 8);
    await sim.runFor(60_000);
    for (let i = 0; i < 32; i++) await world.settle(nodes[i]!.insert(`f${i}`, 'x'));
    await sim.runFor(30_000);
    const crashed = nodes.filter((_, i) => i % 4 === 1);
    for (const node of crashed) world.crash(node);
    const live = world.nodes();
    await sim.runFor(60_000); // > 25 s group timeout and 50 s contact timeout
    const dead = new Set(crashed.map((n) => n.address.host));
    for (const node of live) {
      const view = node.view();
      expect(view.view.filter((m) => dead.has(m.address.host))).toEqual([]);
      expect(view.contacts.filter((m) => dead.has(m.address.host))).toEqual([]);
      expect(view.tuples.filter((t) => dead.has(t.home.host))).toEqual([]);
    }
    let found = 0;
    let expected = 0;
    for (let i = 0; i < 32; i++) {
      const holder = live.find((n) => n.store.has(`f${i}`));
      const answer = await world.settle(live[(i * 5) % live.length]!.lookup(`f${i}`));
      if (holder === undefined) {
        expect(answer.home).toBeUndefined();
        continue;
      }
      expected++;
      if (answer.home?.host === holder.address.host) found++;
    }
    expect(found).toBe(expected);
    await world.close();
  });

  it('a graceful leave hands the files over and is forgotten at once', async () => {
    const { sim, world, nodes } = await joinedWorld(32, 4);
    await sim.runFor(60_000);
    for (let i = 0; i < 24; i++) await world.settle(nodes[i]!.insert(`g${i}`, `v${i}`));
    await sim.runFor(20_000);
    const leaving = nodes.filter((n) => n.store.size > 0).slice(0, 4);
    for (const node of leaving) await world.leave(node);
    await sim.runFor(1000); // the LEAVE datagrams arrive; gossip keeps running
    const gone = new Set(leaving.map((n) => n.address.host));
    for (const node of world.nodes()) {
      expect(node.view().view.filter((m) => gone.has(m.address.host))).toEqual([]);
    }
    await sim.runFor(20_000);
    for (let i = 0; i < 24; i++) {
      const from = world.nodes()[i % world.nodes().length]!;
      const value = await world.settle(from.get(`g${i}`));
      expect(value && new TextDecoder().decode(value)).toBe(`v${i}`);
    }
    await world.close();
  });

  it('no round after LEAVE: a leaver is not gossiped back with a newer heartbeat', async () => {
    // Rounds every 5 ms, shorter than the leaver's 20 ms wait before it closes its socket: a
    // round in that wait would send a heartbeat newer than its LEAVE's, and whoever got it
    // would take the leaver back until a timeout (long here, so the test sees it).
    const latency = coordinates();
    const sim = new Simulation({ seed: SEED, latency });
    const world = new KelipsWorld(
      sim,
      { groups: 2, roundMs: 5, groupTimeoutMs: 600_000, contactTimeoutMs: 600_000 },
      latency,
    );
    const nodes = await world.spawn(12);
    for (const node of nodes) await world.join(node);
    await sim.runFor(2000);
    const leaving = nodes.slice(0, 3);
    // Whom each leaver tells: its view and contacts (a node that has it as a contact without
    // being one of its own learns of the departure by timeout only).
    const told = new Map<string, Set<string>>();
    for (const node of leaving) {
      const v = node.view();
      told.set(node.address.host, new Set([...v.view, ...v.contacts].map((m) => m.address.host)));
      await world.leave(node);
    }
    await sim.runFor(2000);
    let checked = 0;
    for (const node of world.nodes()) {
      const known = [...node.view().view, ...node.view().contacts].map((m) => m.address.host);
      for (const [leaver, heard] of told) {
        if (!heard.has(node.address.host)) continue;
        checked++;
        expect(known, `${node.address.host} still knows ${leaver}`).not.toContain(leaver);
      }
    }
    expect(checked).toBeGreaterThan(10);
    await world.close();
  });

  it('a long partition splits the system in two; after it heals, the halves merge again', async () => {
    const { sim, world, nodes } = await joinedWorld(40, 4);
    await sim.runFor(60_000);
    const hosts = [...world.members.values()].map((m) => m.host);
    const half = hosts.length / 2;
    sim.partition(hosts.slice(0, half), hosts.slice(half));
    await sim.runFor(120_000); // past both timeouts: each half forgets the other
    const side = (n: KelipsNode) => (nodes.indexOf(n) < half ? 0 : 1);
    for (const node of nodes) {
      const others = node.view().view.map((m) => world.at(m.address)!);
      expect(others.every((o) => side(o) === side(node))).toBe(true);
    }
    sim.heal();
    await sim.runFor(180_000); // lost nodes are probed every 5 rounds; one answer is enough
    const groups = groupsOf(nodes, 4);
    for (const node of nodes) {
      expect(node.view().view.length, `view of ${node.address.host}`).toBe(
        groups[node.group]!.length - 1,
      );
    }
    await world.close();
  });

  it('stop() releases the socket and the timers: the simulation runs dry', async () => {
    const sim = new Simulation({ seed: SEED, latency: constant(10) });
    const world = new KelipsWorld(sim, { groups: 2 });
    const nodes = await world.spawn(6);
    for (const node of nodes) await world.join(node);
    await sim.runFor(10_000);
    await world.close();
    await sim.run({ for: 600_000 });
    expect(sim.pending).toBe(0);
  });

  it('under churn (joins and crashes each at 0.2/s) lookups still find live homes', async () => {
    const r = await simulate({ nodes: 80, lookups: 40, churn: 0.2, seed: SEED });
    expect(r.churn!.joins).toBeGreaterThan(0);
    expect(r.churn!.failures).toBeGreaterThan(0);
    expect(r.successRate).toBeGreaterThanOrEqual(0.95);
    expect(r.wrongHome).toBe(0);
    // Gossip runs whatever happens: background bytes under churn, per live node per second.
    expect(r.churn!.backgroundBytesPerNodePerSec).toBeGreaterThan(0);
  });

  it('after a crash of 30 %, once the timeouts ran, every lookup for a live home succeeds', async () => {
    const r = await simulate({ nodes: 60, lookups: 60, fail: 0.3, afterRepair: true, seed: SEED });
    expect(r.failed).toBeGreaterThan(0);
    const a = r.afterRepair!;
    expect(a.repairMs).toBeGreaterThan(0);
    expect(a.failedLookups).toBe(0);
    expect(a.wrongHome).toBe(0);
    expect(a.successRate).toBe(1);
    expect(a.hops.p50).toBe(1);
    // Without the flag there is no second batch.
    const plain = await simulate({ nodes: 30, lookups: 10, fail: 0.3, seed: SEED });
    expect(plain.afterRepair).toBeUndefined();
  });

  it('one seed, one result (p2pkit sim kelips is deterministic)', async () => {
    const run = () => simulate({ nodes: 60, lookups: 60, seed: SEED, settleRounds: 5 });
    const { wallMs: _a, ...first } = await run();
    const { wallMs: _b, ...second } = await run();
    expect(second).toEqual(first);
    expect(first.successRate).toBe(1);
    expect(first.hops.p50).toBe(1);
    // Routing state is the members only (view + contacts at 40 B), a part of the soft state.
    const m = first.memoryPerNode;
    expect(first.routingPerNode.entries).toBeCloseTo(m.view + m.contacts, 9);
    expect(first.routingPerNode.bytes).toBeCloseTo(40 * (m.view + m.contacts), 6);
    expect(first.routingPerNode.entries).toBeLessThan(m.entries);
    // One file per node on average; the busiest holds more than one, never all of them.
    expect(first.filesPerNode.mean).toBeGreaterThan(0.9);
    expect(first.filesPerNode.max).toBeGreaterThan(1);
    expect(first.filesPerNode.max).toBeLessThan(first.files);
    // A hop is one request and its reply (a file of the querier's own group: none at all).
    expect(first.messagesPerLookup).toBeGreaterThan(1.9 * first.hops.mean);
    expect(first.messagesPerLookup).toBeLessThan(2.1 * first.hops.mean);
    expect(first.bytesPerLookup).toBeGreaterThan(first.messagesPerLookup * 4);
  });
});
