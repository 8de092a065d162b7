/**
 * Soft-state rules on their own (no network): heartbeats and ages, expiry, resurrection,
 * contacts replaced by closer ones, filetuples confined to their group, rations and spatial
 * target choice.
 */
import { type Address, createRandom, formatAddress } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { pickRation, pickTargets } from '../src/gossip.js';
import { groupOfAddress, groupOfName } from '../src/groups.js';
import { SoftState } from '../src/state.js';
import type { StateLimits } from '../src/state-entries.js';

const K = 4;
const limits: StateLimits = {
  groups: K,
  contacts: 2,
  groupTimeoutMs: 25_000,
  contactTimeoutMs: 50_000,
  fileTimeoutMs: 50_000,
  maxView: 100,
  maxTuples: 100,
  maxCandidates: 8,
  suspicionMs: 1000,
};

/** Addresses 10.0.x.y:4000 sorted into their groups (computed, as every node computes them). */
function addressesByGroup(perGroup: number): Address[][] {
  const out: Address[][] = Array.from({ length: K }, () => []);
  for (let i = 1; out.some((g) => g.length < perGroup); i++) {
    const a = { host: `10.0.${i >> 8}.${i & 255}`, port: 4000 };
    const g = out[groupOfAddress(a, K)]!;
    if (g.length < perGroup) g.push(a);
  }
  return out;
}

const byGroup = addressesByGroup(12);
const self = byGroup[0]![0]!;
const fresh = (address: Address, heartbeat = 1, ageMs = 0) => ({ address, heartbeat, ageMs });
/** A file name that belongs to group g. */
function nameIn(g: number, salt = 0): string {
  for (let i = salt; ; i++) if (groupOfName(`f${i}`, K) === g) return `f${i}`;
}

describe('members', () => {
  it('own group goes to the view, others to c contacts per group, then to candidates', () => {
    const s = new SoftState(self, limits);
    expect(s.group).toBe(0);
    for (const a of byGroup[0]!.slice(1, 6)) expect(s.heard(fresh(a), 0)).toBe('new');
    for (const a of byGroup[1]!.slice(0, 5)) s.heard(fresh(a), 0);
    expect(s.view.size).toBe(5);
    expect(s.contactsOf[1]!.length).toBe(2);
    expect(s.candidates.size).toBe(3);
    expect(s.heard(fresh(self), 0)).toBe('ignored');
  });

  it('news is a new heartbeat produced later; the same or older is not', () => {
    const s = new SoftState(self, limits);
    const a = byGroup[0]![1]!;
    s.heard(fresh(a, 5, 0), 10_000);
    expect(s.heard(fresh(a, 5, 0), 12_000)).toBe('known');
    expect(s.heard(fresh(a, 6, 5_000), 12_000)).toBe('known'); // produced at 7,000: older than 10,000
    expect(s.heard(fresh(a, 6, 1_000), 12_000)).toBe('news');
    expect(s.view.get(formatAddress(a))!.heardAt).toBe(11_000);
    // A restarted node counts from 0 again: later production time wins.
    expect(s.heard(fresh(a, 0, 0), 20_000)).toBe('news');
  });

  it('entries expire after their timeout; a late copy cannot resurrect them', () => {
    const s = new SoftState(self, limits);
    const a = byGroup[0]![1]!;
    const c = byGroup[2]![0]!;
    s.heard(fresh(a, 1), 0);
    s.heard(fresh(c, 1), 0);
    expect(s.expire(25_000)).toEqual([]);
    // Timed out: suspected and handed back for a probe, dropped if still silent a moment later.
    expect(s.expire(25_001).map((m) => m.address)).toEqual([a]);
    expect(s.view.size).toBe(1);
    expect(s.expire(26_002)).toEqual([]);
    expect(s.view.size).toBe(0);
    expect(s.contactIndex.size).toBe(1);
    expect(s.expire(50_001).map((m) => m.address)).toEqual([c]);
    s.expire(51_002);
    expect(s.contactIndex.size).toBe(0);
    // A relayed copy of the last heartbeat is as old as the heartbeat itself.
    expect(s.heard(fresh(a, 1, 26_000), 26_000)).toBe('ignored');
    expect(s.view.size).toBe(0);
  });

  it('a suspected member that answers its probe stays', () => {
    const s = new SoftState(self, limits);
    const a = byGroup[0]![1]!;
    s.heard(fresh(a, 1), 0);
    expect(s.expire(25_001)).toHaveLength(1);
    s.heard(fresh(a, 2, 0), 25_500); // the probe's answer
    expect(s.expire(27_000)).toEqual([]);
    expect(s.view.size).toBe(1);
    expect(s.view.get(formatAddress(a))!.suspectedAt).toBe(0);
  });

  it('a departed node stays out until its entries could no longer be fresh', () => {
    const s = new SoftState(self, limits);
    const a = byGroup[0]![1]!;
    s.heard(fresh(a, 7), 0);
    s.departed(a, 7, 1000);
    expect(s.view.size).toBe(0);
    expect(s.heard(fresh(a, 7, 0), 2000)).toBe('ignored');
    expect(s.heard(fresh(a, 8, 0), 2000)).toBe('new'); // it came back
  });

  it('a closer candidate replaces the farthest contact; a timed-out contact gives way', () => {
    const s = new SoftState(self, limits);
    const [c1, c2, c3] = byGroup[3]!;
    s.heard(fresh(c1!), 0);
    s.heard(fresh(c2!), 0);
    s.measured(formatAddress(c1!), 80);
    s.measured(formatAddress(c2!), 40);
    s.heard(fresh(c3!), 0);
    expect(s.candidates.has(formatAddress(c3!))).toBe(true);
    s.measured(formatAddress(c3!), 90); // farther than both: let go until heard of again
    expect(s.contactsOf[3]!.map((m) => m.key).sort()).toEqual(
      [formatAddress(c1!), formatAddress(c2!)].sort(),
    );
    expect(s.find(formatAddress(c3!))).toBeUndefined();
    s.heard(fresh(c3!, 2), 1000);
    s.measured(formatAddress(c3!), 70); // closer than c1's 80: replaces it
    expect(s.contactsOf[3]!.map((m) => m.key).sort()).toEqual(
      [formatAddress(c2!), formatAddress(c3!)].sort(),
    );
    expect(s.candidates.has(formatAddress(c1!))).toBe(true);
    expect(s.counters.replaced).toBe(1);
    s.unanswered(formatAddress(c2!), 500);
    expect(s.contactsOf[3]!.map((m) => m.key).sort()).toEqual(
      [formatAddress(c1!), formatAddress(c3!)].sort(),
    );
  });

  it('the view is capped: a flood of invented members stops at maxView', () => {
    const s = new SoftState(self, { ...limits, maxView: 5 });
    for (const a of byGroup[0]!.slice(1)) s.heard(fresh(a), 0);
    expect(s.view.size).toBe(5);
    expect(s.counters.full).toBe(byGroup[0]!.length - 1 - 5);
  });
});

