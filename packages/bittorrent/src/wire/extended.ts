/**
 * BEP 10 extension protocol: the extended handshake (ext-id 0, a bencoded dictionary). `m` maps
 * extension names to the ids the SENDER wants to receive them as (0 = disabled); when we send
 * extension X to a peer we use the id from that peer's `m`. Unknown keys are ignored.
 */
import { DecodeError } from '@p2pkit/core';
import { asBytes, asDict, asInt, asString, bdecode, bencode } from '../bencode/index.js';

export interface ExtendedHandshake {
  /** Extension name → message id (0 = disabled). */
  readonly m: ReadonlyMap<string, number>;
  /** TCP listen port of the sender. */
  readonly p?: number;
  /** Client name and version. */
  readonly v?: string;
  /** How many outstanding requests the sender queues without dropping (libtorrent: 250). */
  readonly reqq?: number;
  /** BEP 9: size of the info dictionary in bytes. */
  readonly metadataSize?: number;
  /** Our address as the sender sees it (4 or 16 bytes). */
  readonly yourip?: Uint8Array;
}

export function encodeExtendedHandshake(handshake: ExtendedHandshake): Uint8Array {
  return bencode({
    m: new Map([...handshake.m].map(([name, id]) => [name, id])),
    p: handshake.p,
    v: handshake.v,
    reqq: handshake.reqq,
    metadata_size: handshake.metadataSize,
    yourip: handshake.yourip,
  });
}

/** Decodes an extended handshake payload; fields of the wrong type are ignored. Throws DecodeError. */
export function decodeExtendedHandshake(payload: Uint8Array): ExtendedHandshake {
  // Lenient: some clients write unsorted keys; size and depth stay capped.
  const value = bdecode(payload, { strict: false, maxDepth: 8, maxItems: 10_000 });
  const dict = asDict(value);
  if (!dict) throw new DecodeError('extended handshake is not a dictionary');
  const m = new Map<string, number>();
  const mDict = asDict(dict.get('m'));
  if (mDict) {
    for (const [name, id] of mDict) {
      const n = asInt(id);
      if (n !== undefined && n >= 0 && n <= 255) m.set(name, n);
    }
  }
  const int = (key: string, max: number) => {
    const n = asInt(dict.get(key));
    return n !== undefined && n >= 0 && n <= max ? n : undefined;
  };
  const yourip = asBytes(dict.get('yourip'));
  return {
    m,
    p: int('p', 65535),
    v: asString(dict.get('v')),
    reqq: int('reqq', 1_000_000),
    metadataSize: int('metadata_size', Number.MAX_SAFE_INTEGER),
    yourip: yourip && (yourip.length === 4 || yourip.length === 16) ? yourip.slice() : undefined,
  };
}
