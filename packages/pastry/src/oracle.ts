/**
 * Global knowledge of an overlay, for what no node can know alone: the live node numerically
 * closest to a key (what tests and experiments judge routes against), and routing state built
 * directly from the sorted ids (the large experiments' "tables built by oracle": routing only,
 * no join traffic, as the paper's Fig. 4 and 5 runs need at 10^5 nodes).
 */
import type { Id, IdSpace } from '@p2pkit/core';
import type { Peer } from './peer.js';
import type { NodeState } from './state.js';

export class PastryOracle {
  readonly space: IdSpace;
  /** Live peers by increasing id. */
  readonly peers: Peer[];

  constructor(space: IdSpace, peers: Iterable<Peer>) {
    this.space = space;
    this.peers = [...peers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get size(): number {
    return this.peers.length;
  }

  /** Index of the first peer with an id ≥ key (peers.length if none). */
  lowerBound(key: Id): number {
    const p = this.peers;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p[mid]!.id < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The live peer numerically closest to `key` (ties as the nodes break them). */
  closest(key: Id): Peer {
    const p = this.peers;
    const n = p.length;
    if (n === 0) throw new RangeError('empty overlay');
    const i = this.lowerBound(key);
    const after = p[i % n]!;
    const before = p[(i - 1 + n) % n]!;
    return this.space.compareDistance(key, before.id, after.id) < 0 ? before : after;
  }

  /**
   * Gives each state its ideal leaf set and a routing table with, in every slot, a node with
   * the right prefix: chosen by `pick` among the candidates p[lo..hi) (default: uniformly at
   * random with `random`), as the paper's idealized tables. Neighbourhood sets stay empty.
   */
  build(
    states: Iterable<NodeState>,
    random: { int(n: number): number },
    pick?: (state: NodeState, lo: number, hi: number) => Peer,
  ): void {
    const p = this.peers;
    const n = p.length;
    const index = new Map<string, number>();
    for (let i = 0; i < n; i++) index.set(p[i]!.key, i);
    const cache: Map<number, number[]>[] = [];
    const choose = pick ?? ((_: NodeState, lo: number, hi: number) => p[lo + random.int(hi - lo)]!);
    const ordered: [number, NodeState][] = [];
    for (const state of states) {
      const i = index.get(state.self.key);
      if (i === undefined) throw new RangeError(`${state.self.key} is not in the oracle`);
      ordered.push([i, state]);
    }
    // In id order, so that neighbours reuse the digit runs of their shared prefixes.
    ordered.sort((x, y) => x[0] - y[0]);
    for (const [i, state] of ordered) {
      const half = state.leaf.half;
      for (let k = 1; k <= Math.min(half, n - 1); k++) {
        state.leaf.add(p[(i + k) % n]!);
        state.leaf.add(p[(i - k + n) % n]!);
      }
      this.#fillTable(state, i, choose, cache);
    }
  }

  /**
   * Row by row: the peers sharing the first l digits with self form the range [lo, hi) of the
   * sorted ids; within it, digit l splits them into up to 2^b consecutive runs (found by binary
   * search, and cached per range: nodes come in id order, so neighbours share their ranges).
   */
  #fillTable(
    state: NodeState,
    i: number,
    choose: (state: NodeState, lo: number, hi: number) => Peer,
    cache: Map<number, number[]>[],
  ): void {
    const p = this.peers;
    const s = this.space;
    const self = p[i]!;
    let lo = 0;
    let hi = p.length;
    for (let l = 0; l < s.digits && hi - lo > 1; l++) {
      let rowCache = cache[l];
      if (rowCache === undefined) cache[l] = rowCache = new Map();
      let runs = rowCache.get(lo);
      if (runs === undefined) {
        runs = this.#runs(lo, hi, l);
        rowCache.clear(); // ranges of a row never come back once passed
        rowCache.set(lo, runs);
      }
      const own = s.digit(self.id, l);
      let nextLo = lo;
      let nextHi = hi;
      for (let r = 0; r + 1 < runs.length; r++) {
        const start = runs[r]!;
        const end = runs[r + 1]!;
        if (s.digit(p[start]!.id, l) === own) {
          nextLo = start;
          nextHi = end;
        } else {
          state.table.consider(choose(state, start, end), Number.NaN, false);
        }
      }
      lo = nextLo;
      hi = nextHi;
    }
  }

  /** Boundaries of the runs of equal digit l in [lo, hi): [lo, ..., hi]. */
  #runs(lo: number, hi: number, l: number): number[] {
    const p = this.peers;
    const s = this.space;
    const out = [lo];
    let start = lo;
    while (start < hi) {
      const d = s.digit(p[start]!.id, l);
      // First index in (start, hi) whose digit l exceeds d (digits ascend within the range).
      let a = start + 1;
      let b = hi;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (s.digit(p[mid]!.id, l) > d) b = mid;
        else a = mid + 1;
      }
      out.push(a);
      start = a;
    }
    return out;
  }
}
