/**
 * Peer ids (BEP 20, Azureus style): `-PK0001-` followed by 12 random bytes. Peer ids are raw
 * bytes: never assume they are ASCII or UTF-8.
 */
import type { Random } from '@p2pkit/core';

/** Our client prefix: PK = p2pkit, version 0001. */
export const PEER_ID_PREFIX = '-PK0001-';

/** A fresh peer id: the prefix and 12 bytes from `random`. */
export function createPeerId(random: Random, prefix: string = PEER_ID_PREFIX): Uint8Array {
  if (prefix.length > 20) throw new RangeError('peer id prefix longer than 20 bytes');
  const id = new Uint8Array(20);
  for (let i = 0; i < prefix.length; i++) id[i] = prefix.charCodeAt(i) & 0xff;
  id.set(random.bytes(20 - prefix.length), prefix.length);
  return id;
}

/** A readable form for logs: printable ASCII kept, the rest as %XX. */
export function formatPeerId(id: Uint8Array): string {
  let out = '';
  for (const byte of id) {
    out +=
      byte >= 0x21 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}
