/**
 * Participation levels as supernodes keep them: from what other nodes report about a node's
 * transfers, never from the node itself. Kazaa computed the level on the client and believed
 * it (Kazaa Lite shipped with it frozen at 1000); here a node's uploads are counted when the
 * nodes that downloaded from it say so, and its downloads when the nodes it downloaded from
 * say so.
 */
import { BoundedMap } from '@p2pkit/core';
import { Direction } from './messages.js';

/** Highest level (Kazaa's scale). */
export const MAX_LEVEL = 1000;
/** Bytes added to both sides of the ratio, so a newcomer starts at 100 ("medium"). */
const PRIOR_BYTES = 1024 * 1024;

/**
 * The level of a node that uploaded `up` bytes and downloaded `down` bytes:
 * 100 x (up + 1 MiB) / (down + 1 MiB), rounded down, capped at 1000. A newcomer has 100; a
 * node that only downloads sinks towards 0; one that uploads twice what it takes has about
 * 200. (Kazaa's exact formula was never published; this is its commonly quoted shape.)
 */
export function participationLevel(up: number, down: number): number {
  return Math.min(MAX_LEVEL, Math.floor((100 * (up + PRIOR_BYTES)) / (down + PRIOR_BYTES)));
}

/** The level of a node nobody has reported on. */
export const DEFAULT_LEVEL = participationLevel(0, 0);

export interface LedgerEntry {
  up: number;
  down: number;
}

/** Per-node byte counts, bounded (least recently touched nodes are forgotten first). */
export class Ledger {
  readonly #entries: BoundedMap<string, LedgerEntry>;

  constructor(maxNodes = 10_000) {
    this.#entries = new BoundedMap({ maxSize: maxNodes });
  }

  credit(node: string, direction: Direction, bytes: number): void {
    if (!(bytes > 0)) return;
    let e = this.#entries.get(node);
    if (!e) {
      e = { up: 0, down: 0 };
      this.#entries.set(node, e);
    }
    if (direction === Direction.uploaded) e.up += bytes;
    else e.down += bytes;
  }

  /** The node's counts, or undefined when nothing was reported. */
  get(node: string): LedgerEntry | undefined {
    return this.#entries.get(node);
  }

  level(node: string): number {
    const e = this.#entries.get(node);
    return e ? participationLevel(e.up, e.down) : DEFAULT_LEVEL;
  }

  clear(): void {
    this.#entries.clear();
  }
}
