/**
 * Kelips through the overlay compliance suite of @p2pkit/core/testing, on the simulator's
 * generic overlay world: joins at sizes 16 and 64, two seeds (256 and 1024, five seeds, with OVERLAY_LARGE=1), leaves,
 * crashes, a partition, churn, determinism; every lookup judged against the responsible node
 * and the hop bound 2 (complete soft state).
 *
 * Kelips's responsible node for a key is not a function of the key: it is the homenode a
 * contact picked at random when the file was inserted (the filetuple's home). So a lookup here
 * is "find it, or insert it": the key's name is looked up and, when no node knows it, inserted
 * through the querier's contact; the oracle is the live node that actually stores it, read
 * from the world once the lookup has answered (the rule returns a node whose address the suite
 * reads after the lookup). Values are not replicated in Kelips, so the suite's storage scenario
 * (which crashes homes in waves) does not apply: no put/get.
 */
import { hopBounds, type OverlayNode, overlayComplianceSuite } from '@p2pkit/core/testing';
import { coordinates, Simulation } from '@p2pkit/sim';
import { type OverlayAdapter, OverlayWorld } from '@p2pkit/sim/testing';
import { createKelipsNode, type KelipsNode } from '../src/index.js';

const EMPTY = new Uint8Array(0);
const large = process.env.OVERLAY_LARGE !== undefined;
const nameOf = (key: bigint) => key.toString(16);

const kelips: OverlayAdapter<KelipsNode> = {
  m: 160,
  // k = 4: even the suite's smallest systems (16 nodes, 24 after a quarter crash) leave no
  // group empty. One-second rounds: timeouts of 12.5 s (view) and 25 s (contacts).
  create: (host) => createKelipsNode({ runtime: host, port: 4000, groups: 4, roundMs: 1000 }),
  start: (node) => node.start(),
  id: (node) => node.id,
  address: (node) => node.address,
  join: (node, via) => node.join(via),
  lookup: async (node, key) => {
    const name = nameOf(key);
    const found = await node.lookup(name);
    if (found.home !== undefined) return { owner: found.home, hops: found.hops };
    const inserted = await node.insert(name, EMPTY);
    return { owner: inserted.home, hops: inserted.hops };
  },
  leave: (node) => node.leave(),
  stop: (node) => node.stop(),
};

/** The world of the scenario running now (the suite runs them one after the other). */
let world: OverlayWorld<KelipsNode> | undefined;

/** The live node storing the key's file, resolved when the suite reads it. */
function home(key: bigint): OverlayNode {
  const name = nameOf(key);
  const where = () => world?.nodes().find((n) => n.store.has(name));
  return {
    get id() {
      return where()?.id ?? -1n;
    },
    get address() {
      const node = where();
      return node ? node.address : { host: `nobody stores ${name}`, port: 0 };
    },
  };
}

overlayComplianceSuite(
  'kelips (simulator)',
  (seed) => {
    world = new OverlayWorld(new Simulation({ seed, latency: coordinates() }), kelips);
    return Promise.resolve(world.harness());
  },
  {
    // Enough rounds for gossip to complete views and contacts after a batch of joins, and for
    // a crashed node's entries (and its filetuples) to time out everywhere: the contact
    // timeout is 25 s at these one-second rounds, a suspected member is probed one round more.
    convergeMs: 40_000,
    nodes: 32,
    responsible: home,
    hopBound: hopBounds.kelips,
    // Every node gossips every round whatever the traffic, so a Kelips system costs CPU per
    // node per round: CI runs up to 64 nodes with two seeds; OVERLAY_LARGE=1 runs five seeds
    // and adds 256 and 1024.
    sizes: large ? [16, 64, 256, 1024] : [16, 64],
    seeds: large ? [1, 2, 3, 4, 5] : [1, 2],
    largeSeeds: [1],
    timeoutMs: Number(process.env.OVERLAY_TIMEOUT_MS ?? 300_000),
  },
);
