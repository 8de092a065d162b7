/**
 * The server's file index: every shared file of every logged-in user, searchable by word.
 * Designed for memory (the goal is ≤ 300 bytes per file at 10^6 files):
 *
 * - a file is a slot number; its fields live in typed-array columns (48 bytes a file), its name
 *   as UTF-8 bytes in one arena (no string object per file), its MD5 packed into 16 bytes;
 * - the inverted index maps a word to its files: a bare slot number when one file has the word
 *   (most words), a small array, then a typed array as the list grows;
 * - each user's files are an open-addressing table of slots keyed by the name's bytes (duplicate
 *   check, unshare, browse and logout without a string per file).
 *
 * Slots are handed out in increasing order and never reused directly, so every word list is
 * sorted: a search walks the shortest list and finds the other words by galloping through
 * theirs, never reading a name (scanning names costs ~0.5 µs a candidate in branch misses).
 * Removal is lazy, as OpenNap's: a removed file is marked dead (searches skip it); once a
 * quarter of the slots are dead, a sweep compacts the slots in order (records moved down, lists
 * and user tables renumbered, still sorted): one pass, amortised over that many removals.
 */
import { lowerByte, tokenize } from './tokens.js';

/** What a user shares about one file (message 100). */
export interface FileRecord {
  filename: string;
  md5: string;
  size: number;
  bitrate: number;
  frequency: number;
  duration: number;
}

/** The filters of a search, in index terms (see parseSearchQuery for the grammar). */
export interface SearchPlan {
  /** Words every result must have (lower case, as `tokenize` makes them). */
  words: readonly string[];
  /** Words no result may have. */
  excludes?: readonly string[];
  /** Slot owner whose files are left out (OpenNap never returns your own files). */
  skipOwner?: number;
  bitrate?: Bounds;
  frequency?: Bounds;
  size?: Bounds;
  duration?: Bounds;
  /** Accepts or refuses an owner (for LINESPEED, a property of the user, not the file). */
  ownerFilter?: (owner: number) => boolean;
}

export interface Bounds {
  min?: number;
  max?: number;
}

/** Why `add` refused a file. */
export type AddRefusal = 'duplicate' | 'too long' | 'out of range';

export interface FileIndexOptions {
  /** Longest file name in UTF-8 bytes (default 256, OpenNap's _POSIX_PATH_MAX check). */
  maxFilenameBytes?: number;
}

/** Lists switch from a plain array to a typed array past this length. */
const SMALL_LIST = 32;
const EMPTY_SLOT = 0;
/** u32 words per slot record. */
const STRIDE = 12;
const ALIVE = 1 << 16;
const PACKED = 1 << 17;
const LENGTH_MASK = 0xffff;
const TOMBSTONE = 0xffff_ffff;
/** A slot that a sweep drops. */
const DEAD = 0xffff_ffff;

/** A word's files once there are many: a growable Uint32Array and its length. */
interface BigList {
  ids: Uint32Array;
  n: number;
}
type Posting = number | number[] | BigList;

/** One user's files: open addressing on the name bytes, storing slot + 1. */
interface OwnerFiles {
  table: Uint32Array;
  count: number;
  used: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Where `warm` leaves its reads, so that they are not optimised away. */
let warmed = 0;

export class FileIndex {
  readonly maxFilenameBytes: number;
  private capacity = 0;
  /**
   * One 48-byte record per slot, so that a search touches one cache line per candidate (random
   * slots of a 10^6-file index miss the cache: separate columns cost a miss each). As u32 words:
   * 0 name offset, 1 name length | ALIVE | PACKED, 2 owner, 3 bitrate, 4 frequency, 5 duration,
   * 6-7 size (f64), 8-11 MD5 (16 bytes, when PACKED).
   */
  private rec = new Uint32Array(0);
  private recF64 = new Float64Array(0);
  private recU8 = new Uint8Array(0);
  /** MD5 fields that were not 32 hex digits, by slot. */
  private md5Other = new Map<number, string>();
  private arena = new Uint8Array(1 << 16);
  private arenaUsed = 0;
  private arenaGarbage = 0;
  /** The next slot handed out (slots only grow until a sweep compacts them). */
  private nextSlot = 0;
  /** Slots removed since the last sweep (still listed in word lists, marked dead). */
  private dead = 0;
  private readonly words = new Map<string, Posting>();
  private readonly byOwner = new Map<number, OwnerFiles>();
  private liveFiles = 0;
  private liveBytes = 0;
  /** Sum of live file sizes in bytes. */
  private totalSize = 0;
  /** Search scratch: each list's slots, length and cursor (see `search`). */
  private listIds: Uint32Array[] = [];
  private listN = new Int32Array(0);
  private listAt = new Int32Array(0);
  private readonly smallLists: Uint32Array[] = [];

