/**
 * The routing table R (paper §2.1): row l holds, for each digit value d, a node whose id shares
 * the first l digits with this node's and has d as digit l. The column of this node's own digit
 * stays empty (that slot would be this node). Rows are allocated when first filled: about
 * ⌈log_{2^b} N⌉ of the ceil(m/b) possible rows are ever populated.
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
  /** rows[l][d]; a row is undefined until something is put in it. */
  readonly rows: ((Peer | undefined)[] | undefined)[];
  /** rtts[l][d]: measured round-trip time in ms, NaN when unknown. */
  readonly rtts: (Float64Array | undefined)[];
  #size = 0;

  constructor(self: Peer, space: IdSpace) {
    this.self = self;
    this.space = space;
    this.columns = 1 << space.digitBits;
    this.rows = new Array(space.digits).fill(undefined);
    this.rtts = new Array(space.digits).fill(undefined);
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** Index of the last row holding an entry, plus one. */
  get height(): number {
    for (let l = this.rows.length - 1; l >= 0; l--) {
      const row = this.rows[l];
      if (row?.some((p) => p !== undefined)) return l + 1;
    }
    return 0;
  }

  get(row: number, column: number): Peer | undefined {
    return this.rows[row]?.[column];
  }

  rtt(row: number, column: number): number {
    return this.rtts[row]?.[column] ?? Number.NaN;
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
    const { row, column } = slot;
    let entries = this.rows[row];
    let times = this.rtts[row];
    if (entries === undefined || times === undefined) {
      entries = new Array(this.columns).fill(undefined);
      times = new Float64Array(this.columns).fill(Number.NaN);
      this.rows[row] = entries;
      this.rtts[row] = times;
    }
    const current = entries[column];
    if (current !== undefined) {
      if (current.key === peer.key) {
        if (!Number.isNaN(rtt)) times[column] = rtt;
        return false;
      }
      // A measured candidate beats an entry never measured, or one measured farther away.
      const old = times[column]!;
      if (!(proximity && (rtt < old || (Number.isNaN(old) && !Number.isNaN(rtt))))) return false;
    } else {
      this.#size++;
    }
    entries[column] = peer;
    times[column] = rtt;
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
    const entries = this.rows[slot.row];
    if (entries?.[slot.column]?.key !== peer.key) return undefined;
    entries[slot.column] = undefined;
    this.rtts[slot.row]![slot.column] = Number.NaN;
    this.#size--;
    return slot;
  }

  /** Every entry, row by row. */
  entries(): Peer[] {
    const out: Peer[] = [];
    for (const row of this.rows) {
      if (row === undefined) continue;
      for (const p of row) if (p !== undefined) out.push(p);
    }
    return out;
  }

  /** Rows first..last that hold an entry, as copies (what STATE and JOIN_STATE send). */
  filledRows(first: number, last: number): { index: number; entries: (Peer | undefined)[] }[] {
    const out: { index: number; entries: (Peer | undefined)[] }[] = [];
    for (let l = first; l <= last && l < this.rows.length; l++) {
      const row = this.rows[l];
      if (row?.some((p) => p !== undefined)) out.push({ index: l, entries: [...row] });
    }
    return out;
  }

  /** Row `l` as a list of columns (a copy; empty columns undefined). */
  row(l: number): (Peer | undefined)[] {
    const row = this.rows[l];
    return row === undefined ? new Array(this.columns).fill(undefined) : [...row];
  }
}
