/**
 * Query Routing Protocol (LimeWire QRP v1.0, Rohrs 2002): the keyword hash, route tables,
 * and the RESET/PATCH messages that carry a leaf's table to its ultrapeers.
 */
import { concatBytes, DecodeError, P2PError, ProtocolError } from '@p2pkit/core';
import type { QrpPatch, QrpReset } from './descriptors.js';
import { deflateZlib, inflateBounded } from './inflate.js';

/** LimeWire's table size (2^16 slots) and infinity (max TTL + 1 = 7). */
export const QRP_DEFAULT_BITS = 16;
export const QRP_DEFAULT_INFINITY = 7;
/** Largest table a peer may make us hold (2^20 one-byte slots = 1 MiB per connection). */
export const QRP_MAX_BITS = 20;
/** Shortest keyword that goes into a table. */
export const QRP_MIN_WORD = 3;

/** Knuth's golden-ratio multiplier, as a 32-bit integer (QRP appendix A). */
const A_INT = 0x4f1bbcdc;

/**
 * The QRP hash of `keyword` into a table of 2^bits slots, exactly LimeWire's HashFunction: each
 * UTF-16 unit lower-cased and cut to its low byte, XORed into a 32-bit little-endian word, then
 * multiplied by 0x4F1BBCDC keeping the top `bits` bits of the low 32.
 */
export function qrpHash(keyword: string, bits: number): number {
  if (!(Number.isInteger(bits) && bits >= 1 && bits <= 32)) {
    throw new P2PError(`QRP hash bits must be 1..32, not ${bits}`, 'ERR_INVALID_ARGUMENT');
  }
  let x = 0;
  for (let i = 0; i < keyword.length; i++) {
    const b = lowerUnit(keyword.charCodeAt(i)) & 0xff;
    x ^= b << ((i & 3) * 8);
  }
  return Math.imul(x, A_INT) >>> (32 - bits);
}

function lowerUnit(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c + 32;
  if (c < 0x80) return c;
  const lower = String.fromCharCode(c).toLowerCase();
  return lower.length === 1 ? lower.charCodeAt(0) : c;
}

/**
 * The words of a file name or a query: runs of letters and digits, lower-cased, accents
 * stripped (é → e).
 */
