/**
 * The lecture's DHT trade-off, measured: Kelips beside Chord and Pastry at the same N, on the
 * same simulator and latency model (hosts in a plane), each with its own defaults: routing
 * state per node, lookup hops, and the background traffic each node sends at rest to keep its
 * state fresh (Kelips: gossip and probes every 2 s; Chord: stabilize, fix_fingers and
 * check_predecessor every 30 s on average; Pastry: its probes). Used by experiments/run.js.
 */
import { ChordWorld, simulate as simulateChord } from '@p2pkit/chord/scenarios';
import { PastryWorld, simulate as simulatePastry } from '@p2pkit/pastry/scenarios';
import { coordinates, Simulation } from '@p2pkit/sim';
import { simulate as simulateKelips } from '../dist/scenarios/index.js';

/** Bytes sent per node per second by a world at rest, over `windowMs` after `warmMs`. */
async function background(sim, world, warmMs, windowMs) {
  await sim.runFor(warmMs);
  const before = sim.metrics.totals().datagrams.sent.bytes;
  await sim.runFor(windowMs);
  const bytes = sim.metrics.totals().datagrams.sent.bytes - before;
  return bytes / world.members.size / (windowMs / 1000);
}

async function chordAt(n, seed, lookups) {
  const routed = await simulateChord({ nodes: n, lookups, seed });
  const sim = new Simulation({ seed, latency: coordinates(), traceHash: 'off' });
  const world = new ChordWorld(sim, {});
  const nodes = await world.spawn(n);
  world.buildOracle();
  let entries = 0;
  for (const node of nodes) {
    const peers = new Set();
    for (const p of [...node.fingers(), ...node.successorList(), node.predecessor()]) {
      if (p) peers.add(`${p.address.host}:${p.address.port}`);
    }
    entries += peers.size;
  }
  const bytes = await background(sim, world, 60_000, 300_000);
  for (const node of world.nodes()) await node.stop();
  return { entries: entries / n, hops: routed.hops.mean, bytesPerSec: bytes };
}

async function pastryAt(n, seed, lookups) {
  const routed = await simulatePastry({ nodes: n, lookups, seed });
  const sim = new Simulation({ seed, latency: coordinates(), traceHash: 'off' });
  const world = new PastryWorld(sim, {});
  await world.spawn(n);
  world.buildOracle();
  const bytes = await background(sim, world, 60_000, 300_000);
  for (const node of world.nodes()) await node.stop();
  return {
    entries: routed.state.tableEntries + routed.state.leafSet,
    hops: routed.hops.mean,
    bytesPerSec: bytes,
  };
}

async function kelipsAt(n, seed, lookups) {
  const r = await simulateKelips({ nodes: n, lookups, seed });
  return {
    entries: r.memoryPerNode.view + r.memoryPerNode.contacts,
    hops: r.hops.mean,
    bytesPerSec: r.gossipBytesPerNodePerSec,
  };
}

/**
 * Each protocol at each size: { n, kelips, chord, pastry } with entries (routing state per
 * node, files aside), mean hops, background bytes per node per second. `log` reports progress.
 */
export async function tradeoff(sizes, { seed = 1, lookups = 1000, log = () => {} } = {}) {
  const rows = [];
  for (const n of sizes) {
    log(`  trade-off at N = ${n}: kelips...`);
    const kelips = await kelipsAt(n, seed, lookups);
    log('  ...chord...');
    const chord = await chordAt(n, seed, lookups);
    log('  ...pastry');
    const pastry = await pastryAt(n, seed, lookups);
    rows.push({ n, kelips, chord, pastry });
  }
  return rows;
}
