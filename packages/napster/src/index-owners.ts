/**
 * Each user's files in the index: per owner, an open-addressing table of slots keyed by the
 * file name's bytes, so that the duplicate check (100), unshare (102), browse (211) and logout
 * need no string per file. The names themselves live in the index's arena; the tables reach
 * them through `NameBytes`.
 */

const EMPTY = 0;
const TOMBSTONE = 0xffff_ffff;

/** How the tables read a slot's name (owned by the index). */
export interface NameBytes {
  /** FNV-1a of the name of `slot` (same as `hashBytes` over its bytes). */
  hashName(slot: number): number;
  /** True when the name of `slot` is `key[from, from + n)`. */
  nameEquals(slot: number, key: Uint8Array, from: number, n: number): boolean;
}

/** One user's files: slot + 1 per entry, 0 empty, TOMBSTONE removed. */
interface OwnerFiles {
  table: Uint32Array;
  count: number;
  used: number;
}

export class OwnerTables {
  private readonly byOwner = new Map<number, OwnerFiles>();

  constructor(private readonly names: NameBytes) {}

  /** Files `owner` shares now. */
  countOf(owner: number): number {
    return this.byOwner.get(owner)?.count ?? 0;
  }

  /** The slot of `owner`'s file named `key[from, from + n)`, or -1. */
  find(owner: number, key: Uint8Array, from: number, n: number): number {
    const files = this.byOwner.get(owner);
    if (files === undefined) return -1;
    const at = this.position(files, key, from, n);
    return at < 0 ? -1 : files.table[at]! - 1;
  }

  /** Adds `slot` to `owner`'s files (its name must not be there yet). */
  insert(owner: number, slot: number): void {
    let files = this.byOwner.get(owner);
    if (files === undefined) {
      files = { table: new Uint32Array(8), count: 0, used: 0 };
      this.byOwner.set(owner, files);
    }
    this.insertInto(files, slot);
  }

  /** Takes `owner`'s file named `key[from, from + n)` out; its slot, or -1. */
  delete(owner: number, key: Uint8Array, from: number, n: number): number {
    const files = this.byOwner.get(owner);
    if (files === undefined) return -1;
    const at = this.position(files, key, from, n);
    if (at < 0) return -1;
    const slot = files.table[at]! - 1;
    files.table[at] = TOMBSTONE;
    files.count--;
    if (files.count === 0) this.byOwner.delete(owner);
    return slot;
  }

  /** Forgets `owner`; calls `each` with every slot it had. Returns how many. */
  deleteOwner(owner: number, each: (slot: number) => void): number {
    const files = this.byOwner.get(owner);
    if (files === undefined) return 0;
    this.byOwner.delete(owner);
    for (const entry of files.table) if (entry !== EMPTY && entry !== TOMBSTONE) each(entry - 1);
    return files.count;
  }

  /** Up to `limit` slots of `owner`'s files. */
  slotsOf(owner: number, limit: number): number[] {
    const out: number[] = [];
    const files = this.byOwner.get(owner);
    if (files === undefined) return out;
    for (const entry of files.table) {
      if (out.length >= limit) break;
      if (entry !== EMPTY && entry !== TOMBSTONE) out.push(entry - 1);
    }
    return out;
  }

  /** Renumbers every slot after a sweep (`remap[old]` is the new slot; all are live). */
  remap(remap: Uint32Array): void {
    for (const files of this.byOwner.values()) {
      const table = files.table;
      for (let i = 0; i < table.length; i++) {
        const entry = table[i]!;
        if (entry !== EMPTY && entry !== TOMBSTONE) table[i] = remap[entry - 1]! + 1;
      }
    }
  }

  approximateBytes(): number {
    let bytes = 0;
    for (const files of this.byOwner.values()) bytes += 120 + files.table.byteLength;
    return bytes;
  }

  /** Index in `files.table` of the entry named `key[from, from + n)`, or -1. */
  private position(files: OwnerFiles, key: Uint8Array, from: number, n: number): number {
    const table = files.table;
    const mask = table.length - 1;
    for (let i = hashBytes(key, from, n) & mask; ; i = (i + 1) & mask) {
      const entry = table[i]!;
      if (entry === EMPTY) return -1;
      if (entry !== TOMBSTONE && this.names.nameEquals(entry - 1, key, from, n)) return i;
    }
  }

  private insertInto(files: OwnerFiles, slot: number): void {
    if ((files.used + 1) * 2 > files.table.length) this.rehash(files);
    const table = files.table;
    const mask = table.length - 1;
    let i = this.names.hashName(slot) & mask;
    while (table[i] !== EMPTY && table[i] !== TOMBSTONE) i = (i + 1) & mask;
    if (table[i] === EMPTY) files.used++;
    table[i] = slot + 1;
    files.count++;
  }

  private rehash(files: OwnerFiles): void {
    const old = files.table;
    // Tombstones go; the table doubles only when the live entries need it.
    let size = 8;
    while ((files.count + 1) * 2 > size) size *= 2;
    files.table = new Uint32Array(size);
    files.count = 0;
    files.used = 0;
    for (const entry of old) {
      if (entry !== EMPTY && entry !== TOMBSTONE) this.insertInto(files, entry - 1);
    }
  }
}

/** FNV-1a over `bytes[from, from + n)`. */
export function hashBytes(bytes: Uint8Array, from: number, n: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < from + n; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}
