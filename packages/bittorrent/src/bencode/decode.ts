import { bytesToBinary, compareBytes } from './binary.js';
import { type BDict, BencodeError, type BValue, type Span } from './types.js';

/** Limits and strictness of the decoder. Every limit protects against a hostile input. */
export interface BencodeDecodeOptions {
  /**
   * Strict (default): only canonical bencode (BEP 3) is accepted: integers without leading zeros
   * or `-0`, string lengths without leading zeros, dictionary keys sorted by raw bytes.
   * Lenient (`false`): also accepts those non-canonical forms, which some real-world encoders
   * write. Duplicate keys are refused in both modes (a duplicate makes the meaning ambiguous).
   */
  strict?: boolean;
  /** Largest input accepted, in bytes (default 64 MiB). */
  maxSize?: number;
  /** Deepest nesting of lists and dictionaries (default 64). */
  maxDepth?: number;
  /** Longest byte string (default: maxSize). */
  maxStringLength?: number;
  /** Most values in total, all nesting levels counted (default 4,000,000). */
  maxItems?: number;
  /** Most digits in an integer, sign excluded (default 64): BigInt parsing is superlinear. */
  maxIntegerDigits?: number;
}

const DEFAULTS = {
  strict: true,
  maxSize: 64 * 1024 * 1024,
  maxDepth: 64,
  maxItems: 4_000_000,
  maxIntegerDigits: 64,
};

const C_0 = 0x30;
const C_9 = 0x39;
const C_COLON = 0x3a;
const C_MINUS = 0x2d;
const C_D = 0x64;
const C_E = 0x65;
const C_I = 0x69;
const C_L = 0x6c;

/**
 * Decodes exactly one bencoded value spanning the whole input. Throws BencodeError on anything
 * else (including trailing bytes).
 */
export function bdecode(bytes: Uint8Array, options?: BencodeDecodeOptions): BValue {
  const parser = new Parser(bytes, options, false);
  const value = parser.value();
  if (parser.pos !== bytes.length) throw new BencodeError('trailing bytes after value', parser.pos);
  return value;
}

/**
 * Decodes one bencoded value at the start of `bytes` and returns where it ended; bytes after it
 * are left to the caller (BEP 9 `data` messages append raw bytes to a dictionary).
 */
export function bdecodePrefix(
  bytes: Uint8Array,
  options?: BencodeDecodeOptions,
): { value: BValue; end: number } {
  const parser = new Parser(bytes, options, false);
  const value = parser.value();
  return { value, end: parser.pos };
}

/** A decoded value together with the input ranges its parts came from. */
export interface DecodedWithSpans {
  readonly value: BValue;
  /** The input the value was decoded from. */
  readonly bytes: Uint8Array;
  /** Span of a list, dictionary or byte string found anywhere inside `value`. */
  spanOf(value: BValue): Span | undefined;
  /**
   * Span of the value at `path` (dictionary keys as binary strings, list indices as numbers),
   * integers included: `spanAt(['info'])`.
   */
  spanAt(path: readonly (string | number)[]): Span | undefined;
  /** The exact input bytes of the value at `path` (a view, no copy), e.g. the raw info dict. */
  rawAt(path: readonly (string | number)[]): Uint8Array | undefined;
}

/**
 * Decodes like `bdecode` and also records where every value came from, so that a hash can be
 * taken over the exact bytes of a part (the info-hash is SHA-1 of the raw `info` bytes, BEP 3).
 */
