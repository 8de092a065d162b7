/**
 * The leaf set's number-only fast paths (leading bits) against a brute force in bigints: the
 * members kept after any sequence of offers, admits(), and deliverTo() for ids that are members'
 * ids, near them, or anywhere. Ids are drawn in clusters so that leading bits often tie.
 */
import { idSpace } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeafSet } from '../src/leaf-set.js';
import { Peer } from '../src/peer.js';

for (const bits of [32, 128]) {
  describe(`LeafSet, ${bits}-bit ids`, () => {
    const space = idSpace(bits, 4);
    const ring = 2n ** BigInt(bits);
    const cw = (from: bigint, to: bigint) => (((to - from) % ring) + ring) % ring;
    // Clustered ids: a few bases, small offsets (ties in the leading 30 bits), some far away.
    const arbBig = fc.oneof(
      fc.bigInt({ min: 0n, max: ring - 1n }),
      fc
        .tuple(
          fc.constantFrom(0n, ring / 3n, ring - 5n),
          fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
        )
        .map(([base, off]) => (((base + off) % ring) + ring) % ring),
      fc
        .tuple(fc.constantFrom(0n, ring / 3n, ring - 5n), fc.integer({ min: -40, max: 40 }))
        .map(([base, off]) => (((base + BigInt(off)) % ring) + ring) % ring),
    );
    let port = 1;
    const peerOf = (x: bigint) =>
      new Peer(space.fromBigint(x), { host: '10.0.0.1', port: port++ % 65536 });

    /** The half nearest on each side among `others` (self excluded), by bigint distance. */
    function ideal(self: bigint, others: bigint[], half: number): Set<bigint> {
      const distinct = [...new Set(others)].filter((x) => x !== self);
      const byCw = [...distinct].sort((a, b) => (cw(self, a) < cw(self, b) ? -1 : 1));
      const byCcw = [...distinct].sort((a, b) => (cw(a, self) < cw(b, self) ? -1 : 1));
      return new Set([...byCw.slice(0, half), ...byCcw.slice(0, half)]);
    }

    it('keeps the |L|/2 nearest on each side; admits and deliverTo agree with a brute force', () => {
      fc.assert(
        fc.property(
          arbBig,
          fc.array(arbBig, { minLength: 0, maxLength: 24 }),
          fc.array(arbBig, { minLength: 1, maxLength: 8 }),
          fc.constantFrom(4, 8, 16),
          (self, offered, probes, size) => {
            const half = size / 2;
            const set = new LeafSet(peerOf(self), space, size);
            const added: bigint[] = [];
            for (const x of offered) {
              if (added.includes(x) || x === self) continue;
              added.push(x);
              set.add(peerOf(x));
            }
            const want = ideal(self, added, half);
            const have = new Set(set.members().map((p) => space.toBigint(p.id)));
            expect(have).toEqual(want);
            for (const x of [...probes, ...added.map((a) => a + 1n), ...added]) {
              const q = ((x % ring) + ring) % ring;
              // admits: a new id enters iff it is among the half nearest on a side.
              if (q !== self && !have.has(q)) {
                expect(set.admits(peerOf(q)), `admits ${q}`).toBe(
                  ideal(self, [...have, q], half).has(q),
                );
              }
              // deliverTo: inside the range, the numerically closest of the set and self.
              const got = set.deliverTo(space.fromBigint(q));
              if (got !== undefined) {
                const d = (c: bigint) => {
                  const [x, y] = [cw(c, q), cw(q, c)];
                  // biome-ignore lint/complexity/useMathMinMax: bigints (Math.min takes numbers)
                  return x < y ? x : y;
                };
                let best = d(self);
                for (const c of have) if (d(c) < best) best = d(c);
                expect(d(space.toBigint(got.id)), `deliverTo ${q}`).toBe(best);
              } else {
                expect(have.size, 'a key outside the range of a full set').toBe(2 * half);
              }
            }
          },
        ),
        { numRuns: 300, seed: 15 },
      );
    });
  });
}
