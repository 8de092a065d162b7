import type { BEncodable } from './types.js';

const MAX_DEPTH = 256;
const textEncoder = new TextEncoder();

/**
 * Encodes a value as canonical bencode: integers in shortest form, dictionary keys sorted by raw
 * bytes. `string` values are written as UTF-8; dictionary keys (of a `Map` or a plain object)
 * are binary strings (one char per byte, see `bytesToBinary`), which for ASCII keys is the same
 * thing. `undefined` dictionary entries are skipped, which makes optional fields easy.
 *
 * Throws TypeError on what bencode cannot express (floats, unsafe numbers, booleans, null,
 * keys with chars above 0xFF, nesting deeper than 256 — which also catches cycles).
 */
export function bencode(value: BEncodable): Uint8Array {
  const sink = new Sink();
  write(sink, value, 0);
  return sink.finish();
}

class Sink {
  buf = new Uint8Array(256);
  len = 0;

  reserve(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  ascii(text: string): void {
    this.reserve(text.length);
    for (let i = 0; i < text.length; i++) this.buf[this.len++] = text.charCodeAt(i);
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function writeBytes(sink: Sink, data: Uint8Array): void {
  sink.ascii(String(data.length));
  sink.byte(0x3a);
  sink.bytes(data);
}

function writeBinaryKey(sink: Sink, key: string): void {
  sink.ascii(String(key.length));
  sink.byte(0x3a);
  sink.reserve(key.length);
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code > 0xff) {
      throw new TypeError(`bencode: dictionary key is not a binary string (char code ${code})`);
    }
    sink.buf[sink.len++] = code;
  }
}

function write(sink: Sink, value: BEncodable, depth: number): void {
  if (value instanceof Uint8Array) {
    writeBytes(sink, value);
    return;
  }
  switch (typeof value) {
    case 'string':
      writeBytes(sink, textEncoder.encode(value));
      return;
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new TypeError(`bencode: cannot encode ${value} (integers only, |n| <= 2^53-1)`);
      }
      // Object.is catches -0, which must be written as i0e.
      sink.ascii(`i${Object.is(value, -0) ? 0 : value}e`);
      return;
    case 'bigint':
      sink.ascii(`i${value}e`);
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`bencode: cannot encode a ${typeof value}`);
  }
  if (value === null) throw new TypeError('bencode: cannot encode null');
  if (depth >= MAX_DEPTH) throw new TypeError('bencode: nesting too deep (or a cycle)');
  if (Array.isArray(value)) {
    sink.byte(0x6c);
    for (const item of value as readonly (BEncodable | undefined)[]) {
      if (item === undefined) throw new TypeError('bencode: cannot encode undefined in a list');
      write(sink, item, depth + 1);
    }
    sink.byte(0x65);
    return;
  }
  const entries: [string, BEncodable][] = [];
  if (value instanceof Map) {
    for (const [k, v] of value as ReadonlyMap<string, BEncodable | undefined>) {
      if (typeof k !== 'string') throw new TypeError('bencode: dictionary keys must be strings');
      if (v !== undefined) entries.push([k, v]);
    }
  } else {
    for (const k of Object.keys(value)) {
      const v = (value as { readonly [key: string]: BEncodable | undefined })[k];
      if (v !== undefined) entries.push([k, v]);
    }
  }
  // Binary strings compare by code unit = by raw byte: exactly BEP 3's order.
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  sink.byte(0x64);
  for (const [k, v] of entries) {
    writeBinaryKey(sink, k);
    write(sink, v, depth + 1);
  }
  sink.byte(0x65);
}
