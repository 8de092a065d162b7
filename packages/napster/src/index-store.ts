/**
 * The server's file index: every shared file of every logged-in user, searchable by word.
 * Designed for the search path (the goal is 20,000 searches a second at 10^6 files)
 * within ≤ 300 bytes per file:
 *
 * - a file is a slot number. What a search reads of it sits in 8 bytes (`hot`: where its
 *   entry is, its owner, whether it is gone: 8 MB at 10^6 files, which stays in cache); the
 *   numbers that only filters read sit apart (`cold`);
 * - its entry is its reply as sent: `"<name>" <md5> <size> <bitrate> <frequency> <duration>`,
 *   encoded once when shared, so that answering a search copies bytes and formats nothing (the
 *   name is read back from the same bytes); identical entries are held once (index-entries.ts);
 * - the inverted index maps a word to its sorted slots (index-words.ts), each user's files are
 *   a table keyed by the name's bytes (index-owners.ts).
 *
 * Slots are handed out in increasing order and never reused directly, so every word list is
 * sorted: a search walks the shortest list and finds the other words by galloping through
 * theirs, never reading a name. Removal is lazy, as OpenNap's: a removed file is marked (searches
 * skip it); once a quarter of the slots are removed, a sweep compacts the slots in order
 * (records moved down, lists and user tables renumbered, still sorted): one pass, amortised
 * over that many removals.
 */
import { copyBytes, viewOf } from './copy-bytes.js';
import { EntryArena } from './index-entries.js';
import { hashBytes, OwnerTables } from './index-owners.js';
import { DEAD, hasBit, SearchLists, seek, WordLists } from './index-words.js';
import { tokenize } from './tokens.js';
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

/** u32 words per slot in `hot`: the entry's arena offset; the owner, REMOVED once unshared. */
const HOT = 2;
const REMOVED = 0x8000_0000;
/** u32 words per slot in `cold`: bitrate, frequency, duration, (unused), size as an f64. */
const COLD = 6;
/** Longest MD5 field kept, in UTF-8 bytes (longer ones are cut, as replies always were). */
const MAX_MD5_BYTES = 64;
const MD5_HEX = /^[0-9a-fA-F]{32}$/;
/** Longest name an index may be set to take (its entry's length must fit in a u16). */
const MAX_NAME_BYTES = 60_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Where `warm` leaves its reads, so that they are not optimised away. */
let warmed = 0;

export class FileIndex {
  readonly maxFilenameBytes: number;
  private capacity = 0;
  private hot = new Uint32Array(0);
  private cold = new Uint32Array(0);
  private coldF64 = new Float64Array(0);
  private readonly entries = new EntryArena();
  /** The next slot handed out (slots only grow until a sweep compacts them). */
  private nextSlot = 0;
  /** Slots removed since the last sweep (still listed in word lists, marked REMOVED). */
  private dead = 0;
  private readonly words = new WordLists();
  private readonly owners: OwnerTables;
  private liveFiles = 0;
  /** Sum of live file sizes in bytes. */
  private totalSize = 0;
  private readonly lists = new SearchLists();
  /** The last buffer `writeFields` wrote to, and a view of it. */
  private outBytes: Uint8Array | undefined;
  private outView = viewOf(new Uint8Array(0));
  /** A search's candidates, before their records are read (see `search`). */
  private found = new Uint32Array(128);

  constructor(options: FileIndexOptions = {}) {
    this.maxFilenameBytes = options.maxFilenameBytes ?? 256;
    // An entry's lengths are u16 (a frame's data is at most 65,535 bytes anyway).
    if (!(this.maxFilenameBytes >= 1 && this.maxFilenameBytes <= MAX_NAME_BYTES)) {
      throw new RangeError(`maxFilenameBytes must be 1..${MAX_NAME_BYTES}`);
    }
    this.owners = new OwnerTables({
      hashName: (slot) => {
        const at = this.hot[slot * HOT]!;
        const entries = this.entries;
        return hashBytes(entries.bytes, entries.fieldsAt(at) + 1, entries.nameLength(at));
      },
      nameEquals: (slot, key, from, n) => {
        const at = this.hot[slot * HOT]!;
        const entries = this.entries;
        if (entries.nameLength(at) !== n) return false;
        const arena = entries.bytes;
        const name = entries.fieldsAt(at) + 1;
        for (let i = 0; i < n; i++) if (arena[name + i] !== key[from + i]) return false;
        return true;
      },
    });
  }