  constructor(options: FileIndexOptions = {}) {
    this.maxFilenameBytes = options.maxFilenameBytes ?? 256;
  }

  /** Files shared now. */
  get files(): number {
    return this.liveFiles;
  }

  /** Distinct words indexed. */
  get vocabulary(): number {
    return this.words.size;
  }

  /** Total bytes of the files shared now. */
  get librarySize(): number {
    return this.totalSize;
  }

  /** Files `owner` shares now. */
  countOf(owner: number): number {
    return this.byOwner.get(owner)?.count ?? 0;
  }

  /**
   * Indexes one file of `owner`; returns its slot, or why it was refused. Numbers must be safe
   * integers; bitrate, frequency and duration at most 2^32 - 1.
   */
  add(owner: number, file: FileRecord): number | AddRefusal {
    const { bitrate, frequency, duration, size } = file;
    if (!(bitrate <= 0xffff_ffff && frequency <= 0xffff_ffff && duration <= 0xffff_ffff)) {
      return 'out of range';
    }
    // Encode the name at the arena's tail; it stays there only if the file is accepted.
    const max = this.maxFilenameBytes;
    if (file.filename.length > max) return 'too long';
    this.reserveArena(max * 3);
    const at = this.arenaUsed;
    const { written } = encoder.encodeInto(file.filename, this.arena.subarray(at, at + max * 3));
    if (written > max) return 'too long';
    let files = this.byOwner.get(owner);
    if (files !== undefined && this.find(files, this.arena, at, written) >= 0) return 'duplicate';

    const slot = this.allocSlot();
    this.arenaUsed += written;
    const r = slot * STRIDE;
    const rec = this.rec;
    rec[r] = at;
    rec[r + 1] = written | ALIVE;
    rec[r + 2] = owner;
    rec[r + 3] = bitrate;
    rec[r + 4] = frequency;
    rec[r + 5] = duration;
    this.recF64[(r + 6) >>> 1] = size;
    this.setMd5(slot, file.md5);
    if (files === undefined) {
      files = { table: new Uint32Array(8), count: 0, used: 0 };
      this.byOwner.set(owner, files);
    }
    this.insertOwned(files, slot);
    for (const word of tokenize(this.arena, at, at + written)) this.post(word, slot);
    this.liveFiles++;
    this.liveBytes += written;
    this.totalSize += size;
    return slot;
  }

  /** Removes `owner`'s file of that name; false when it shares no such file. */
  remove(owner: number, filename: string): boolean {
    const files = this.byOwner.get(owner);
    if (files === undefined) return false;
    const bytes = encoder.encode(filename);
    const at = this.find(files, bytes, 0, bytes.length);
    if (at < 0) return false;
    const slot = files.table[at]! - 1;
    files.table[at] = TOMBSTONE;
    files.count--;
    this.kill(slot);
    if (files.count === 0) this.byOwner.delete(owner);
    this.maybeSweep();
    return true;
  }

  /** Removes every file of `owner` (logout); returns how many. */
  removeOwner(owner: number): number {
    const files = this.byOwner.get(owner);
    if (files === undefined) return 0;
    this.byOwner.delete(owner);
    for (const entry of files.table) {
      if (entry !== EMPTY_SLOT && entry !== TOMBSTONE) this.kill(entry - 1);
    }
    this.maybeSweep();
    return files.count;
  }

