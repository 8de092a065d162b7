import { createRandom } from '@p2pkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AvailabilityOrder } from '../../src/picker/availability.js';
import { PiecePicker } from '../../src/picker/picker.js';
import { Bitfield } from '../../src/wire/bitfield.js';

const bits = (size: number, indices: number[]) => {
  const b = new Bitfield(size);
  for (const i of indices) b.set(i);
  return b;
};

describe('AvailabilityOrder', () => {
  it('stays sorted by availability under any sequence of updates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.tuple(fc.constantFrom('inc', 'dec', 'remove'), fc.nat()), { maxLength: 300 }),
        fc.integer(),
        (size, ops, seed) => {
          const order = new AvailabilityOrder(size, createRandom(seed));
          const count = new Array(size).fill(0);
          const removed = new Set<number>();
          for (const [op, n] of ops) {
            const i = n % size;
            if (op === 'inc') {
              order.increment(i);
              count[i]++;
            } else if (op === 'dec') {
              order.decrement(i);
              if (count[i] > 0) count[i]--;
            } else {
              order.remove(i);
              removed.add(i);
            }
          }
          expect(order.length).toBe(size - removed.size);
          const seen: number[] = [];
          for (let p = 0; p < order.length; p++) seen.push(order.at(p));
          expect([...seen].sort((a, b) => a - b)).toEqual(
            [...Array(size).keys()].filter((i) => !removed.has(i)),
          );
          for (let p = 1; p < seen.length; p++)
            expect(count[seen[p - 1]!]).toBeLessThanOrEqual(count[seen[p]!]);
          for (let i = 0; i < size; i++) expect(order.availability(i)).toBe(count[i]);
          const first = order.firstAvailable();
          for (let p = 0; p < first; p++) expect(count[seen[p]!]).toBe(0);
          if (first < seen.length) expect(count[seen[first]!]).toBeGreaterThan(0);
        },
      ),
    );
  });
});

function picker(
  pieceCount: number,
  options: { randomFirst?: number; seed?: number; pieceLength?: number; length?: number } = {},
) {
  const pieceLength = options.pieceLength ?? 4 * 16384;
  return new PiecePicker({
    pieceCount,
    pieceLength,
    length: options.length ?? pieceCount * pieceLength,
    random: createRandom(options.seed ?? 1),
    randomFirstPieces: options.randomFirst ?? 0,
  });
}