  /** Files shared now. */
  get files(): number {
    return this.liveFiles;
  }

  /** Distinct entries held: files shared by several users byte for byte count once. */
  get distinctFiles(): number {
    return this.entries.entries;
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
    return this.owners.countOf(owner);
  }

  /**
   * Indexes one file of `owner` (an integer below 2^31); returns its slot, or why it was
   * refused. Numbers must be safe integers; bitrate, frequency and duration at most 2^32 - 1.
   */
  add(owner: number, file: FileRecord): number | AddRefusal {
    const { bitrate, frequency, duration, size } = file;
    if (!(bitrate <= 0xffff_ffff && frequency <= 0xffff_ffff && duration <= 0xffff_ffff)) {
      return 'out of range';
    }
    if (!(owner >= 0 && owner < REMOVED && Number.isInteger(owner))) {
      throw new RangeError(`owner ${owner} is not an integer in [0, 2^31)`);
    }
    // Encode the entry at the arena's tail; it stays there only if the file is accepted.
    const max = this.maxFilenameBytes;
    if (file.filename.length > max) return 'too long';
    const entries = this.entries;
    const start = entries.reserve(max * 3 + this.maxFieldsBytes, this.relocate);
    const arena = entries.bytes;
    const name = start + 1;
    const { written } = encoder.encodeInto(file.filename, arena.subarray(name, name + max * 3));
    if (written > max) return 'too long';
    if (this.owners.find(owner, arena, name, written) >= 0) return 'duplicate';

    let pos = name - 1;
    arena[pos] = 0x22;
    pos = name + written;
    arena[pos++] = 0x22;
    arena[pos++] = 0x20;
    // A 32-digit hex MD5 is sent in lower case (as the packed form this replaced did).
    const md5 = MD5_HEX.test(file.md5) ? file.md5.toLowerCase() : file.md5;
    pos += encoder.encodeInto(md5, arena.subarray(pos, pos + MAX_MD5_BYTES)).written;
    arena[pos++] = 0x20;
    pos = writeDecimal(size, arena, pos);
    arena[pos++] = 0x20;
    pos = writeDecimal(bitrate, arena, pos);
    arena[pos++] = 0x20;
    pos = writeDecimal(frequency, arena, pos);
    arena[pos++] = 0x20;
    pos = writeDecimal(duration, arena, pos);
    const at = entries.commit(pos - start, written);

    const slot = this.allocSlot();
    this.hot[slot * HOT] = at;
    this.hot[slot * HOT + 1] = owner;
    const c = slot * COLD;
    this.cold[c] = bitrate;
    this.cold[c + 1] = frequency;
    this.cold[c + 2] = duration;
    this.coldF64[(c + 4) >>> 1] = size;
    this.owners.insert(owner, slot);
    for (const word of tokenize(arena, name, name + written)) this.words.post(word, slot);
    this.liveFiles++;
    this.totalSize += size;
    return slot;
  }

  /** Removes `owner`'s file of that name; false when it shares no such file. */
  remove(owner: number, filename: string): boolean {
    const bytes = encoder.encode(filename);
    const slot = this.owners.delete(owner, bytes, 0, bytes.length);
    if (slot < 0) return false;
    this.kill(slot);
    this.maybeSweep();
    return true;
  }

  /** Removes every file of `owner` (logout); returns how many. */
  removeOwner(owner: number): number {
    const n = this.owners.deleteOwner(owner, (slot) => this.kill(slot));
    this.maybeSweep();
    return n;
  }

  /** The slots of `owner`'s files (browse), at most `limit`. */
  slotsOf(owner: number, limit = Number.POSITIVE_INFINITY): number[] {
    return this.owners.slotsOf(owner, limit);
  }

