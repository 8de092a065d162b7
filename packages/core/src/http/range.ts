/** A byte range of a resource: `start` inclusive, `end` exclusive. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The range a `Range` header asks of a resource of `size` bytes (RFC 9110 §14.1.2):
 * `bytes=a-b`, `bytes=a-` and `bytes=-n`. Returns the range (clamped to the resource),
 * `'unsatisfiable'` (→ 416) when it starts at or past the end or asks for the last 0 bytes, and
 * undefined when the header is absent, malformed or asks for several ranges: the server then
 * ignores it and sends the whole resource, as the RFC allows.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d{0,15})\s*-\s*(\d{0,15})\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first, last] = match;
  if (first === '') {
    if (last === '') return undefined;
    const n = Number(last);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size : Math.min(size, Number(last) + 1);
  return { start, end };
}

/** `Content-Range` for a 206 (`bytes a-b/size`) or, without a range, for a 416 (`bytes *\/size`). */
export function contentRange(range: ByteRange | undefined, size: number): string {
  return range ? `bytes ${range.start}-${range.end - 1}/${size}` : `bytes */${size}`;
}
