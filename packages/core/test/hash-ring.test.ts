import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashRing, isP2PError, keyId } from '../src/index.js';

interface Point {
  position: number;
  key: string;
  member: string;
}

/** Naive model: every virtual node in a sorted list; the owner is found by a linear scan. */
class NaiveRing {
  points: Point[] = [];
  constructor(
    readonly v: number,
    readonly m: number,
  ) {}
  add(member: string): void {
    for (let i = 0; i < this.v; i++) {
      this.points.push({ position: Number(keyId(`${member}#${i}`, this.m)), key: member, member });
    }
    this.points.sort(
      (a, b) => a.position - b.position || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
  }
  remove(member: string): void {
    this.points = this.points.filter((p) => p.member !== member);
  }
  index(key: string): number {
    const position = Number(keyId(key, this.m));
    const i = this.points.findIndex((p) => p.position >= position);
    return i === -1 ? 0 : i;
  }
  owner(key: string): string | undefined {
    return this.points[this.index(key)]?.member;
  }
  successors(key: string, n: number): string[] {
    const out: string[] = [];
    const start = this.index(key);
    for (let k = 0; k < this.points.length && out.length < n; k++) {
      const member = this.points[(start + k) % this.points.length]!.member;
      if (!out.includes(member)) out.push(member);
    }
    return out;
  }
}

const memberNames = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), {
  minLength: 1,
  maxLength: 12,
});
const keys = fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 40 });
const widths = fc.constantFrom(3, 6, 16, 52); // small m forces many ties

describe('HashRing', () => {
  it('owner and successors match a naive scan (property)', () => {
    fc.assert(
      fc.property(
        memberNames,
        keys,
        widths,
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 15 }),
        (members, ks, m, v, n) => {
          const ring = new HashRing<string>({ virtualNodes: v, m });
          const model = new NaiveRing(v, m);
          for (const member of members) {
            ring.add(member);
            model.add(member);
          }
          for (const key of ks) {
            expect(ring.owner(key)).toBe(model.owner(key));
            const successors = ring.successors(key, n);
            expect(successors).toEqual(model.successors(key, n));
            expect(new Set(successors).size).toBe(successors.length);
            expect(successors.length).toBe(Math.min(n, members.length));
          }
        },
      ),
    );
  });

  it('removing a member moves only its keys; adding it back restores them (property)', () => {
    fc.assert(
      fc.property(memberNames, keys, widths, fc.nat(), (members, ks, m, pick) => {
        const ring = new HashRing<string>({ virtualNodes: 5, m });
        for (const member of members) ring.add(member);
        const before = ks.map((k) => ring.owner(k));
        const gone = members[pick % members.length]!;
        ring.remove(gone);
        const after = ks.map((k) => ring.owner(k));
        for (let i = 0; i < ks.length; i++) {
          if (before[i] !== gone) expect(after[i]).toBe(before[i]);
          else expect(after[i]).not.toBe(gone);
        }
        ring.add(gone);
        expect(ks.map((k) => ring.owner(k))).toEqual(before);
      }),
    );
  });

  it('does not depend on the order members were added (property)', () => {
    fc.assert(
      fc.property(memberNames, keys, widths, (members, ks, m) => {
        const a = new HashRing<string>({ virtualNodes: 4, m });
        const b = new HashRing<string>({ virtualNodes: 4, m });
        for (const member of members) a.add(member);
        for (const member of [...members].reverse()) b.add(member);
        expect(ks.map((k) => a.owner(k))).toEqual(ks.map((k) => b.owner(k)));
      }),
    );
  });

  it('load() is the owned fraction of the ring and sums to 1', () => {
    const ring = new HashRing<string>({ virtualNodes: 200 });
    for (let i = 0; i < 10; i++) ring.add(`node-${i}`);
    const load = ring.load();
    const total = [...load.values()].reduce((s, x) => s + x, 0);
    expect(total).toBeCloseTo(1, 9);
    // 20,000 keys: each member's share of keys follows its share of the ring.
    const keysList = Array.from({ length: 20_000 }, (_, i) => `key-${i}`);
    const counts = ring.keyCounts(keysList);
    for (const [member, fraction] of load) {
      expect(Math.abs(counts.get(member)! / keysList.length - fraction)).toBeLessThan(0.02);
    }
    // With 200 virtual nodes no member is far from 1/10.
    for (const fraction of load.values()) expect(Math.abs(fraction - 0.1)).toBeLessThan(0.04);
  });

  it('load() of one member with one point is the whole ring', () => {
    const ring = new HashRing<string>({ virtualNodes: 1, m: 8 });
    ring.add('solo');
    expect(ring.load().get('solo')).toBe(1);
  });

  it('handles empty rings, object members with keys, duplicates and re-adding', () => {
    const ring = new HashRing<{ name: string }>({ virtualNodes: 3 });
    expect(ring.owner('x')).toBeUndefined();
    expect(ring.successors('x', 3)).toEqual([]);
    const a = { name: 'a' };
    ring.add(a, 'a');
    expect(ring.owner('x')).toBe(a);
    let caught: unknown;
    try {
      ring.add({ name: 'b' });
    } catch (error) {
      caught = error;
    }
    expect(isP2PError(caught, 'ERR_INVALID_ARGUMENT')).toBe(true);
    caught = undefined;
    try {
      ring.add({ name: 'a2' }, 'a');
    } catch (error) {
      caught = error;
    }
    expect(isP2PError(caught, 'ERR_DUPLICATE_KEY')).toBe(true);
    ring.add(a, 'a-renamed');
    expect(ring.size).toBe(1);
    expect(ring.remove(a)).toBe(true);
    expect(ring.remove(a)).toBe(false);
    expect(ring.owner('x')).toBeUndefined();
  });

  it('positions are the low m bits of SHA-1', () => {
    const ring = new HashRing<string>({ m: 52 });
    expect(ring.position('abc')).toBe(Number(keyId('abc', 52)));
    expect(new HashRing<string>({ m: 7 }).position('abc')).toBe(Number(keyId('abc', 7)));
  });
});

describe('HashRing.ownerAt', () => {
  it('agrees with owner() at bucket edges and refuses positions off the ring', () => {
    const ring = new HashRing<string>({ virtualNodes: 50, m: 10 });
    for (let i = 0; i < 30; i++) ring.add(`n${i}`);
    const model = new NaiveRing(50, 10);
    for (let i = 0; i < 30; i++) model.add(`n${i}`);
    for (let position = 0; position < 1024; position++) {
      const i = model.points.findIndex((p) => p.position >= position);
      expect(ring.ownerAt(position)).toBe(model.points[i === -1 ? 0 : i]!.member);
    }
    for (const bad of [-1, 1024, Number.NaN]) {
      let caught: unknown;
      try {
        ring.ownerAt(bad);
      } catch (error) {
        caught = error;
      }
      expect(isP2PError(caught, 'ERR_INVALID_ARGUMENT')).toBe(true);
    }
  });
});