export function bdecodeWithSpans(
  bytes: Uint8Array,
  options?: BencodeDecodeOptions,
): DecodedWithSpans {
  const parser = new Parser(bytes, options, true);
  const value = parser.value();
  if (parser.pos !== bytes.length) throw new BencodeError('trailing bytes after value', parser.pos);
  const spans = parser.spans!;
  const children = parser.children!;
  const rootSpan: Span = { start: 0, end: bytes.length };
  const spanAt = (path: readonly (string | number)[]): Span | undefined => {
    let current: BValue = value;
    let span: Span = rootSpan;
    for (const step of path) {
      const kids = typeof current === 'object' ? children.get(current) : undefined;
      if (kids === undefined) return undefined;
      if (current instanceof Map && typeof step === 'string') {
        const next = current.get(step);
        const nextSpan = (kids as Map<string, Span>).get(step);
        if (next === undefined || nextSpan === undefined) return undefined;
        current = next;
        span = nextSpan;
      } else if (Array.isArray(current) && typeof step === 'number') {
        const next = current[step];
        const nextSpan = (kids as Span[])[step];
        if (next === undefined || nextSpan === undefined) return undefined;
        current = next;
        span = nextSpan;
      } else {
        return undefined;
      }
    }
    return span;
  };
  return {
    value,
    bytes,
    spanOf: (v) => (typeof v === 'object' ? spans.get(v) : undefined),
    spanAt,
    rawAt: (path) => {
      const span = spanAt(path);
      return span ? bytes.subarray(span.start, span.end) : undefined;
    },
  };
}

