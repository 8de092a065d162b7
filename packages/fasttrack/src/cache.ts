/**
 * The supernodes a node knows of, from refresh lists, HELLO replies and its own sessions:
 * where to attach, where to go when its parent vanishes, what to tell others. Bounded to the
 * size of a refresh list (200) plus a little; the stalest entries go first.
 */
import { type Address, formatAddress, type Random } from '@p2pkit/core';
import { MAX_SUPERNODE_LIST } from './messages.js';
import type { SupernodeEntry } from './wire.js';

interface Known {
  address: Address;
  /** Children as a percentage of target. */
  load: number;
  /** Local time it was last heard of. */
  seenAt: number;
  /** Local time until which it is not tried again (it refused or failed). */
  avoidUntil: number;
}

export class SupernodeCache {
  readonly #known = new Map<string, Known>();
  readonly #max: number;

  constructor(max = MAX_SUPERNODE_LIST + 56) {
    this.#max = max;
  }

  get size(): number {
    return this.#known.size;
  }

  has(address: Address): boolean {
    return this.#known.has(formatAddress(address));
  }

  /** Records what someone said about a supernode (`ageMs` ago); newer news wins. */
  learn(address: Address, load: number, ageMs: number, now: number): void {
    const key = formatAddress(address);
    const seenAt = now - ageMs;
    const old = this.#known.get(key);
    if (old) {
      if (seenAt >= old.seenAt) {
        old.seenAt = seenAt;
        old.load = load;
      }
      return;
    }
    this.#known.set(key, { address, load, seenAt, avoidUntil: 0 });
    if (this.#known.size > this.#max) this.#dropStalest();
  }

  /** Merges a refresh list received now. */
  merge(list: readonly SupernodeEntry[], now: number, self?: Address): void {
    const me = self ? formatAddress(self) : '';
    for (const e of list) {
      if (formatAddress(e.address) === me) continue;
      this.learn(e.address, e.load, e.ageS * 1000, now);
    }
  }

  forget(address: Address): void {
    this.#known.delete(formatAddress(address));
  }

  /** Do not try `address` again before `until`. */
  avoid(address: Address, until: number): void {
    const k = this.#known.get(formatAddress(address));
    if (k) k.avoidUntil = until;
  }

  /**
   * Supernodes to try, least loaded first (ties broken at random, so that a crowd of nodes
   * reading the same list does not all pick the same one), skipping those avoided.
   */
  candidates(now: number, random: Random, exclude: ReadonlySet<string> = new Set()): Address[] {
    const list = [...this.#known.entries()]
      .filter(([key, k]) => k.avoidUntil <= now && !exclude.has(key))
      .map(([, k]) => ({ k, r: random.float() }));
    list.sort((a, b) => bucket(a.k.load) - bucket(b.k.load) || a.r - b.r);
    return list.map((x) => x.k.address);
  }

  /** The freshest entries as a refresh list (ages relative to now). */
  list(now: number, max = MAX_SUPERNODE_LIST): SupernodeEntry[] {
    return [...this.#known.values()]
      .sort((a, b) => b.seenAt - a.seenAt)
      .slice(0, max)
      .map((k) => ({
        address: k.address,
        load: k.load,
        ageS: Math.max(0, Math.floor((now - k.seenAt) / 1000)),
      }));
  }

  /** Mean load (percent of target) of the entries heard of since `since`; undefined if none. */
  meanLoad(since: number): number | undefined {
    let n = 0;
    let sum = 0;
    for (const k of this.#known.values()) {
      if (k.seenAt < since) continue;
      n++;
      sum += k.load;
    }
    return n > 0 ? sum / n : undefined;
  }

  /** Fresh entries (heard of since `since`) below `load` percent, least loaded first. */
  lighterThan(load: number, since: number): SupernodeEntry[] {
    return [...this.#known.values()]
      .filter((k) => k.seenAt >= since && k.load < load)
      .sort((a, b) => a.load - b.load)
      .map((k) => ({ address: k.address, load: k.load, ageS: 0 }));
  }

  clear(): void {
    this.#known.clear();
  }

  #dropStalest(): void {
    let worst: string | undefined;
    let at = Number.POSITIVE_INFINITY;
    for (const [key, k] of this.#known) {
      if (k.seenAt < at) {
        at = k.seenAt;
        worst = key;
      }
    }
    if (worst !== undefined) this.#known.delete(worst);
  }
}

/** Loads compared in steps of 10%: close loads count as equal, so randomness spreads nodes. */
function bucket(load: number): number {
  return Math.floor(load / 10);
}
