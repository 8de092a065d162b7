import type { Id } from '@p2pkit/core';
import { createRandom, TimeoutError } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { iterativeLookup, localStep, type StepIo } from '../src/lookup.js';
import { RingOracle } from '../src/oracle.js';
import type { Peer } from '../src/peer.js';
import type { RoutingTable } from '../src/routing.js';
import { spaceFor } from '../src/space.js';
import { randomPeers, tablesFor } from './helpers/peers.js';

/** Step I/O over an oracle-built ring held in memory; dead peers time out. */
function memoryIo(tables: Map<string, RoutingTable>, dead: Set<string>): StepIo {
  return {
    async step(peer: Peer, key: Id) {
      if (dead.has(peer.key)) throw new TimeoutError();
      return localStep(tables.get(peer.key)!, key);
    },
    async ping(peer: Peer) {
      if (dead.has(peer.key)) throw new TimeoutError();
    },
    dead() {},
    accept: () => true,
    space: spaceFor(32),
  };
}

function randomKey(random: ReturnType<typeof createRandom>, m: number): Id {
  return spaceFor(m).fromBytes(random.bytes((m + 7) >> 3));
}

async function run(n: number, r: number, p: number, lookups: number, seed: number) {
  const m = 32;
  const random = createRandom(seed);
  const peers = randomPeers(n, m, random.fork('peers'));
  const tables = tablesFor(peers, m, r);
  new RingOracle(peers).build(tables.values());
  const dead = new Set<string>();
  for (const peer of peers) if (random.chance(p)) dead.add(peer.key);
  const live = new RingOracle(peers.filter((x) => !dead.has(x.key)));
  const io = memoryIo(tables, dead);
  let hops = 0;
  let timeouts = 0;
  let wrong = 0;
  const histogram: number[] = [];
  for (let i = 0; i < lookups; i++) {
    const from = live.peers[random.int(live.size)]!;
    const key = randomKey(random, m);
    const result = await iterativeLookup(tables.get(from.key)!, key, io);
    if (result.owner.key !== live.owner(key).key) wrong++;
    hops += result.hops;
    timeouts += result.timeouts;
    histogram[result.hops] = (histogram[result.hops] ?? 0) + 1;
  }
  return { meanHops: hops / lookups, meanTimeouts: timeouts / lookups, wrong, histogram };
}

describe('iterative lookup on an oracle-built ring', () => {
  it('finds the true owner; hops to the predecessor average about ½·log2 N (r = 1)', async () => {
    for (const [n, seed] of [
      [64, 1],
      [1024, 2],
    ] as const) {
      const { meanHops, wrong } = await run(n, 1, 0, 2000, seed);
      expect(wrong, `seed ${seed}`).toBe(0);
      expect(Math.abs(meanHops - 0.5 * Math.log2(n)), `seed ${seed}`).toBeLessThan(0.35);
    }
  });

  it('a successor list of 20 shortens paths (ToN Table II at p = 0: 3.84 hops to the predecessor)', async () => {
    const { meanHops, wrong } = await run(1000, 20, 0, 2000, 3);
    expect(wrong).toBe(0);
    expect(meanHops).toBeGreaterThan(3.84 - 0.3);
    expect(meanHops).toBeLessThan(3.84 + 0.3);
  });

  it('half the nodes dead, tables frozen: every lookup still finds the live owner (ToN Table II)', async () => {
    const { meanTimeouts, wrong } = await run(1000, 20, 0.5, 1000, 4);
    expect(wrong).toBe(0);
    expect(meanTimeouts).toBeGreaterThan(5.1 * 0.7);
    expect(meanTimeouts).toBeLessThan(5.1 * 1.3);
  });

  it('the owner answers itself with 0 hops; an aborted lookup rejects with AbortError', async () => {
    const peers = randomPeers(16, 32);
    const tables = tablesFor(peers, 32, 4);
    new RingOracle(peers).build(tables.values());
    const t = tables.get(peers[0]!.key)!;
    const result = await iterativeLookup(t, t.self.id, memoryIo(tables, new Set()));
    expect(result).toEqual({ owner: t.self, hops: 0, timeouts: 0 });
    const controller = new AbortController();
    controller.abort();
    await expect(
      iterativeLookup(t, t.predecessor!.id, memoryIo(tables, new Set()), {
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ code: 'ERR_ABORTED' });
  });
});
