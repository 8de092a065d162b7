import type { Id } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { RingOracle } from '../src/oracle.js';
import { Peer } from '../src/peer.js';
import { RoutingTable } from '../src/routing.js';
import { spaceFor } from '../src/space.js';
import { randomPeers, tablesFor } from './helpers/peers.js';

const m = 16;
const at = (x: number, port = 1): Peer =>
  new Peer(spaceFor(m).fromBigint(BigInt(x)), { host: '10.0.0.1', port });

describe('RoutingTable', () => {
  it('a node alone owns every key and names itself', () => {
    const t = new RoutingTable(at(100), m, 4);
    expect(t.successor()).toBe(t.self);
    expect(t.ownerCandidates(spaceFor(m).fromBigint(5n))).toEqual([t.self]);
    expect(t.closestPreceding(spaceFor(m).fromBigint(5n))).toBeUndefined();
  });

  it('setSuccessors drops self and duplicates, stops when the list comes round to self, keeps r', () => {
    const self = at(100, 1);
    const t = new RoutingTable(self, m, 3);
    const [a, b, c, d] = [at(200, 2), at(300, 3), at(400, 4), at(500, 5)];
    t.setSuccessors([a, a, b, self, c]);
    expect(t.successors).toEqual([a, b]);
    t.setSuccessors([a, b, c, d]);
    expect(t.successors).toEqual([a, b, c]);
  });

  it('ownerCandidates: the first successor-list entry at or after key, and the ones after it', () => {
    const t = new RoutingTable(at(100, 1), m, 3);
    const [a, b, c] = [at(200, 2), at(300, 3), at(400, 4)];
    t.setSuccessors([a, b, c]);
    expect(t.ownerCandidates(spaceFor(m).fromBigint(150n))).toEqual([a, b, c]);
    expect(t.ownerCandidates(spaceFor(m).fromBigint(200n))).toEqual([a, b, c]);
    expect(t.ownerCandidates(spaceFor(m).fromBigint(201n))).toEqual([b, c]);
    expect(t.ownerCandidates(spaceFor(m).fromBigint(400n))).toEqual([c]);
    expect(t.ownerCandidates(spaceFor(m).fromBigint(401n))).toBeUndefined();
    expect(t.ownerCandidates(spaceFor(m).fromBigint(50n))).toBeUndefined();
  });

  it('closestPreceding is strictly inside (self, key), wraps, and scans the successor list too', () => {
    const t = new RoutingTable(at(60000, 1), m, 2);
    const [a, b] = [at(60010, 2), at(60020, 3)];
    const [f1, f2, f3] = [at(1000, 4), at(20000, 5), at(40000, 6)];
    t.setSuccessors([a, b]);
    for (const f of [f3, f1, f2]) t.addFinger(f);
    expect(t.fingers).toEqual([f1, f2, f3]);
    expect(t.closestPreceding(spaceFor(m).fromBigint(30000n))).toBe(f2);
    expect(t.closestPreceding(spaceFor(m).fromBigint(20000n))).toBe(f1); // strictly before key
    expect(t.closestPreceding(spaceFor(m).fromBigint(60015n))).toBe(a); // only the successor list has it
    expect(t.closestPreceding(spaceFor(m).fromBigint(59999n))).toBe(f3); // wrap-around
    expect(t.closestPreceding(spaceFor(m).fromBigint(60001n))).toBeUndefined();
    expect(t.closestPrecedingList(spaceFor(m).fromBigint(59999n), 10)).toEqual([f3, f2, f1, b, a]);
    expect(t.closestPrecedingList(spaceFor(m).fromBigint(59999n), 2, new Set([f3.key]))).toEqual([
      f2,
      f1,
    ]);
  });

  it('fixFinger inserts the successor of start and evicts fingers in [start, s)', () => {
    const t = new RoutingTable(at(0, 1), m, 2);
    const [x, y, z] = [at(1000, 2), at(2000, 3), at(3000, 4)];
    for (const f of [x, y, z]) t.addFinger(f);
    t.fixFinger(spaceFor(m).fromBigint(1500n), z); // y at 2000 is in [1500, 3000): evicted
    expect(t.fingers).toEqual([x, z]);
    const w = at(2500, 5);
    t.fixFinger(spaceFor(m).fromBigint(2200n), w);
    expect(t.fingers).toEqual([x, w, z]);
    t.fixFinger(spaceFor(m).fromBigint(3000n), z); // start == s: nothing to evict
    expect(t.fingers).toEqual([x, w, z]);
  });

  it('remove forgets a peer everywhere', () => {
    const t = new RoutingTable(at(0, 1), m, 2);
    const x = at(1000, 2);
    t.setSuccessors([x]);
    t.addFinger(x);
    t.predecessor = x;
    expect(t.remove(x.key)).toBe(true);
    expect(t.knows(x.key)).toBe(false);
    expect(t.successor()).toBe(t.self);
    expect(t.remove(x.key)).toBe(false);
  });

  it('fix_fingers cycle skips the slots that equal the successor', () => {
    const t = new RoutingTable(at(0, 1), m, 2);
    t.setSuccessors([at(100, 2)]);
    // 2^6 = 64 <= 100 < 128 = 2^7: slots 0..6 are the successor.
    expect(t.firstNontrivialFinger()).toBe(7);
    const next = t.nextFingerToFix();
    expect(next?.index).toBe(7);
    // successor(128) = node at 5000: slots up to 12 (4096) also resolve to it.
    t.advanceFinger(7, at(5000, 3));
    expect(t.nextFingerToFix()?.index).toBe(13);
    t.advanceFinger(15, at(40000, 4));
    expect(t.nextFingerToFix()?.index).toBe(7); // wrapped
  });

  it('oracle-built tables give every lookup start the ideal fingers', () => {
    const peers = randomPeers(200, 32);
    const tables = tablesFor(peers, 32, 8);
    const oracle = new RingOracle(peers);
    oracle.build(tables.values());
    for (const t of tables.values()) {
      expect(t.successors.length).toBe(8);
      expect(t.successors[0]).toBe(
        oracle.owner(spaceFor(32).fromBigint((BigInt(`0x${hex(t.self.id)}`) + 1n) % 2n ** 32n)),
      );
      // Fingers: distinct, clockwise order, none equal to self.
      for (let i = 1; i < t.fingers.length; i++) {
        expect(spaceFor(32).inOpen(t.fingers[i - 1]!.id, t.self.id, t.fingers[i]!.id)).toBe(true);
      }
      expect(t.fingers.length).toBeLessThanOrEqual(32);
    }
  });
});