describe('filetuples', () => {
  it('kept only for names of our group homed in our group', () => {
    const s = new SoftState(self, limits);
    const home = byGroup[0]![1]!;
    s.heard(fresh(home), 0);
    const ours = nameIn(0);
    const theirs = nameIn(1);
    const t = (name: string, h: Address) => ({ name, home: h, heartbeat: 1, ageMs: 0 });
    expect(s.heardTuple(t(ours, home), 0)).toBe('new');
    expect(s.heardTuple(t(theirs, home), 0)).toBe('ignored');
    expect(s.heardTuple(t(nameIn(0, 1000), byGroup[2]![0]!), 0)).toBe('ignored');
    expect(s.heardTuple(t(nameIn(0, 2000), self), 0)).toBe('ignored');
    expect(s.homeOf(ours)).toEqual(home);
    expect(s.counters.bogus).toBe(3);
  });

  it('go when their home leaves the view', () => {
    const s = new SoftState(self, limits);
    const home = byGroup[0]![1]!;
    s.heard(fresh(home), 0);
    s.heardTuple({ name: nameIn(0), home, heartbeat: 1, ageMs: 0 }, 0);
    s.homed(nameIn(0, 5000), 1, 0);
    s.expire(26_000);
    s.expire(27_001);
    expect(s.view.size).toBe(0);
    expect(s.tuples.size).toBe(1); // our own file stays
  });
});

describe('gossip selection', () => {
  it('a ration is half fresh, the rest older entries, no entry twice', () => {
    const s = new SoftState(self, limits);
    for (const a of byGroup[0]!.slice(1)) s.heard(fresh(a), 0);
    const list = s.viewList.items;
    for (const m of list) m.sent = 5;
    const newsy = list.slice(0, 3);
    for (const m of newsy) m.sent = 0;
    const random = createRandom(1);
    for (let round = 0; round < 50; round++) {
      for (const m of list) m.sent = newsy.includes(m) ? 0 : 5;
      const picked = pickRation(list, 4, 1, random, s.nextStamp());
      expect(new Set(picked).size).toBe(4);
      expect(picked.filter((m) => newsy.includes(m)).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('targets are drawn ∝ 1/rtt²: a node 2× closer is chosen about 4× as often', () => {
    const s = new SoftState(self, limits);
    const [near, far] = byGroup[0]!.slice(1, 3);
    s.heard(fresh(near!), 0);
    s.heard(fresh(far!), 0);
    s.measured(formatAddress(near!), 50);
    s.measured(formatAddress(far!), 100);
    const random = createRandom(2);
    let nearCount = 0;
    const runs = 4000;
    for (let i = 0; i < runs; i++) {
      const [t] = pickTargets(s.viewList.items, 1, 2, random);
      if (t!.address === near) nearCount++;
    }
    // Expected 0.8 of the draws; binomial sd ≈ 0.0063.
    expect(nearCount / runs).toBeGreaterThan(0.77);
    expect(nearCount / runs).toBeLessThan(0.83);
    expect(pickTargets(s.viewList.items, 5, 2, random).length).toBe(2);
  });
});
