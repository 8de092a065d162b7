/**
 * The index's entries: each file's reply fields as sent (`"<name>" <md5> <size> <bitrate>
 * <frequency> <duration>`), in one arena of bytes, interned: files whose fields are byte for
 * byte the same (the same song passed from user to user keeps its name, MD5 and size, which is
 * how Napster's files spread) share one entry with a count of users. A search's results are
 * mostly such copies, so their bytes are read from a few places that stay in cache, and the
 * arena holds each distinct file once.
 *
 * An entry: u16 LE fields length, u16 LE name length, u32 LE reference count, then the fields.
 */

import { viewOf } from './copy-bytes.js';
import { hashBytes } from './index-owners.js';

const HEAD = 8;
const EMPTY = 0;
const TOMBSTONE = 0xffff_ffff;
/** A compaction's mark on an old entry already moved (its count then holds the new place). */
const MOVED = 0xffff;

export class EntryArena {
  /** The arena (read directly on the search path; replaced when it grows), and a view of it. */
  bytes = new Uint8Array(1 << 16);
  view = viewOf(this.bytes);
  private used = 0;
  /** Bytes of entries no file uses any more. */
  private garbage = 0;
  /** Bytes of entries in use. */
  private live = 0;
  /** Open addressing on the fields' bytes: entry offset + 1, EMPTY or TOMBSTONE. */
  private table = new Uint32Array(1024);
  private tableUsed = 0;
  private distinct = 0;

  /** Distinct entries. */
  get entries(): number {
    return this.distinct;
  }

  get byteLength(): number {
    return this.bytes.byteLength + this.table.byteLength;
  }

  /**
   * Room at the tail for an entry of up to `n` bytes of fields; returns where its fields go.
   * `relocate` is called when live entries move (see `compact`).
   */
  reserve(n: number, relocate: (move: (offset: number) => number) => void): number {
    if (this.used + HEAD + n > this.bytes.length) {
      if (this.garbage > this.live && this.garbage > 1 << 20) this.compact(relocate);
      if (this.used + HEAD + n > this.bytes.length) {
        const next = new Uint8Array(
          Math.max(this.used + HEAD + n, Math.ceil(this.bytes.length * 1.5)),
        );
        next.set(this.bytes.subarray(0, this.used));
        this.bytes = next;
        this.view = viewOf(next);
      }
    }
    return this.used + HEAD;
  }

  /**
   * Keeps the entry whose fields were written at the tail (`fields` bytes, the name `name`
   * bytes of them after the opening quote): returns the offset of the identical entry already
   * held (one more user of it), or of this one.
   */
  commit(fields: number, name: number): number {
    const at = this.used;
    const bytes = this.bytes;
    const hash = hashBytes(bytes, at + HEAD, fields);
    const table = this.table;
    const mask = table.length - 1;
    let free = -1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = table[i]!;
      if (entry === EMPTY) {
        if (free < 0) free = i;
        break;
      }
      if (entry === TOMBSTONE) {
        if (free < 0) free = i;
        continue;
      }
      const other = entry - 1;
      if (this.fieldsLength(other) === fields && same(bytes, other + HEAD, at + HEAD, fields)) {
        this.setRefs(other, this.refs(other) + 1);
        return other;
      }
    }
    bytes[at] = fields & 0xff;
    bytes[at + 1] = fields >>> 8;
    bytes[at + 2] = name & 0xff;
    bytes[at + 3] = name >>> 8;
    this.setRefs(at, 1);
    if (table[free] === EMPTY) this.tableUsed++;
    table[free] = at + 1;
    this.distinct++;
    this.used += HEAD + fields;
    this.live += HEAD + fields;
    if (this.tableUsed * 2 > table.length) this.rehash();
    return at;
  }

  /** One user fewer of the entry at `at`; the last one frees it. */
  release(at: number): void {
    const refs = this.refs(at) - 1;
    this.setRefs(at, refs);
    if (refs > 0) return;
    const table = this.table;
    const mask = table.length - 1;
    const n = this.fieldsLength(at);
    for (let i = hashBytes(this.bytes, at + HEAD, n) & mask; ; i = (i + 1) & mask) {
      if (table[i] === EMPTY) break;
      if (table[i] === at + 1) {
        table[i] = TOMBSTONE;
        break;
      }
    }
    this.distinct--;
    this.garbage += HEAD + n;
    this.live -= HEAD + n;
  }

  /** Length of the fields of the entry at `at`. */
  fieldsLength(at: number): number {
    return this.bytes[at]! | (this.bytes[at + 1]! << 8);
  }

  /** Length of the name of the entry at `at`. */
  nameLength(at: number): number {
    return this.bytes[at + 2]! | (this.bytes[at + 3]! << 8);
  }

  /** Where the fields of the entry at `at` start (its opening quote). */
  fieldsAt(at: number): number {
    return at + HEAD;
  }

  /**
   * Copies the entries in use to a fresh arena: `relocate` hands every user of the old offsets
   * a function giving the new ones (each live file's entry, once per file).
   */
  private compact(relocate: (move: (offset: number) => number) => void): void {
    const old = this.bytes;
    const next = new Uint8Array(Math.max(1 << 16, Math.ceil(this.live * 1.5)));
    let used = 0;
    relocate((at) => {
      if ((old[at]! | (old[at + 1]! << 8)) === MOVED) {
        return (
          (old[at + 4]! | (old[at + 5]! << 8) | (old[at + 6]! << 16) | (old[at + 7]! << 24)) >>> 0
        );
      }
      const n = HEAD + (old[at]! | (old[at + 1]! << 8));
      next.set(old.subarray(at, at + n), used);
      // The old copy is dropped: it now says where the entry went.
      old[at] = MOVED & 0xff;
      old[at + 1] = MOVED >>> 8;
      old[at + 4] = used & 0xff;
      old[at + 5] = (used >>> 8) & 0xff;
      old[at + 6] = (used >>> 16) & 0xff;
      old[at + 7] = used >>> 24;
      used += n;
      return used - n;
    });
    this.bytes = next;
    this.view = viewOf(next);
    this.used = used;
    this.live = used;
    this.garbage = 0;
    this.rehash();
  }

  /**
   * Rebuilds the table from the arena's entries in use (no tombstones), doubling it when
   * needed: entries lie one after another, so a walk finds them all.
   */
  private rehash(): void {
    let size = 1024;
    while (this.distinct * 4 > size) size *= 2;
    const table = new Uint32Array(size);
    const mask = size - 1;
    const bytes = this.bytes;
    for (let at = 0; at < this.used; at += HEAD + this.fieldsLength(at)) {
      if (this.refs(at) === 0) continue;
      let i = hashBytes(bytes, at + HEAD, this.fieldsLength(at)) & mask;
      while (table[i] !== EMPTY) i = (i + 1) & mask;
      table[i] = at + 1;
    }
    this.table = table;
    this.tableUsed = this.distinct;
  }

  private refs(at: number): number {
    const b = this.bytes;
    return (b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16) | (b[at + 7]! << 24)) >>> 0;
  }

  private setRefs(at: number, refs: number): void {
    const b = this.bytes;
    b[at + 4] = refs & 0xff;
    b[at + 5] = (refs >>> 8) & 0xff;
    b[at + 6] = (refs >>> 16) & 0xff;
    b[at + 7] = refs >>> 24;
  }
}

function same(bytes: Uint8Array, a: number, b: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}
