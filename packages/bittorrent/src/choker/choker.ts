/**
 * Choking as in Cohen, "Incentives Build Robustness in BitTorrent" (2003), section 3:
 *
 * - `slots` (4) regular unchokes go to the interested peers with the best rate: the rate they
 *   upload to us while we download (tit-for-tat), the rate we upload to them once we seed (so
 *   the seed serves those who take fastest);
 * - peers with a better rate that are not interested are unchoked too (they are choked as soon
 *   as a rechoke finds enough interested peers above them);
 * - the decision is revisited every `rechokeIntervalMs` (10 s), not more often, to avoid
 *   fibrillation; between rechokes an interested peer only gets a slot that is free;
 * - one optimistic unchoke, rotated every `optimisticIntervalMs` (30 s), regardless of rate;
 *   peers connected in the last `newPeerMs` are 3x as likely to be picked (they have nothing to
 *   trade yet);
 * - anti-snubbing: a peer that has sent us nothing for `snubTimeoutMs` (60 s) while we wanted
 *   data gets no regular slot, only optimistic ones, and each snubbing peer adds an optimistic
 *   slot (up to `slots`).
 *
 * Pure: the caller passes peers, rates and the time, and applies the returned decision.
 */
import type { Random } from '@p2pkit/core';

export interface ChokerOptions {
  readonly random: Random;
  /** Regular unchoke slots (default 4). */
  readonly slots?: number;
  /** Full re-evaluation period (default 10 s). */
  readonly rechokeIntervalMs?: number;
  /** Optimistic unchoke rotation period (default 30 s). */
  readonly optimisticIntervalMs?: number;
  /** A peer silent this long while we are interested is snubbing us (default 60 s). */
  readonly snubTimeoutMs?: number;
  /** Peers connected for less than this are "new": 3x the optimistic chance (default 60 s). */
  readonly newPeerMs?: number;
  /**
   * No choking: every interested peer is unchoked at once (no slots, no tit-for-tat); the
   * baseline choking is measured against in the simulator. Default false.
   */
  readonly unchokeAll?: boolean;
}

export interface ChokerPeer {
  readonly id: number;
  /** The peer is interested in what we have. */
  readonly interested: boolean;
  /** Bytes/s it sends us (rolling ~20 s average). */
  readonly downloadRate: number;
  /** Bytes/s we send it. */
  readonly uploadRate: number;
  readonly connectedAt: number;
  /** True when we want data from it and it has sent none for snubTimeoutMs. */
  readonly snubbed: boolean;
}

export interface ChokeDecision {
  /** Peers to unchoke; everyone else is choked. */
  readonly unchoke: ReadonlySet<number>;
  /** The optimistic unchokes among them. */
  readonly optimistic: ReadonlySet<number>;
}

export class Choker {
  readonly slots: number;
  readonly rechokeIntervalMs: number;
  readonly optimisticIntervalMs: number;
  readonly snubTimeoutMs: number;
  readonly newPeerMs: number;
  readonly unchokeAll: boolean;
  readonly #random: Random;
  #regular = new Set<number>();
  #optimistic = new Set<number>();
  #lastRechoke = Number.NEGATIVE_INFINITY;
  #lastOptimistic = Number.NEGATIVE_INFINITY;

  constructor(options: ChokerOptions) {
    this.#random = options.random;
    this.slots = options.slots ?? 4;
    this.rechokeIntervalMs = options.rechokeIntervalMs ?? 10_000;
    this.optimisticIntervalMs = options.optimisticIntervalMs ?? 30_000;
    this.snubTimeoutMs = options.snubTimeoutMs ?? 60_000;
    this.newPeerMs = options.newPeerMs ?? 60_000;
    this.unchokeAll = options.unchokeAll ?? false;
  }

  /** True when a full rechoke is due at `now`. */
  due(now: number): boolean {
    return now - this.#lastRechoke >= this.rechokeIntervalMs;
  }

  /**
   * Decides who is unchoked. A full evaluation runs when due (every rechokeIntervalMs); in
   * between, departed peers lose their slots and free slots go to interested peers, best rate
   * first, without choking anyone.
   */
  decide(peers: readonly ChokerPeer[], now: number, seeding: boolean): ChokeDecision {
    if (this.unchokeAll) {
      this.#lastRechoke = now;
      const all = new Set<number>();
      for (const p of peers) if (p.interested) all.add(p.id);
      return { unchoke: all, optimistic: new Set() };
    }
    const byId = new Map(peers.map((p) => [p.id, p]));
    const rate = (p: ChokerPeer) => (seeding ? p.uploadRate : p.downloadRate);
    for (const id of this.#regular) if (!byId.has(id)) this.#regular.delete(id);
    for (const id of this.#optimistic) if (!byId.has(id)) this.#optimistic.delete(id);

    if (this.due(now)) {
      this.#lastRechoke = now;
      const candidates = peers.filter((p) => !p.snubbed).sort((a, b) => rate(b) - rate(a));
      const regular = new Set<number>();
      let interested = 0;
      for (const p of candidates) {
        if (interested >= this.slots) break;
        if (p.interested) {
          regular.add(p.id);
          interested++;
        } else if (rate(p) > 0) {
          // Better than the interested peers below it: unchoked, in case it becomes interested.
          regular.add(p.id);
        }
      }
      this.#regular = regular;
    } else {
      // Between rechokes: fill free slots only.
      let interested = 0;
      for (const id of this.#regular) if (byId.get(id)!.interested) interested++;
      if (interested < this.slots) {
        const waiting = peers
          .filter(
            (p) =>
              p.interested && !p.snubbed && !this.#regular.has(p.id) && !this.#optimistic.has(p.id),
          )
          .sort((a, b) => rate(b) - rate(a));
        for (const p of waiting) {
          if (interested >= this.slots) break;
          this.#regular.add(p.id);
          interested++;
        }
      }
    }

    // Optimistic unchokes: rotate on schedule, or fill when one left. More when snubbed.
    const snubbed = peers.filter((p) => p.snubbed).length;
    const want = 1 + Math.min(snubbed, this.slots);
    for (const id of this.#optimistic) if (this.#regular.has(id)) this.#optimistic.delete(id);
    const rotate = now - this.#lastOptimistic >= this.optimisticIntervalMs;
    if (rotate) {
      this.#lastOptimistic = now;
      this.#optimistic.clear();
    }
    if (this.#optimistic.size > want) {
      for (const id of [...this.#optimistic].slice(want)) this.#optimistic.delete(id);
    }
    while (this.#optimistic.size < want) {
      const pool = peers.filter(
        (p) => p.interested && !this.#regular.has(p.id) && !this.#optimistic.has(p.id),
      );
      if (pool.length === 0) break;
      this.#optimistic.add(this.#pickWeighted(pool, now));
    }
    return {
      unchoke: new Set([...this.#regular, ...this.#optimistic]),
      optimistic: new Set(this.#optimistic),
    };
  }

  /** A random peer, new ones (connected within newPeerMs) three times as likely. */
  #pickWeighted(pool: readonly ChokerPeer[], now: number): number {
    const weight = (p: ChokerPeer) => (now - p.connectedAt < this.newPeerMs ? 3 : 1);
    let total = 0;
    for (const p of pool) total += weight(p);
    let r = this.#random.float() * total;
    for (const p of pool) {
      r -= weight(p);
      if (r < 0) return p.id;
    }
    return pool[pool.length - 1]!.id;
  }
}