  /** The slots of `owner`'s files (browse), at most `limit`. */
  slotsOf(owner: number, limit = Number.POSITIVE_INFINITY): number[] {
    const out: number[] = [];
    const files = this.byOwner.get(owner);
    if (files === undefined) return out;
    for (const entry of files.table) {
      if (out.length >= limit) break;
      if (entry !== EMPTY_SLOT && entry !== TOMBSTONE) out.push(entry - 1);
    }
    return out;
  }

  /** The slot of `owner`'s file of that name, or -1. */
  slotOf(owner: number, filename: string): number {
    const files = this.byOwner.get(owner);
    if (files === undefined) return -1;
    const bytes = encoder.encode(filename);
    const at = this.find(files, bytes, 0, bytes.length);
    return at < 0 ? -1 : files.table[at]! - 1;
  }

  /**
   * Fills `out` with up to `limit` matching slots, newest first along the rarest word's list;
   * returns how many. With no words nothing matches (OpenNap refuses such a search).
   */
  search(plan: SearchPlan, limit: number, out: Uint32Array): number {
    const { words } = plan;
    const excludes = plan.excludes ?? NO_WORDS;
    const k = words.length;
    if (k === 0 || limit <= 0) return 0;
    // The lists go into per-index scratch (no allocation per search), all as Uint32Arrays so
    // that the loop below reads one kind of array: words first, rarest first, then excludes.
    this.reserveLists(k + excludes.length);
    for (let j = 0; j < k; j++) {
      const posting = this.words.get(words[j]!);
      if (posting === undefined) return 0;
      this.loadList(j, posting);
    }
    const ids = this.listIds;
    const ns = this.listN;
    const ats = this.listAt;
    for (let a = 1; a < k; a++) {
      for (let b = a; b > 0 && ns[b]! < ns[b - 1]!; b--) {
        const t = ids[b]!;
        ids[b] = ids[b - 1]!;
        ids[b - 1] = t;
        const tn = ns[b]!;
        ns[b] = ns[b - 1]!;
        ns[b - 1] = tn;
      }
    }
    let e = k;
    for (const word of excludes) {
      const posting = this.words.get(word);
      if (posting !== undefined) this.loadList(e++, posting);
    }
    for (let j = 0; j < e; j++) ats[j] = ns[j]! - 1;
    const driver = ids[0]!;
    const max = Math.min(limit, out.length);
    let hits = 0;
    // Candidates come in decreasing order along the rarest list, so each cursor only moves
    // down (galloping) and a list is read about once whatever its length; once a required
    // list has nothing left below the candidate, no later candidate can match.
    candidates: for (let i = ns[0]! - 1; i >= 0 && hits < max; i--) {
      const slot = driver[i]!;
      for (let j = 1; j < k; j++) {
        const at = seek(ids[j]!, ats[j]!, slot);
        if (at < 0) break candidates;
        ats[j] = at;
        if (ids[j]![at] !== slot) continue candidates;
      }
      for (let j = k; j < e; j++) {
        const at = seek(ids[j]!, ats[j]!, slot);
        ats[j] = at;
        if (at >= 0 && ids[j]![at] === slot) continue candidates;
      }
      if (this.accepts(slot, plan)) out[hits++] = slot;
    }
    return hits;
  }

  /** Room for `n` lists in the search scratch. */
  private reserveLists(n: number): void {
    if (this.listN.length >= n) return;
    const size = Math.max(n, this.listN.length * 2);
    this.listN = new Int32Array(size);
    this.listAt = new Int32Array(size);
    while (this.smallLists.length < size) this.smallLists.push(new Uint32Array(SMALL_LIST));
  }