  /** The slot of `owner`'s file of that name, or -1. */
  slotOf(owner: number, filename: string): number {
    const bytes = encoder.encode(filename);
    return this.owners.find(owner, bytes, 0, bytes.length);
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
    // Words first, rarest first, then excludes, in the reused scratch.
    const lists = this.lists;
    lists.reserve(k + excludes.length);
    for (let j = 0; j < k; j++) {
      const posting = this.words.get(words[j]!);
      if (posting === undefined) return 0;
      lists.load(j, posting);
    }
    lists.sortShortestFirst(k);
    let e = k;
    for (const word of excludes) {
      const posting = this.words.get(word);
      if (posting !== undefined) lists.load(e++, posting);
    }
    const { ids, n: ns, at: ats, bits } = lists;
    for (let j = 0; j < e; j++) ats[j] = ns[j]! - 1;
    const driver = ids[0]!;
    const max = Math.min(limit, out.length);
    const filtered =
      plan.bitrate !== undefined ||
      plan.frequency !== undefined ||
      plan.size !== undefined ||
      plan.duration !== undefined ||
      plan.ownerFilter !== undefined;
    const skip = plan.skipOwner ?? -1;
    const hot = this.hot;
    if (this.found.length < max) this.found = new Uint32Array(max);
    const found = this.found;
    let hits = 0;
    let i = ns[0]! - 1;
    let exhausted = false;
    // Two passes, in rounds: the intersection gathers as many candidates as results are still
    // wanted, then their records are read in one tight loop, where the cache misses (random
    // slots of a large index) overlap instead of stalling the intersection one by one.
    while (hits < max && i >= 0 && !exhausted) {
      let gathered = 0;
      // Candidates come in decreasing order along the rarest list, so each cursor only moves
      // down (galloping) and a list is read about once whatever its length; once a required
      // list has nothing left below the candidate, no later candidate can match.
      candidates: for (; i >= 0 && gathered < max - hits; i--) {
        const slot = driver[i]!;
        for (let j = 1; j < k; j++) {
          const b = bits[j];
          if (b !== undefined) {
            if (!hasBit(b, slot)) continue candidates;
            continue;
          }
          const at = seek(ids[j]!, ats[j]!, slot);
          if (at < 0) {
            exhausted = true;
            break candidates;
          }
          ats[j] = at;
          if (ids[j]![at] !== slot) continue candidates;
        }
        for (let j = k; j < e; j++) {
          const b = bits[j];
          if (b !== undefined) {
            if (hasBit(b, slot)) continue candidates;
            continue;
          }
          const at = seek(ids[j]!, ats[j]!, slot);
          ats[j] = at;
          if (at >= 0 && ids[j]![at] === slot) continue candidates;
        }
        found[gathered++] = slot;
      }
      for (let c = 0; c < gathered; c++) {
        const slot = found[c]!;
        // The owner word is also the liveness mark: a removed file's has REMOVED set.
        const owner = hot[slot * HOT + 1]!;
        if (owner >= REMOVED || owner === skip) continue;
        if (filtered && !this.passes(slot, owner, plan)) continue;
        out[hits++] = slot;
      }
    }
    return hits;
  }

  /** The record of a live slot. */
  file(slot: number): FileRecord {
    const at = this.hot[slot * HOT]!;
    const entries = this.entries;
    const arena = entries.bytes;
    const name = entries.fieldsAt(at) + 1;
    const nameEnd = name + entries.nameLength(at);
    const md5 = nameEnd + 2;
    let md5End = md5;
    while (arena[md5End] !== 0x20) md5End++;
    const c = slot * COLD;
    return {
      filename: decoder.decode(arena.subarray(name, nameEnd)),
      md5: decoder.decode(arena.subarray(md5, md5End)),
      size: this.coldF64[(c + 4) >>> 1]!,
      bitrate: this.cold[c]!,
      frequency: this.cold[c + 1]!,
      duration: this.cold[c + 2]!,
    };
  }

  /** Owner of a live slot. */
  ownerOf(slot: number): number {
    return this.hot[slot * HOT + 1]! & ~REMOVED;
  }

  /** True while `slot` holds a shared file. */
  isLive(slot: number): boolean {
    return slot < this.nextSlot && this.hot[slot * HOT + 1]! < REMOVED;
  }

  /**
   * Reads the first entry byte of each of `slots[0, n)` (into a field nobody reads): called
   * before writing a search's results, so that the entries' cache misses (random places in a
   * large arena) overlap in one tight loop instead of stalling each `writeFields` in turn.
   */
  warm(slots: Uint32Array, n: number): void {
    const hot = this.hot;
    const arena = this.entries.bytes;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += arena[hot[slots[i]! * HOT]!]!;
    warmed = (warmed + sum) | 0;
  }

