/**
 * The name, one of the two building blocks every Kelips message body is made of; the other, the
 * address, is core's address codec (the envelope's layout: ENVELOPE.md in @p2pkit/core).
 * PROTOCOL.md ("Address", "Name") documents the bytes.
 */
import { DecodeError, P2PError, type Reader, utf8Length, type Writer } from '@p2pkit/core';

/** Longest file name, in UTF-8 bytes (the length is one byte; 0 is refused). */
export const MAX_NAME_LENGTH = 255;

/** Checks a name and returns its UTF-8 length (P2PError `ERR_INVALID_ARGUMENT` if unusable). */
export function checkName(name: string): number {
  const n = utf8Length(name);
  if (n === 0 || n > MAX_NAME_LENGTH) {
    throw new P2PError(
      `a name must be 1..${MAX_NAME_LENGTH} bytes of UTF-8, got ${n}`,
      'ERR_INVALID_ARGUMENT',
    );
  }
  return n;
}

/** Writes a name: its UTF-8 length (one byte, 1..255), then the bytes. */
export function writeName(w: Writer, name: string): void {
  w.u8(checkName(name)).utf8(name);
}

/** Reads a name written by writeName. */
export function readName(r: Reader): string {
  const n = r.u8();
  if (n === 0) throw new DecodeError('empty name');
  return r.utf8(n);
}
