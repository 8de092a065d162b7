/**
 * The data part of a Napster message: ASCII-ish fields separated by spaces, some of them in
 * double quotes with no escaping (drscholl's "napster messages" §1). The reading rules are
 * OpenNap's `next_arg`: skip spaces; a field that starts with `"` runs to the next `"`;
 * any other field runs to the next space.
 */
import { DecodeError, ipv4ToUint32, P2PError } from '@p2pkit/core';

const SPACE = 0x20;
const QUOTE = 0x22;

/** A cursor over one message's data string. */
export class FieldReader {
  private pos = 0;

  constructor(readonly text: string) {}

  /** True when only spaces remain. */
  atEnd(): boolean {
    this.skipSpaces();
    return this.pos >= this.text.length;
  }

  /** The next space-delimited field; a leading `"` is not special. DecodeError at the end. */
  word(name: string): string {
    if (this.atEnd()) throw new DecodeError(`missing field ${name}`);
    const start = this.pos;
    const end = this.text.indexOf(' ', start);
    this.pos = end < 0 ? this.text.length : end;
    const word = this.text.slice(start, this.pos);
    // A quote starts a quoted field in OpenNap's parser: inside a bare word it is malformed,
    // and a word with one could not be written back (a nick echoed in 302, 209, 210...).
    if (word.includes('"')) throw new DecodeError(`${name} has a quote: ${clip(word)}`);
    return word;
  }

  /**
   * A field that may be quoted: `"…"` up to the next quote (spaces allowed inside), or, as
   * OpenNap accepts, a bare word. An unterminated quote is a DecodeError.
   */
  quoted(name: string): string {
    if (this.atEnd()) throw new DecodeError(`missing field ${name}`);
    if (this.text.charCodeAt(this.pos) !== QUOTE) return this.word(name);
    const start = this.pos + 1;
    const end = this.text.indexOf('"', start);
    if (end < 0) throw new DecodeError(`unterminated quote in field ${name}`);
    this.pos = end + 1;
    return this.text.slice(start, end);
  }

  /** A decimal integer in [0, max]. */
  integer(name: string, max: number): number {
    const word = this.word(name);
    return parseDecimal(word, name, max);
  }

  /** Everything after the separating spaces, verbatim (inner spaces kept); '' at the end. */
  rest(): string {
    this.skipSpaces();
    const out = this.text.slice(this.pos);
    this.pos = this.text.length;
    return out;
  }

  private skipSpaces(): void {
    const t = this.text;
    while (this.pos < t.length && t.charCodeAt(this.pos) === SPACE) this.pos++;
  }
}

/** Parses an unsigned decimal (digits only, at most 16 of them) no larger than `max`. */
export function parseDecimal(word: string, name: string, max: number): number {
  const n = word.length;
  if (n === 0 || n > 16) throw new DecodeError(`field ${name} is not a number: ${clip(word)}`);
  let value = 0;
  for (let i = 0; i < n; i++) {
    const d = word.charCodeAt(i) - 48;
    if (d < 0 || d > 9) throw new DecodeError(`field ${name} is not a number: ${clip(word)}`);
    value = value * 10 + d;
  }
  if (value > max) throw new DecodeError(`field ${name} out of range: ${value} > ${max}`);
  return value;
}

/** A short, printable excerpt of peer input for error messages. */
export function clip(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

/** Checks that `value` can be written as a bare word: non-empty, no space, no quote. */
export function checkWord(value: string, name: string): string {
  if (value.length === 0 || value.includes(' ') || value.includes('"')) {
    throw new P2PError(
      `${name} must be a non-empty word without spaces or quotes: ${clip(value)}`,
      'ERR_INVALID_ARGUMENT',
    );
  }
  return value;
}

/** Checks that `value` can be written between quotes: the protocol has no escape for `"`. */
export function checkQuotable(value: string, name: string): string {
  if (value.includes('"')) {
    throw new P2PError(
      `${name} cannot contain a double quote (the protocol has no escape): ${clip(value)}`,
      'ERR_INVALID_ARGUMENT',
    );
  }
  return value;
}

/** Checks an integer field before writing it. */
export function checkInteger(value: number, name: string, max: number): number {
  if (!(Number.isSafeInteger(value) && value >= 0 && value <= max)) {
    throw new P2PError(
      `${name} must be an integer in [0, ${max}]: ${value}`,
      'ERR_INVALID_ARGUMENT',
    );
  }
  return value;
}

/**
 * A dotted IPv4 address as Napster writes it: a decimal u32 whose least significant byte is the
 * first octet (a.b.c.d → a + 256·b + 65536·c + 16777216·d; drscholl's example 3437166285 is
 * 205.254.222.204). Anything that is not a dotted quad (a simulated host name) maps to 0.
 */
export function ipToNapster(host: string): number {
  const v = ipv4ToUint32(host);
  if (v < 0) return 0;
  // Byte-swap the big-endian value: the first octet becomes the low byte.
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** The dotted form of a Napster decimal IP (see ipToNapster). */
export function napsterToIp(value: number): string {
  const v = value >>> 0;
  return `${v & 0xff}.${(v >>> 8) & 0xff}.${(v >>> 16) & 0xff}.${v >>> 24}`;
}
