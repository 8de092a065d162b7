import { DecodeError, type Random } from '@p2pkit/core';

/** A 16-byte Gnutella GUID: message ids and servent identifiers. */
export type Guid = Uint8Array;

export const GUID_LENGTH = 16;

/**
 * A fresh random GUID marked as coming from a "modern" servent: byte 8 is 0xFF and byte 15 is
 * 0x00 (0.6 draft §2.2.1).
 */
export function newGuid(random: Random): Guid {
  const guid = random.bytes(GUID_LENGTH);
  guid[8] = 0xff;
  guid[15] = 0x00;
  return guid;
}

const HEX = '0123456789ABCDEF';

/** 32 upper-case hex digits, as GIV lines and logs write a GUID. */
export function guidToHex(guid: Guid): string {
  let s = '';
  for (let i = 0; i < guid.length; i++) {
    const b = guid[i]!;
    s += HEX[b >> 4]! + HEX[b & 15]!;
  }
  return s;
}

/** Parses 32 hex digits (either case) into a GUID; DecodeError otherwise. */
export function guidFromHex(text: string): Guid {
  if (!/^[0-9a-fA-F]{32}$/.test(text)) throw new DecodeError(`not a 32-digit hex GUID: ${text}`);
  const guid = new Uint8Array(GUID_LENGTH);
  for (let i = 0; i < GUID_LENGTH; i++) guid[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return guid;
}

/**
 * A string key for maps keyed by GUID (routing tables, duplicate detection): 16 bytes as 16
 * char codes, cheaper to build and hash than hex.
 */
export function guidKey(guid: Guid): string {
  return String.fromCharCode(
    guid[0]!,
    guid[1]!,
    guid[2]!,
    guid[3]!,
    guid[4]!,
    guid[5]!,
    guid[6]!,
    guid[7]!,
    guid[8]!,
    guid[9]!,
    guid[10]!,
    guid[11]!,
    guid[12]!,
    guid[13]!,
    guid[14]!,
    guid[15]!,
  );
}