  /** Puts a word's list at position `j` of the search scratch. */
  private loadList(j: number, posting: Posting): void {
    if (typeof posting === 'number') {
      const ids = this.smallLists[j]!;
      ids[0] = posting;
      this.listIds[j] = ids;
      this.listN[j] = 1;
    } else if (Array.isArray(posting)) {
      const ids = this.smallLists[j]!;
      for (let i = 0; i < posting.length; i++) ids[i] = posting[i]!;
      this.listIds[j] = ids;
      this.listN[j] = posting.length;
    } else {
      this.listIds[j] = posting.ids;
      this.listN[j] = posting.n;
    }
  }

  /** The record of a live slot. */
  file(slot: number): FileRecord {
    const r = slot * STRIDE;
    const rec = this.rec;
    const at = rec[r]!;
    return {
      filename: decoder.decode(this.arena.subarray(at, at + (rec[r + 1]! & LENGTH_MASK))),
      md5: this.md5Of(slot),
      size: this.recF64[(r + 6) >>> 1]!,
      bitrate: rec[r + 3]!,
      frequency: rec[r + 4]!,
      duration: rec[r + 5]!,
    };
  }

  /** Owner of a live slot. */
  ownerOf(slot: number): number {
    return this.rec[slot * STRIDE + 2]!;
  }

  /** True while `slot` holds a shared file. */
  isLive(slot: number): boolean {
    return slot < this.nextSlot && (this.rec[slot * STRIDE + 1]! & ALIVE) !== 0;
  }

  /**
   * Reads the first name byte of each of `slots[0, n)` (into a field nobody reads): called
   * before writing a search's results, so that the names' cache misses (random places in a
   * large arena) overlap in one tight loop instead of stalling each `writeFields` in turn
   * (about a quarter of the encoding time on 10^6 files).
   */
  warm(slots: Uint32Array, n: number): void {
    const rec = this.rec;
    const arena = this.arena;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += arena[rec[slots[i]! * STRIDE]!]!;
    warmed = (warmed + sum) | 0;
  }

  /** Most bytes `writeFields` may write for one file. */
  get maxFieldsBytes(): number {
    return this.maxFilenameBytes + 2 + 1 + 64 + 5 * 17;
  }

  /**
   * Writes `"<filename>" <md5> <size> <bitrate> <frequency> <duration>` (the common part of
   * messages 201 and 212) at `buf[pos]`; returns the end. `buf` needs `maxFieldsBytes` of room.
   */
  writeFields(slot: number, buf: Uint8Array, pos: number): number {
    const r = slot * STRIDE;
    const rec = this.rec;
    const at = rec[r]!;
    const n = rec[r + 1]! & LENGTH_MASK;
    buf[pos++] = 0x22;
    // A byte loop: a subarray view per result costs more than copying ~40 bytes.
    const arena = this.arena;
    for (let i = 0; i < n; i++) buf[pos + i] = arena[at + i]!;
    pos += n;
    buf[pos++] = 0x22;
    buf[pos++] = 0x20;
    if ((rec[r + 1]! & PACKED) !== 0) {
      const base = (r + 8) * 4;
      for (let i = 0; i < 16; i++) {
        const b = this.recU8[base + i]!;
        buf[pos++] = HEX[b >>> 4]!;
        buf[pos++] = HEX[b & 15]!;
      }
    } else {
      const { written } = encoder.encodeInto(this.md5Of(slot), buf.subarray(pos, pos + 64));
      pos += written;
    }
    buf[pos++] = 0x20;
    pos = writeDecimal(this.recF64[(r + 6) >>> 1]!, buf, pos);
    buf[pos++] = 0x20;
    pos = writeDecimal(rec[r + 3]!, buf, pos);
    buf[pos++] = 0x20;
    pos = writeDecimal(rec[r + 4]!, buf, pos);
    buf[pos++] = 0x20;
    return writeDecimal(rec[r + 5]!, buf, pos);
  }