class Parser {
  pos = 0;
  private depth = 0;
  private items = 0;
  private readonly strict: boolean;
  private readonly maxDepth: number;
  private readonly maxStringLength: number;
  private readonly maxItems: number;
  private readonly maxIntegerDigits: number;
  readonly spans: WeakMap<object, Span> | undefined;
  readonly children: WeakMap<object, Map<string, Span> | Span[]> | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    options: BencodeDecodeOptions | undefined,
    withSpans: boolean,
  ) {
    const maxSize = options?.maxSize ?? DEFAULTS.maxSize;
    this.strict = options?.strict ?? DEFAULTS.strict;
    this.maxDepth = options?.maxDepth ?? DEFAULTS.maxDepth;
    this.maxStringLength = options?.maxStringLength ?? maxSize;
    this.maxItems = options?.maxItems ?? DEFAULTS.maxItems;
    this.maxIntegerDigits = options?.maxIntegerDigits ?? DEFAULTS.maxIntegerDigits;
    if (bytes.length > maxSize) {
      throw new BencodeError(`input of ${bytes.length} bytes exceeds maxSize ${maxSize}`, 0);
    }
    if (withSpans) {
      this.spans = new WeakMap();
      this.children = new WeakMap();
    }
  }

  value(): BValue {
    if (++this.items > this.maxItems) {
      throw new BencodeError(`more than maxItems ${this.maxItems} values`, this.pos);
    }
    const c = this.bytes[this.pos];
    if (c === undefined) throw new BencodeError('unexpected end of input', this.pos);
    if (c === C_I) return this.integer();
    if (c >= C_0 && c <= C_9) return this.string();
    if (c === C_L) return this.list();
    if (c === C_D) return this.dict();
    throw new BencodeError(`unexpected byte 0x${c.toString(16).padStart(2, '0')}`, this.pos);
  }

  private integer(): number | bigint {
    const bytes = this.bytes;
    const start = this.pos;
    let p = start + 1;
    const negative = bytes[p] === C_MINUS;
    if (negative) p++;
    const digitsStart = p;
    let value = 0;
    while (p < bytes.length) {
      const c = bytes[p]!;
      if (c < C_0 || c > C_9) break;
      value = value * 10 + (c - C_0);
      p++;
      if (p - digitsStart > this.maxIntegerDigits) {
        throw new BencodeError(`integer longer than ${this.maxIntegerDigits} digits`, start);
      }
    }
    const digits = p - digitsStart;
    if (p >= bytes.length) throw new BencodeError('unterminated integer', start);
    if (bytes[p] !== C_E) throw new BencodeError('invalid byte in integer', p);
    if (digits === 0) throw new BencodeError('integer without digits', start);
    if (this.strict) {
      if (digits > 1 && bytes[digitsStart] === C_0) {
        throw new BencodeError('integer with a leading zero', start);
      }
      if (negative && digits === 1 && bytes[digitsStart] === C_0) {
        throw new BencodeError('negative zero', start);
      }
    }
    this.pos = p + 1;
    if (digits <= 15) return negative ? (value === 0 ? 0 : -value) : value;
    let text = '';
    for (let i = digitsStart; i < p; i++) text += String.fromCharCode(bytes[i]!);
    const big = negative ? -BigInt(text) : BigInt(text);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(big)
      : big;
  }

  private string(): Uint8Array {
    const bytes = this.bytes;
    const start = this.pos;
    let p = start;
    let length = 0;
    while (p < bytes.length) {
      const c = bytes[p]!;
      if (c < C_0 || c > C_9) break;
      length = length * 10 + (c - C_0);
      p++;
      // 16 digits already exceed any length we could accept; stop before precision is lost.
      if (p - start > 16) throw new BencodeError('string length too long', start);
    }
    if (p >= bytes.length) throw new BencodeError('unterminated string length', start);
    if (bytes[p] !== C_COLON) throw new BencodeError('invalid byte in string length', p);
    if (this.strict && p - start > 1 && bytes[start] === C_0) {
      throw new BencodeError('string length with a leading zero', start);
    }
    if (length > this.maxStringLength) {
      throw new BencodeError(
        `string of ${length} bytes exceeds maxStringLength ${this.maxStringLength}`,
        start,
      );
    }
    const dataStart = p + 1;
    const end = dataStart + length;
    if (end > bytes.length) throw new BencodeError('string runs past end of input', start);
    this.pos = end;
    const out = bytes.subarray(dataStart, end);
    this.spans?.set(out, { start, end });
    return out;
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) {
      throw new BencodeError(`nesting deeper than maxDepth ${this.maxDepth}`, this.pos);
    }
  }

  private list(): BValue[] {
    const start = this.pos;
    this.enter();
    this.pos++;
    const out: BValue[] = [];
    const kids: Span[] | undefined = this.children ? [] : undefined;
    for (;;) {
      const c = this.bytes[this.pos];
      if (c === undefined) throw new BencodeError('unterminated list', start);
      if (c === C_E) break;
      const childStart = this.pos;
      out.push(this.value());
      kids?.push({ start: childStart, end: this.pos });
    }
    this.pos++;
    this.depth--;
    if (kids) {
      this.spans!.set(out, { start, end: this.pos });
      this.children!.set(out, kids);
    }
    return out;
  }

  private dict(): BDict {
    const start = this.pos;
    this.enter();
    this.pos++;
    const out: BDict = new Map();
    const kids: Map<string, Span> | undefined = this.children ? new Map() : undefined;
    let previous: Uint8Array | undefined;
    for (;;) {
      const c = this.bytes[this.pos];
      if (c === undefined) throw new BencodeError('unterminated dictionary', start);
      if (c === C_E) break;
      const keyStart = this.pos;
      if (c < C_0 || c > C_9) throw new BencodeError('dictionary key is not a string', keyStart);
      const keyBytes = this.string();
      const key = bytesToBinary(keyBytes);
      if (previous !== undefined) {
        const order = compareBytes(previous, keyBytes);
        if (order === 0 || out.has(key)) {
          throw new BencodeError('duplicate dictionary key', keyStart);
        }
        if (order > 0 && this.strict) {
          throw new BencodeError('dictionary keys not sorted', keyStart);
        }
      }
      previous = keyBytes;
      const valueStart = this.pos;
      out.set(key, this.value());
      kids?.set(key, { start: valueStart, end: this.pos });
    }
    this.pos++;
    this.depth--;
    if (kids) {
      this.spans!.set(out, { start, end: this.pos });
      this.children!.set(out, kids);
    }
    return out;
  }
}
