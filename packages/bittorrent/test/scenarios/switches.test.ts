import { createRandom } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { Choker, type ChokerPeer } from '../../src/choker/choker.js';
import { PiecePicker } from '../../src/picker/picker.js';
import { Bitfield } from '../../src/wire/bitfield.js';

/** The two baselines the swarm experiments compare against: random pieces, no choking. */
describe('experiment switches', () => {
  it('strategy random picks uniformly among the pieces a peer has, ignoring rarity', () => {
    const pieceCount = 8;
    const counts = new Array<number>(pieceCount).fill(0);
    const rarestCounts = new Array<number>(pieceCount).fill(0);
    for (let seed = 0; seed < 400; seed++) {
      for (const strategy of ['random', 'rarest-first'] as const) {
        const picker = new PiecePicker({
          pieceCount,
          pieceLength: 16384,
          length: pieceCount * 16384,
          random: createRandom(seed),
          randomFirstPieces: 0,
          strategy,
        });
        // Piece 5 is the rarest (1 copy); the others have 3; the peer has pieces 1..6.
        for (let i = 0; i < pieceCount; i++)
          for (let c = 0; c < (i === 5 ? 1 : 3); c++) picker.peerHas(i);
        const pieces = new Bitfield(pieceCount);
        for (let i = 1; i <= 6; i++) pieces.set(i);
        const [first] = picker.pick({ id: 1, pieces }, 1);
        (strategy === 'random' ? counts : rarestCounts)[first!.index]!++;
      }
    }
    expect(rarestCounts[5]).toBe(400);
    expect(counts[0]).toBe(0);
    expect(counts[7]).toBe(0);
    // Six eligible pieces, 400 draws: each near 67; allow wide sampling noise.
    for (let i = 1; i <= 6; i++) expect(counts[i]).toBeGreaterThan(35);
  });

  it('unchokeAll unchokes every interested peer at once, with no optimistic slot', () => {
    const peer = (id: number, interested: boolean): ChokerPeer => ({
      id,
      interested,
      downloadRate: id * 100,
      uploadRate: 0,
      connectedAt: 0,
      snubbed: id === 3,
    });
    const choker = new Choker({ random: createRandom(1), unchokeAll: true });
    const peers = [...Array(12).keys()].map((id) => peer(id, id % 4 !== 0));
    const d = choker.decide(peers, 0, false);
    expect([...d.unchoke].sort((a, b) => a - b)).toEqual([1, 2, 3, 5, 6, 7, 9, 10, 11]);
    expect(d.optimistic.size).toBe(0);
    // Between rechokes too: a newly interested peer is unchoked at the next decision.
    const later = choker.decide(
      peers.map((p) => (p.id === 4 ? { ...p, interested: true } : p)),
      1,
      false,
    );
    expect(later.unchoke.has(4)).toBe(true);
  });
});