function hex(id: Id): string {
  return [...id].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
}

describe('fastStep (30-bit prefixes) agrees with the full-id routing it shortcuts', () => {
  it('for random tables and keys, including ids that share long prefixes', async () => {
    const fc = (await import('fast-check')).default;
    const { STEP_AMBIGUOUS, STEP_OWNER } = await import('../src/routing.js');
    for (const m of [8, 16, 24, 32, 64, 160]) {
      // Ids share a random prefix with a base so that 30-bit prefixes often tie at m >= 32.
      const base = (1n << BigInt(m)) / 3n;
      const arbId = fc
        .tuple(
          fc.boolean(),
          fc.bigInt({ min: 0n, max: (1n << BigInt(m)) - 1n }),
          fc.bigInt({ min: 0n, max: 255n }),
        )
        .map(([near, x, low]) => (near && m > 24 ? (base & ~255n) | low : x));
      fc.assert(
        fc.property(
          arbId,
          fc.uniqueArray(arbId, { minLength: 0, maxLength: 12 }),
          fc.array(arbId, { minLength: 1, maxLength: 8 }),
          (self, others, keys) => {
            const peers = others
              .filter((x) => x !== self)
              .map(
                (x, i) => new Peer(spaceFor(m).fromBigint(x), { host: '10.0.0.2', port: i + 1 }),
              );
            const t = new RoutingTable(
              new Peer(spaceFor(m).fromBigint(self), { host: '10.0.0.1', port: 1 }),
              m,
              4,
            );
            const oracle = new RingOracle([t.self, ...peers]);
            const sorted = oracle.peers;
            const at = sorted.findIndex((p) => p.key === t.self.key);
            t.setSuccessors(
              [1, 2, 3, 4]
                .map((k) => sorted[(at + k) % sorted.length]!)
                .filter((p) => p.key !== t.self.key),
            );
            for (const p of peers) if (!t.successors.includes(p)) t.addFinger(p);
            for (const k of keys) {
              const key = spaceFor(m).fromBigint(k);
              const outcome = t.fastStep(spaceFor(m).hi(key));
              if (outcome === STEP_AMBIGUOUS) continue;
              if (outcome === STEP_OWNER) {
                expect(t.isOwnedBySuccessor(key)).toBe(true);
                expect(t.hop).toBe(t.successor());
              } else {
                expect(t.isOwnedBySuccessor(key)).toBe(false);
                expect(t.hop).toBe(t.closestPreceding(key) ?? t.successor());
              }
            }
          },
        ),
        { numRuns: 300 },
      );
    }
  });
});