  /** Most bytes `writeFields` may write for one file. */
  get maxFieldsBytes(): number {
    return this.maxFilenameBytes + 2 + 1 + MAX_MD5_BYTES + 5 * 17;
  }

  /**
   * Writes `"<filename>" <md5> <size> <bitrate> <frequency> <duration>` (the common part of
   * messages 201 and 212) at `buf[pos]`; returns the end. `buf` needs `maxFieldsBytes` of room.
   */
  writeFields(slot: number, buf: Uint8Array, pos: number): number {
    if (buf !== this.outBytes) {
      this.outBytes = buf;
      this.outView = viewOf(buf);
    }
    const entries = this.entries;
    const at = this.hot[slot * HOT]!;
    const n = entries.fieldsLength(at);
    return copyBytes(entries.view, entries.fieldsAt(at), this.outView, pos, n);
  }

  /**
   * An estimate of the whole index's memory from its structures: records, arena, word lists,
   * the word map and the per-user tables. O(words).
   */
  approximateBytes(): number {
    return this.columnBytes + this.words.approximateBytes() + this.owners.approximateBytes();
  }

  /** Bytes held by the typed arrays and the arena (not counting maps and small lists). */
  get columnBytes(): number {
    return this.hot.byteLength + this.cold.byteLength + this.entries.byteLength;
  }

  /** The checks a plan with filters adds: numbers within bounds, the owner accepted. */
  private passes(slot: number, owner: number, plan: SearchPlan): boolean {
    const c = slot * COLD;
    const cold = this.cold;
    if (plan.bitrate && !within(cold[c]!, plan.bitrate)) return false;
    if (plan.frequency && !within(cold[c + 1]!, plan.frequency)) return false;
    if (plan.duration && !within(cold[c + 2]!, plan.duration)) return false;
    if (plan.size && !within(this.coldF64[(c + 4) >>> 1]!, plan.size)) return false;
    return plan.ownerFilter === undefined || plan.ownerFilter(owner);
  }

  private kill(slot: number): void {
    this.hot[slot * HOT + 1]! |= REMOVED;
    this.entries.release(this.hot[slot * HOT]!);
    this.dead++;
    this.liveFiles--;
    this.totalSize -= this.coldF64[(slot * COLD + 4) >>> 1]!;
  }

  private allocSlot(): number {
    if (this.nextSlot === this.capacity) this.grow();
    return this.nextSlot++;
  }

  private grow(): void {
    const next = Math.max(1024, Math.ceil(this.capacity * 1.5));
    const hot = new Uint32Array(next * HOT);
    hot.set(this.hot);
    this.hot = hot;
    const cold = new Uint32Array(next * COLD);
    cold.set(this.cold);
    this.cold = cold;
    this.coldF64 = new Float64Array(cold.buffer);
    this.capacity = next;
  }

  /** Hands the arena's compaction every live file's entry offset, to be moved. */
  private readonly relocate = (move: (offset: number) => number): void => {
    const hot = this.hot;
    for (let slot = 0; slot < this.nextSlot; slot++) {
      if (hot[slot * HOT + 1]! < REMOVED) hot[slot * HOT] = move(hot[slot * HOT]!);
    }
  };

  private maybeSweep(): void {
    if (this.dead < Math.max(1024, this.liveFiles / 4)) return;
    this.sweep();
  }

  /**
   * Compacts the slots: live records move down in order, word lists and user tables are
   * renumbered (order kept, so lists stay sorted), removed entries dropped.
   */
  sweep(): void {
    const { hot, cold } = this;
    const old = this.nextSlot;
    const remap = new Uint32Array(old);
    let live = 0;
    for (let slot = 0; slot < old; slot++) {
      if (hot[slot * HOT + 1]! >= REMOVED) {
        remap[slot] = DEAD;
        continue;
      }
      if (live !== slot) {
        hot.copyWithin(live * HOT, slot * HOT, (slot + 1) * HOT);
        cold.copyWithin(live * COLD, slot * COLD, (slot + 1) * COLD);
      }
      remap[slot] = live++;
    }
    this.nextSlot = live;
    this.dead = 0;
    this.words.remap(remap);
    this.owners.remap(remap);
  }
}

const NO_WORDS: readonly string[] = [];

function within(value: number, bounds: Bounds): boolean {
  return !(
    (bounds.min !== undefined && value < bounds.min) ||
    (bounds.max !== undefined && value > bounds.max)
  );
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