export function splitWords(text: string): string[] {
  const folded = text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
  return folded.match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The words of query criteria that QRP can route on (3+ characters). */
export function qrpQueryWords(criteria: string): string[] {
  return splitWords(criteria).filter((w) => w.length >= QRP_MIN_WORD);
}

/**
 * The keywords a leaf puts in its table for a file name: each word of 3+ characters, and the
 * word with 1, 2 and 3 trailing characters removed while 3+ remain (so "songs" also matches a
 * query for "song").
 */
export function qrpKeywords(name: string): string[] {
  const out = new Set<string>();
  for (const word of splitWords(name)) {
    for (let cut = 0; cut <= 3 && word.length - cut >= QRP_MIN_WORD; cut++) {
      out.add(word.slice(0, word.length - cut));
    }
  }
  return [...out];
}

/**
 * Does a shared file's name match query `criteria`? Every query word must be a word of the name
 * or that word with at most 3 trailing characters removed: the same rule the QRP table encodes,
 * so an ultrapeer's QRP filter never hides a file that would have matched.
 */
export function nameMatches(name: string, criteria: string): boolean {
  return wordsMatch(splitWords(name), splitWords(criteria));
}

/** nameMatches on words already split (a servent splits each name once, each query once). */
export function wordsMatch(nameWords: readonly string[], queryWords: readonly string[]): boolean {
  if (queryWords.length === 0) return false;
  return queryWords.every((q) =>
    nameWords.some((w) => w.length >= q.length && w.length - q.length <= 3 && w.startsWith(q)),
  );
}

/**
 * A QRP route table: 2^bits one-byte slots, each a hop distance, `infinity` meaning "nothing
 * here". A leaf's own table has its keywords at distance 1.
 */
export class QueryRouteTable {
  readonly bits: number;
  readonly infinity: number;
  readonly slots: Uint8Array;

  constructor(bits = QRP_DEFAULT_BITS, infinity = QRP_DEFAULT_INFINITY) {
    if (!(Number.isInteger(bits) && bits >= 1 && bits <= QRP_MAX_BITS)) {
      throw new P2PError(`QRP table bits must be 1..${QRP_MAX_BITS}`, 'ERR_INVALID_ARGUMENT');
    }
    if (!(Number.isInteger(infinity) && infinity >= 1 && infinity <= 127)) {
      throw new P2PError('QRP infinity must be 1..127', 'ERR_INVALID_ARGUMENT');
    }
    this.bits = bits;
    this.infinity = infinity;
    this.slots = new Uint8Array(1 << bits).fill(infinity);
  }

  get size(): number {
    return this.slots.length;
  }

  /** Marks one keyword (hashed as is) present at `distance`. */
  addKeyword(keyword: string, distance = 1): this {
    const i = qrpHash(keyword, this.bits);
    if (this.slots[i]! > distance) this.slots[i] = distance;
    return this;
  }

  /** Adds a shared file: its name's keywords and, if given, its urn. */
  addFile(name: string, urn?: string): this {
    for (const k of qrpKeywords(name)) this.addKeyword(k);
    if (urn) this.addKeyword(urn);
    return this;
  }

  /** Is this keyword's slot below infinity? */
  hasKeyword(keyword: string): boolean {
    return this.slots[qrpHash(keyword, this.bits)]! < this.infinity;
  }

  /**
   * Should a query reach this table's owner? Every query word of 3+ characters must hit a
   * present slot, or one of the query's urns must. A query with neither (only short words)
   * does not match: it cannot be routed by QRP.
   */
  matchesQuery(criteria: string, urns: readonly string[] = []): boolean {
    return this.matchesWords(qrpQueryWords(criteria), urns);
  }

  /** matchesQuery with the criteria already split by qrpQueryWords (once for many tables). */
  matchesWords(words: readonly string[], urns: readonly string[] = []): boolean {
    for (const urn of urns) if (urn.length > 4 && this.hasKeyword(urn)) return true;
    if (words.length === 0) return false;
    return words.every((w) => this.hasKeyword(w));
  }

  /**
   * Marks here every keyword present in `other`, one hop further (what an ultrapeer sends its
   * peers: its own keywords and its leaves'). Tables of different sizes convert as QRP says:
   * slot i of a table of m slots covers slots [i·m'/m, (i+1)·m'/m) of a table of m' slots.
   */
  absorb(other: QueryRouteTable): this {
    const mine = this.slots;
    const theirs = other.slots;
    const farthest = this.infinity - 1;
    if (theirs.length >= mine.length) {
      const shift = other.bits - this.bits;
      for (let j = 0; j < theirs.length; j++) {
        const v = theirs[j]!;
        if (v >= other.infinity) continue;
        const d = Math.min(v + 1, farthest);
        const i = j >> shift;
        if (mine[i]! > d) mine[i] = d;
      }
    } else {
      const span = 1 << (this.bits - other.bits);
      for (let j = 0; j < theirs.length; j++) {
        const v = theirs[j]!;
        if (v >= other.infinity) continue;
        const d = Math.min(v + 1, farthest);
        for (let i = j * span; i < (j + 1) * span; i++) if (mine[i]! > d) mine[i] = d;
      }
    }
    return this;
  }

  /** A copy (to remember what was last sent on a connection). */
  clone(): QueryRouteTable {
    const t = new QueryRouteTable(this.bits, this.infinity);
    t.slots.set(this.slots);
    return t;
  }
}

export interface QrpEncodeOptions {
  /** 4, 8, or undefined to pick 4 when every delta fits a signed nibble. */
  entryBits?: 4 | 8;
  /** zlib-compress the patch (default true; falls back to none when that is not smaller). */
  compress?: boolean;
  /** Largest chunk of patch data per PATCH message (default 4,000: messages stay under 4 KB). */
  maxChunk?: number;
}

/**
 * The RESET and PATCH messages that bring a receiver from `previous` (undefined: nothing sent
 * yet, so a RESET comes first) to `table`. Empty when nothing changed.
 */
export function qrpUpdate(
  table: QueryRouteTable,
  previous?: QueryRouteTable,
  options: QrpEncodeOptions = {},
): (QrpReset | QrpPatch)[] {
  const out: (QrpReset | QrpPatch)[] = [];
  if (previous && (previous.bits !== table.bits || previous.infinity !== table.infinity)) {
    previous = undefined;
  }
  if (!previous) out.push({ kind: 'qrp-reset', tableLength: table.size, infinity: table.infinity });
  const base = previous?.slots;
  const n = table.size;
  const deltas = new Int8Array(n);
  let changed = false;
  let fitsNibble = true;
  for (let i = 0; i < n; i++) {
    const d = table.slots[i]! - (base ? base[i]! : table.infinity);
    deltas[i] = d;
    if (d !== 0) changed = true;
    if (d < -8 || d > 7) fitsNibble = false;
  }
  if (!changed && previous) return out;
  const entryBits = options.entryBits ?? (fitsNibble ? 4 : 8);
  if (entryBits === 4 && !fitsNibble) {
    throw new P2PError('a delta does not fit 4 bits', 'ERR_INVALID_ARGUMENT');
  }
  let raw: Uint8Array;
  if (entryBits === 8) {
    raw = new Uint8Array(deltas.buffer, deltas.byteOffset, n);
  } else {
    raw = new Uint8Array(Math.ceil(n / 2));
    for (let i = 0; i < n; i++) {
      raw[i >> 1]! |= (deltas[i]! & 0x0f) << (i & 1 ? 0 : 4);
    }
  }
  let data = raw;
  let compressor = 0;
  if (options.compress ?? true) {
    const z = deflateZlib(raw);
    if (z.length < raw.length) {
      data = z;
      compressor = 1;
    }
  }
  const maxChunk = options.maxChunk ?? 4000;
  const seqSize = Math.max(1, Math.ceil(data.length / maxChunk));
  if (seqSize > 255) {
    throw new P2PError(
      'QRP patch needs more than 255 messages: raise maxChunk',
      'ERR_INVALID_ARGUMENT',
    );
  }
  for (let s = 0; s < seqSize; s++) {
    out.push({
      kind: 'qrp-patch',
      seqNo: s + 1,
      seqSize,
      compressor,
      entryBits,
      data: data.subarray(s * maxChunk, Math.min(data.length, (s + 1) * maxChunk)),
    });
  }
  return out;
}

/** Most patch bytes buffered for one sequence (255 messages of a 4 KB-bounded descriptor). */
const MAX_SEQUENCE_BYTES = 255 * 65_536;

/**
 * The receiving side (an ultrapeer's view of one leaf): applies RESET and PATCH sequences.
 * Out-of-order or inconsistent messages throw ProtocolError (close the connection, the spec
 * says: table updates are incremental and cannot recover); bad patch data throws DecodeError.
 * Until the first sequence completes there is no table (`table` is undefined).
 */
export class QrpReceiver {
  private current: QueryRouteTable | undefined;
  private pending: QueryRouteTable | undefined;
  private expectedSeq = 1;
  private seqSize = 0;
  private compressor = 0;
  private entryBits = 0;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private reset: { bits: number; infinity: number } | undefined;

  /** The last complete table, if any. */
  get table(): QueryRouteTable | undefined {
    return this.current;
  }

  apply(message: QrpReset | QrpPatch): void {
    if (message.kind === 'qrp-reset') {
      const { tableLength, infinity } = message;
      const bits = Math.log2(tableLength);
      if (!(Number.isInteger(bits) && bits >= 1 && bits <= QRP_MAX_BITS)) {
        throw new ProtocolError(
          `QRP table length ${tableLength} is not a power of two up to 2^${QRP_MAX_BITS}`,
        );
      }
      if (infinity < 1 || infinity > 127) throw new ProtocolError(`QRP infinity ${infinity}`);
      this.reset = { bits, infinity };
      // After a RESET the old table no longer holds (QRP: forward everything until patched).
      this.current = undefined;
      this.pending = new QueryRouteTable(bits, infinity);
      this.startSequence();
      return;
    }
    if (!this.reset) throw new ProtocolError('QRP PATCH before any RESET');
    const { seqNo, seqSize, compressor, entryBits } = message;
    if (seqNo !== this.expectedSeq) {
      throw new ProtocolError(
        `QRP PATCH ${seqNo}/${seqSize} out of order (expected ${this.expectedSeq})`,
      );
    }
    if (seqNo === 1) {
      if (seqSize < 1) throw new ProtocolError('QRP PATCH with sequence size 0');
      if (compressor > 1) throw new ProtocolError(`unknown QRP compressor ${compressor}`);
      if (entryBits !== 4 && entryBits !== 8)
        throw new ProtocolError(`QRP entry bits ${entryBits}`);
      this.seqSize = seqSize;
      this.compressor = compressor;
      this.entryBits = entryBits;
      if (!this.pending)
        this.pending = (
          this.current ?? new QueryRouteTable(this.reset.bits, this.reset.infinity)
        ).clone();
    } else if (
      seqSize !== this.seqSize ||
      compressor !== this.compressor ||
      entryBits !== this.entryBits
    ) {
      throw new ProtocolError('QRP PATCH fields change within a sequence');
    }
    this.buffered += message.data.length;
    if (this.buffered > MAX_SEQUENCE_BYTES) throw new ProtocolError('QRP patch sequence too large');
    this.chunks.push(message.data);
    this.expectedSeq++;
    if (seqNo === seqSize) this.finishSequence();
  }

  private startSequence(): void {
    this.expectedSeq = 1;
    this.chunks = [];
    this.buffered = 0;
  }

  private finishSequence(): void {
    const table = this.pending!;
    const n = table.size;
    const rawLength = this.entryBits === 8 ? n : Math.ceil(n / 2);
    let data = concatBytes(this.chunks, this.buffered);
    if (this.compressor === 1) data = inflateBounded(data, rawLength);
    if (data.length !== rawLength) {
      throw new DecodeError(`QRP patch has ${data.length} bytes, the table needs ${rawLength}`);
    }
    const slots = table.slots;
    const inf = table.infinity;
    // Values stay within [0, infinity]: a sender that overshoots only means "absent".
    if (this.entryBits === 8) {
      for (let i = 0; i < n; i++) {
        const v = slots[i]! + ((data[i]! << 24) >> 24);
        slots[i] = v < 0 ? 0 : Math.min(v, inf);
      }
    } else {
      for (let j = 0; j < rawLength; j++) {
        const b = data[j]!;
        if (b === 0) continue; // two unchanged slots: the usual case
        const i = j << 1;
        const hi = slots[i]! + ((b << 24) >> 28);
        slots[i] = hi < 0 ? 0 : Math.min(hi, inf);
        if (i + 1 < n) {
          const lo = slots[i + 1]! + ((b << 28) >> 28);
          slots[i + 1] = lo < 0 ? 0 : Math.min(lo, inf);
        }
      }
    }
    this.current = table;
    this.pending = undefined;
    this.startSequence();
  }
}