  /**
   * An estimate of the whole index's memory from its structures: records, arena, word lists,
   * the word map (entries and keys, at V8's usual sizes) and the per-user tables. O(words).
   */
  approximateBytes(): number {
    let bytes = this.rec.byteLength + this.arena.byteLength;
    for (const [word, posting] of this.words) {
      // Map entry (~3 words) + a one-byte string (header 16, rounded to 8).
      bytes += 24 + 16 + ((word.length + 7) & ~7);
      if (typeof posting === 'number') continue;
      if (Array.isArray(posting)) bytes += 32 + 8 * posting.length;
      else bytes += 200 + posting.ids.byteLength;
    }
    for (const files of this.byOwner.values()) bytes += 120 + files.table.byteLength;
    bytes += this.md5Other.size * 100;
    return bytes;
  }

  /** Bytes held by the typed arrays and the arena (not counting maps and small lists). */
  get columnBytes(): number {
    return this.rec.byteLength + this.arena.length;
  }

  /** The record checks of a search: alive, not the searcher's, within the numeric filters. */
  private accepts(slot: number, plan: SearchPlan): boolean {
    const r = slot * STRIDE;
    const rec = this.rec;
    if ((rec[r + 1]! & ALIVE) === 0) return false;
    const owner = rec[r + 2]!;
    if (owner === plan.skipOwner) return false;
    if (plan.bitrate && !within(rec[r + 3]!, plan.bitrate)) return false;
    if (plan.frequency && !within(rec[r + 4]!, plan.frequency)) return false;
    if (plan.size && !within(this.recF64[(r + 6) >>> 1]!, plan.size)) return false;
    if (plan.duration && !within(rec[r + 5]!, plan.duration)) return false;
    return plan.ownerFilter === undefined || plan.ownerFilter(owner);
  }

  private md5Of(slot: number): string {
    if ((this.rec[slot * STRIDE + 1]! & PACKED) === 0) return this.md5Other.get(slot) ?? '';
    let s = '';
    const base = (slot * STRIDE + 8) * 4;
    for (let i = 0; i < 16; i++) {
      const b = this.recU8[base + i]!;
      s += String.fromCharCode(HEX[b >>> 4]!, HEX[b & 15]!);
    }
    return s;
  }

  private setMd5(slot: number, md5: string): void {
    if (md5.length === 32 && /^[0-9a-fA-F]{32}$/.test(md5)) {
      const base = (slot * STRIDE + 8) * 4;
      for (let i = 0; i < 16; i++) {
        this.recU8[base + i] =
          (hexValue(md5.charCodeAt(2 * i)) << 4) | hexValue(md5.charCodeAt(2 * i + 1));
      }
      this.rec[slot * STRIDE + 1]! |= PACKED;
    } else {
      this.rec[slot * STRIDE + 1]! &= ~PACKED;
      this.md5Other.set(slot, md5);
    }
  }

  private kill(slot: number): void {
    const r = slot * STRIDE;
    this.rec[r + 1]! &= ~ALIVE;
    this.md5Other.delete(slot);
    this.dead++;
    const n = this.rec[r + 1]! & LENGTH_MASK;
    this.arenaGarbage += n;
    this.liveFiles--;
    this.liveBytes -= n;
    this.totalSize -= this.recF64[(r + 6) >>> 1]!;
  }

  private allocSlot(): number {
    if (this.nextSlot === this.capacity) this.grow();
    return this.nextSlot++;
  }

  private grow(): void {
    const next = Math.max(1024, Math.ceil(this.capacity * 1.5));
    const rec = new Uint32Array(next * STRIDE);
    rec.set(this.rec);
    this.rec = rec;
    this.recF64 = new Float64Array(rec.buffer);
    this.recU8 = new Uint8Array(rec.buffer);
    this.capacity = next;
  }

  private reserveArena(n: number): void {
    if (this.arenaUsed + n <= this.arena.length) return;
    if (this.arenaGarbage > this.liveBytes && this.arenaGarbage > 1 << 20) {
      this.compactArena();
      if (this.arenaUsed + n <= this.arena.length) return;
    }
    const next = new Uint8Array(Math.max(this.arenaUsed + n, Math.ceil(this.arena.length * 1.5)));
    next.set(this.arena.subarray(0, this.arenaUsed));
    this.arena = next;
  }

