/**
 * The routing table R (paper §2.1): row l holds, for each digit value d, a node whose id shares
 * the first l digits with this node's and has d as digit l. The column of this node's own digit
 * stays empty (that slot would be this node). The table is one flat array, row after row, grown
 * a row at a time when a deeper row is first filled: about ⌈log_{2^b} N⌉ of the ceil(m/b)
 * possible rows are ever populated, and a lookup of R[l][d] is one index into it (the routing
 * hot path reads it at every hop).
 *
 * Each entry keeps the round-trip time this node measured to it (NaN: not measured), so that
 * proximity neighbour selection can keep the closest qualifying node.
 */
import type { IdSpace } from '@p2pkit/core';
import type { Peer } from './peer.js';

export interface Slot {
  row: number;
  column: number;
}

export class RoutingTable {
  readonly self: Peer;
  readonly space: IdSpace;
  readonly columns: number;
  /** log2(columns): R[l][d] is cells[(l << shift) | d]. */
  readonly #shift: number;
  /** The entries, row after row; rows beyond the last allocated one are empty. */
  #cells: (Peer | undefined)[] = [];
  /** Measured round-trip time of each cell in ms, NaN when unknown. */
  #rtts: Float64Array = new Float64Array(0);
  #size = 0;

  constructor(self: Peer, space: IdSpace) {
    this.self = self;
    this.space = space;
    this.#shift = space.digitBits;
    this.columns = 1 << space.digitBits;
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** Index of the last row holding an entry, plus one. */
  get height(): number {
    const cells = this.#cells;
    for (let i = cells.length - 1; i >= 0; i--) {
      if (cells[i] !== undefined) return (i >>> this.#shift) + 1;
    }
    return 0;
  }

  get(row: number, column: number): Peer | undefined {
    const i = (row << this.#shift) | column;
    const cells = this.#cells;
    return i < cells.length ? cells[i] : undefined;
  }

  rtt(row: number, column: number): number {
    const i = (row << this.#shift) | column;
    return i < this.#rtts.length ? this.#rtts[i]! : Number.NaN;
  }

  /** The slot `peer` belongs in (undefined for a peer with this node's id). */
  slotOf(peer: Peer): Slot | undefined {
    const s = this.space;
    const row = s.sharedPrefixLength(this.self.id, peer.id);
    if (row >= s.digits) return undefined;
    return { row, column: s.digit(peer.id, row) };
  }

  /**
   * Offers a peer with its measured round-trip time (NaN: unknown). An empty slot takes it; an
   * occupied one takes it only when `proximity` is on and it is measured closer than the
   * current entry (or the current entry was never measured). Returns whether the table changed.
   */
  consider(peer: Peer, rtt: number, proximity: boolean): boolean {
    const slot = this.slotOf(peer);
    if (slot === undefined) return false;
    const i = (slot.row << this.#shift) | slot.column;
    if (i >= this.#cells.length) this.#grow(slot.row + 1);
    const cells = this.#cells;
    const times = this.#rtts;
    const current = cells[i];
    if (current !== undefined) {
      if (current.key === peer.key) {
        if (!Number.isNaN(rtt)) times[i] = rtt;
        return false;
      }
      // A measured candidate beats an entry never measured, or one measured farther away.
      const old = times[i]!;
      if (!(proximity && (rtt < old || (Number.isNaN(old) && !Number.isNaN(rtt))))) return false;
    } else {
      this.#size++;
    }
    cells[i] = peer;
    times[i] = rtt;
    return true;
  }

  /** Whether `peer` is the entry of its slot. */
  has(peer: Peer): boolean {
    const slot = this.slotOf(peer);
    return slot !== undefined && this.get(slot.row, slot.column)?.key === peer.key;
  }

  /** Removes `peer` if it is an entry; returns the slot it held. */
  remove(peer: Peer): Slot | undefined {
    const slot = this.slotOf(peer);
    if (slot === undefined) return undefined;
    if (this.get(slot.row, slot.column)?.key !== peer.key) return undefined;
    const i = (slot.row << this.#shift) | slot.column;
    this.#cells[i] = undefined;
    this.#rtts[i] = Number.NaN;
    this.#size--;
    return slot;
  }

  /** Every entry, row by row. */
  entries(): Peer[] {
    const out: Peer[] = [];
    for (const p of this.#cells) if (p !== undefined) out.push(p);
    return out;
  }

  /** Rows first..last that hold an entry, as copies (what STATE and JOIN_STATE send). */
  filledRows(first: number, last: number): { index: number; entries: (Peer | undefined)[] }[] {
    const out: { index: number; entries: (Peer | undefined)[] }[] = [];
    const rows = this.#cells.length >>> this.#shift;
    for (let l = first; l <= last && l < rows; l++) {
      const row = this.row(l);
      if (row.some((p) => p !== undefined)) out.push({ index: l, entries: row });
    }
    return out;
  }

  /** Row `l` as a list of columns (a copy; empty columns undefined). */
  row(l: number): (Peer | undefined)[] {
    const from = l << this.#shift;
    if (from >= this.#cells.length) return new Array(this.columns).fill(undefined);
    return this.#cells.slice(from, from + this.columns);
  }

  /** Allocates rows up to `rows` (empty cells, unknown round-trip times). */
  #grow(rows: number): void {
    const n = rows << this.#shift;
    const cells = this.#cells;
    while (cells.length < n) cells.push(undefined);
    const times = new Float64Array(n).fill(Number.NaN);
    times.set(this.#rtts);
    this.#rtts = times;
  }
}