describe('PiecePicker', () => {
  it('picks the rarest piece first', () => {
    const p = picker(6);
    p.peerBitfield(bits(6, [0, 1, 2, 3, 4, 5]));
    p.peerBitfield(bits(6, [0, 1, 2, 4, 5]));
    p.peerBitfield(bits(6, [0, 1, 2, 3, 5]));
    p.peerBitfield(bits(6, [0, 1, 2, 3, 4]));
    // Availability: 0,1,2 → 4; 3,4,5 → 3. A seed-like peer gets one of 3,4,5 first.
    const first = p.pick({ id: 1, pieces: undefined }, 1)[0]!;
    expect([3, 4, 5]).toContain(first.index);
    p.peerHas(4);
    p.peerHas(5);
    const picks = p.pick({ id: 1, pieces: undefined }, 8).map((r) => r.index);
    // Strict priority first (rest of `first`), then the rarest remaining.
    expect(picks.slice(0, 3)).toEqual([first.index, first.index, first.index]);
    if (first.index !== 3) expect(picks[3]).toBe(3);
  });

  it('never picks pieces the peer lacks', () => {
    const p = picker(4);
    p.peerBitfield(bits(4, [2]));
    p.peerBitfield(bits(4, [1, 2]));
    expect(p.pick({ id: 1, pieces: bits(4, [2]) }, 100).map((r) => r.index)).toEqual([2, 2, 2, 2]);
    expect(p.pick({ id: 2, pieces: bits(4, [1]) }, 100).map((r) => r.index)).toEqual([1, 1, 1, 1]);
    expect(
      p
        .pick({ id: 3, pieces: bits(4, [0, 3]) }, 100)
        .map((r) => r.index)
        .sort(),
    ).toEqual([0, 0, 0, 0, 3, 3, 3, 3]);
    expect(p.pick({ id: 4, pieces: bits(4, []) }, 100)).toEqual([]);
  });

  it('random first: the first pieces are not simply the rarest', () => {
    const firsts = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      const p = picker(20, { randomFirst: 4, seed });
      for (let i = 0; i < 20; i++) for (let k = 0; k <= i; k++) p.peerHas(i); // piece 0 is the rarest
      firsts.add(p.pick({ id: 1, pieces: undefined }, 1)[0]!.index);
    }
    expect(firsts.size).toBeGreaterThan(5);
    // Without random first, always the rarest (piece 0).
    const p = picker(20, { randomFirst: 0 });
    for (let i = 0; i < 20; i++) for (let k = 0; k <= i; k++) p.peerHas(i);
    expect(p.pick({ id: 1, pieces: undefined }, 1)[0]!.index).toBe(0);
  });

  it('strict priority: a second peer continues the piece the first one started', () => {
    const p = picker(10);
    const a = p.pick({ id: 1, pieces: undefined }, 2);
    const b = p.pick({ id: 2, pieces: undefined }, 2);
    expect(b.map((r) => r.index)).toEqual([a[0]!.index, a[0]!.index]);
    expect(b.map((r) => r.begin)).toEqual([2 * 16384, 3 * 16384]);
  });

  it('sizes the last block of a short last piece', () => {
    const p = picker(2, { pieceLength: 32768, length: 32768 + 20000 });
    const picks = p.pick({ id: 1, pieces: bits(2, [1]) }, 10);
    expect(picks).toEqual([
      { index: 1, begin: 0, length: 16384 },
      { index: 1, begin: 16384, length: 3616 },
    ]);
    expect(p.received(1, 1, 16384, 3616)).toMatchObject({ status: 'new', pieceComplete: false });
    expect(p.received(1, 1, 0, 16384)).toMatchObject({ status: 'new', pieceComplete: true });
    expect(p.received(1, 1, 16384, 3616)).toEqual({ status: 'duplicate' });
    expect(p.received(1, 1, 0, 100)).toEqual({ status: 'unexpected' });
    p.setHave(1);
    expect(p.received(1, 1, 0, 16384)).toEqual({ status: 'unexpected' });
  });

  it('released blocks go back to others; a failed piece starts over', () => {
    const p = picker(1);
    const a = p.pick({ id: 1, pieces: undefined }, 4);
    p.release(1, 0, a[1]!.begin);
    expect(p.pick({ id: 2, pieces: undefined }, 1)).toEqual([a[1]]);
    p.releasePeer(1);
    p.releasePeer(2);
    const b = p.pick({ id: 2, pieces: undefined }, 10);
    expect(b.length).toBe(4);
    for (const r of b) p.received(2, r.index, r.begin, r.length);
    p.pieceFailed(0);
    expect(p.pick({ id: 3, pieces: undefined }, 10).length).toBe(4);
  });

  it('endgame: duplicates requests once everything is requested, and reports whom to cancel', () => {
    const p = picker(2);
    const a = p.pick({ id: 1, pieces: undefined }, 8);
    expect(a.length).toBe(8);
    expect(p.endgame).toBe(true);
    const b = p.pick({ id: 2, pieces: undefined }, 3);
    expect(b.length).toBe(3);
    const c = p.pick({ id: 3, pieces: undefined }, 3);
    // At most two requesters per block: peer 3 gets the blocks peer 2 did not duplicate.
    expect(c.map((r) => `${r.index}/${r.begin}`)).not.toContain(`${b[0]!.index}/${b[0]!.begin}`);
    const got = p.received(2, b[0]!.index, b[0]!.begin, b[0]!.length);
    expect(got).toEqual({ status: 'new', others: [1], pieceComplete: false });
    expect(p.received(1, b[0]!.index, b[0]!.begin, b[0]!.length)).toEqual({ status: 'duplicate' });
  });
});