  /** Copies the live names to a fresh arena, dropping removed ones. */
  private compactArena(): void {
    const next = new Uint8Array(Math.max(1 << 16, Math.ceil(this.liveBytes * 1.5)));
    let used = 0;
    for (let slot = 0; slot < this.nextSlot; slot++) {
      const r = slot * STRIDE;
      if ((this.rec[r + 1]! & ALIVE) === 0) continue;
      const at = this.rec[r]!;
      const n = this.rec[r + 1]! & LENGTH_MASK;
      next.set(this.arena.subarray(at, at + n), used);
      this.rec[r] = used;
      used += n;
    }
    this.arena = next;
    this.arenaUsed = used;
    this.arenaGarbage = 0;
  }

  private post(word: string, slot: number): void {
    const posting = this.words.get(word);
    if (posting === undefined) {
      this.words.set(word, slot);
    } else if (typeof posting === 'number') {
      this.words.set(word, [posting, slot]);
    } else if (Array.isArray(posting)) {
      if (posting.length < SMALL_LIST) {
        posting.push(slot);
      } else {
        const ids = new Uint32Array(SMALL_LIST * 2);
        ids.set(posting);
        ids[posting.length] = slot;
        this.words.set(word, { ids, n: posting.length + 1 });
      }
    } else {
      if (posting.n === posting.ids.length) {
        const ids = new Uint32Array(Math.ceil(posting.n * 1.5));
        ids.set(posting.ids);
        posting.ids = ids;
      }
      posting.ids[posting.n++] = slot;
    }
  }

  private maybeSweep(): void {
    if (this.dead < Math.max(1024, this.liveFiles / 4)) return;
    this.sweep();
  }

  /**
   * Compacts the slots: live records move down in order, word lists and user tables are
   * renumbered (order kept, so lists stay sorted), dead entries dropped.
   */
  sweep(): void {
    const rec = this.rec;
    const old = this.nextSlot;
    const remap = new Uint32Array(old);
    let live = 0;
    for (let slot = 0; slot < old; slot++) {
      const r = slot * STRIDE;
      if ((rec[r + 1]! & ALIVE) === 0) {
        remap[slot] = DEAD;
        continue;
      }
      if (live !== slot) {
        rec.copyWithin(live * STRIDE, r, r + STRIDE);
        const md5 = this.md5Other.get(slot);
        if (md5 !== undefined) {
          this.md5Other.delete(slot);
          this.md5Other.set(live, md5);
        }
      }
      remap[slot] = live++;
    }
    this.nextSlot = live;
    this.dead = 0;
    for (const [word, posting] of this.words) {
      if (typeof posting === 'number') {
        if (remap[posting] === DEAD) this.words.delete(word);
        else this.words.set(word, remap[posting]!);
      } else if (Array.isArray(posting)) {
        let w = 0;
        for (const slot of posting) if (remap[slot] !== DEAD) posting[w++] = remap[slot]!;
        if (w === 0) this.words.delete(word);
        else if (w === 1) this.words.set(word, posting[0]!);
        else posting.length = w;
      } else {
        const ids = posting.ids;
        let w = 0;
        for (let i = 0; i < posting.n; i++) {
          const to = remap[ids[i]!]!;
          if (to !== DEAD) ids[w++] = to;
        }
        if (w === 0) this.words.delete(word);
        else if (w <= SMALL_LIST) this.words.set(word, Array.from(ids.subarray(0, w)));
        else {
          posting.n = w;
          if (w * 4 < ids.length) posting.ids = ids.slice(0, w * 2);
        }
      }
    }
    for (const files of this.byOwner.values()) {
      const table = files.table;
      for (let i = 0; i < table.length; i++) {
        const entry = table[i]!;
        if (entry !== EMPTY_SLOT && entry !== TOMBSTONE) table[i] = remap[entry - 1]! + 1;
      }
    }
  }

