import { createManualClock, createRandom } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { Choker, type ChokerPeer } from '../../src/choker/choker.js';

const peer = (id: number, over: Partial<ChokerPeer> = {}): ChokerPeer => ({
  id,
  interested: true,
  downloadRate: 0,
  uploadRate: 0,
  connectedAt: -1e9,
  snubbed: false,
  ...over,
});

describe('Choker', () => {
  it('unchokes the 4 interested peers that upload to us fastest, plus one optimistic', () => {
    const clock = createManualClock();
    const choker = new Choker({ random: createRandom(1) });
    const peers = [10, 50, 20, 40, 30, 60, 5].map((rate, id) =>
      peer(id, { downloadRate: rate * 1000 }),
    );
    const d = choker.decide(peers, clock.now(), false);
    const regular = [...d.unchoke].filter((id) => !d.optimistic.has(id)).sort();
    expect(regular).toEqual([1, 3, 4, 5]); // rates 50, 40, 30, 60
    expect(d.optimistic.size).toBe(1);
    expect([0, 2, 6]).toContain([...d.optimistic][0]);
  });

  it('also unchokes faster peers that are not interested', () => {
    const choker = new Choker({ random: createRandom(1) });
    const peers = [
      peer(0, { downloadRate: 100, interested: false }),
      ...[1, 2, 3, 4, 5].map((id) => peer(id, { downloadRate: 10 * id })),
    ];
    const d = choker.decide(peers, 0, false);
    expect(d.unchoke.has(0)).toBe(true);
    expect([...d.unchoke].filter((id) => !d.optimistic.has(id) && id !== 0).sort()).toEqual([
      2, 3, 4, 5,
    ]);
  });

  it('rechokes only every 10 s; in between it just fills free slots', () => {
    const clock = createManualClock();
    const choker = new Choker({ random: createRandom(2), optimisticIntervalMs: 1e12 });
    let peers = [1, 2, 3].map((id) => peer(id, { downloadRate: id }));
    expect([...choker.decide(peers, clock.now(), false).unchoke].sort()).toEqual([1, 2, 3]);
    clock.advance(5_000);
    // A much faster peer arrives: it gets the free 4th slot at once, nobody is choked.
    peers = [...peers, peer(4, { downloadRate: 1000 }), peer(5, { downloadRate: 2000 })];
    const mid = choker.decide(peers, clock.now(), false);
    expect(mid.unchoke.has(1) && mid.unchoke.has(2) && mid.unchoke.has(3)).toBe(true);
    expect(mid.unchoke.has(5)).toBe(true);
    clock.advance(5_000);
    expect(choker.due(clock.now())).toBe(true);
    const full = choker.decide(peers, clock.now(), false);
    const regular = [...full.unchoke].filter((id) => !full.optimistic.has(id)).sort();
    expect(regular).toEqual([2, 3, 4, 5]);
  });

  it('rotates the optimistic unchoke every 30 s, favouring new peers 3 to 1', () => {
    let newPicks = 0;
    let runs = 0;
    for (let seed = 0; seed < 200; seed++) {
      const clock = createManualClock(100_000);
      const choker = new Choker({ random: createRandom(seed), slots: 1 });
      // Peer 0 takes the only regular slot; 1 is old, 2 is new.
      const peers = [
        peer(0, { downloadRate: 100 }),
        peer(1, { connectedAt: 0 }),
        peer(2, { connectedAt: 99_000 }),
      ];
      const first = choker.decide(peers, clock.now(), false).optimistic;
      clock.advance(10_000);
      expect(choker.decide(peers, clock.now(), false).optimistic).toEqual(first); // not yet rotated
      runs++;
      if (first.has(2)) newPicks++;
    }
    expect(newPicks / runs).toBeGreaterThan(0.65);
    expect(newPicks / runs).toBeLessThan(0.85);
  });

  it('anti-snubbing: a snubbing peer loses its regular slot and adds an optimistic one', () => {
    const choker = new Choker({ random: createRandom(3) });
    const peers = [
      peer(1, { downloadRate: 900, snubbed: true }),
      ...[2, 3, 4, 5, 6, 7].map((id) => peer(id, { downloadRate: id })),
    ];
    const d = choker.decide(peers, 0, false);
    const regular = [...d.unchoke].filter((id) => !d.optimistic.has(id)).sort();
    expect(regular).toEqual([4, 5, 6, 7]);
    expect(d.optimistic.size).toBe(2);
  });

  it('seeding ranks by upload rate', () => {
    const choker = new Choker({ random: createRandom(4), slots: 2 });
    const peers = [1, 2, 3, 4].map((id) =>
      peer(id, { uploadRate: id === 1 ? 1000 : id, downloadRate: 5 - id }),
    );
    const d = choker.decide(peers, 0, true);
    expect([...d.unchoke].filter((id) => !d.optimistic.has(id)).sort()).toEqual([1, 4]);
  });
});
