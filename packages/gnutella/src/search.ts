/** A search in progress and the hits it collects. */
import { Emitter } from '@p2pkit/core';
import type { QueryHit } from './descriptors.js';
import type { Guid } from './guid.js';

/** Results one search keeps; later ones are dropped (a servent answers with at most ~hundreds). */
export const MAX_HITS_PER_SEARCH = 10_000;

/** One result of a search, flattened for display and scripting. */
export interface SearchHit {
  readonly name: string;
  readonly size: number;
  readonly index: number;
  readonly host: string;
  readonly port: number;
  readonly urn?: string;
  /** Hex servent GUID of the responder. */
  readonly serventId: Guid;
  /** The responder is firewalled: download through a Push. */
  readonly push: boolean;
  readonly vendor?: string;
  /** Hops the Query Hit travelled. */
  readonly hops: number;
}

export interface SearchEvents {
  hit: [hit: SearchHit, queryHit: QueryHit];
}

/** A search in progress: hits arrive as `hit` events and collect in `hits`. */
export class Search extends Emitter<SearchEvents> {
  readonly hits: SearchHit[] = [];
  private active = true;

  constructor(
    readonly guid: Guid,
    readonly criteria: string,
    private readonly onStop: (s: Search) => void,
  ) {
    super();
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Stops collecting hits (late ones are dropped as for a query we never sent). */
  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.onStop(this);
  }

  /** @internal */
  deliver(hit: SearchHit, queryHit: QueryHit): void {
    // A flood of hits cannot grow a search without bound.
    if (!this.active || this.hits.length >= MAX_HITS_PER_SEARCH) return;
    this.hits.push(hit);
    this.emit('hit', hit, queryHit);
  }
}