  /** Index in `files.table` of the entry whose name is `key[from, from + n)`, or -1. */
  private find(files: OwnerFiles, key: Uint8Array, from: number, n: number): number {
    const table = files.table;
    const mask = table.length - 1;
    for (let i = hashBytes(key, from, n) & mask; ; i = (i + 1) & mask) {
      const entry = table[i]!;
      if (entry === EMPTY_SLOT) return -1;
      if (entry !== TOMBSTONE && this.nameEquals(entry - 1, key, from, n)) return i;
    }
  }

  private nameEquals(slot: number, key: Uint8Array, from: number, n: number): boolean {
    const r = slot * STRIDE;
    if ((this.rec[r + 1]! & LENGTH_MASK) !== n) return false;
    const at = this.rec[r]!;
    const arena = this.arena;
    for (let i = 0; i < n; i++) if (arena[at + i] !== key[from + i]) return false;
    return true;
  }

  private insertOwned(files: OwnerFiles, slot: number): void {
    if ((files.used + 1) * 2 > files.table.length) this.rehash(files);
    const table = files.table;
    const mask = table.length - 1;
    const r = slot * STRIDE;
    let i = hashBytes(this.arena, this.rec[r]!, this.rec[r + 1]! & LENGTH_MASK) & mask;
    while (table[i] !== EMPTY_SLOT && table[i] !== TOMBSTONE) i = (i + 1) & mask;
    if (table[i] === EMPTY_SLOT) files.used++;
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
      if (entry !== EMPTY_SLOT && entry !== TOMBSTONE) this.insertOwned(files, entry - 1);
    }
  }
}

const HEX = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));

function hexValue(c: number): number {
  const l = lowerByte(c);
  return l <= 0x39 ? l - 0x30 : l - 0x61 + 10;
}

const NO_WORDS: readonly string[] = [];

/**
 * The last index at or below `hi` whose entry is ≤ `slot` (galloping down from `hi`, then a
 * binary search), or -1 when there is none. Calls for one list come with decreasing slots.
 */
function seek(ids: Uint32Array, hi: number, slot: number): number {
  if (hi < 0) return -1;
  if (ids[hi]! <= slot) return hi;
  let step = 1;
  let lo = hi - 1;
  while (lo >= 0 && ids[lo]! > slot) {
    hi = lo;
    step *= 2;
    lo = hi - step;
  }
  if (lo < 0) lo = -1;
  // Binary search in (lo, hi): ids[lo] <= slot (or lo = -1), ids[hi] > slot.
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid]! > slot) hi = mid;
    else lo = mid;
  }
  return lo;
}

function within(value: number, bounds: Bounds): boolean {
  return !(
    (bounds.min !== undefined && value < bounds.min) ||
    (bounds.max !== undefined && value > bounds.max)
  );
}

/** FNV-1a over `bytes[from, from + n)`. */
function hashBytes(bytes: Uint8Array, from: number, n: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < from + n; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** Writes a non-negative safe integer in decimal at `buf[pos]`; returns the end. */
export function writeDecimal(value: number, buf: Uint8Array, pos: number): number {
  if (value < 10) {
    buf[pos] = 0x30 + value;
    return pos + 1;
  }
  if (value < 0x8000_0000) {
    // Small integer arithmetic (the common case: bitrate, frequency, duration, most sizes).
    let digits = 1;
    for (let v = value; v >= 10; v = (v / 10) | 0) digits++;
    let v = value | 0;
    for (let i = pos + digits - 1; i >= pos; i--) {
      const q = (v / 10) | 0;
      buf[i] = 0x30 + v - q * 10;
      v = q;
    }
    return pos + digits;
  }
  let digits = 0;
  for (let v = value; v >= 1; v = Math.floor(v / 10)) digits++;
  let v = value;
  for (let i = pos + digits - 1; i >= pos; i--) {
    buf[i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  return pos + digits;
}
