import { DecodeError } from '@p2pkit/core';

/**
 * A decoded bencode value.
 *
 * - byte string → `Uint8Array` (a view into the decoded input: copy it if you keep the input
 *   around and mutate it);
 * - integer → `number` when it is a safe integer (|n| ≤ 2^53 − 1), `bigint` otherwise, so no
 *   integer ever loses precision and the common case stays a plain number;
 * - list → `BValue[]`;
 * - dictionary → `Map` keyed by *binary strings*: one UTF-16 code unit per key byte (0..255,
 *   "latin1"). Non-UTF-8 keys survive, and sorting binary strings by code unit is sorting the raw
 *   bytes, as BEP 3 requires. ASCII keys (all the standard ones) read naturally:
 *   `dict.get('piece length')`.
 */
export type BValue = Uint8Array | number | bigint | BValue[] | BDict;
export type BDict = Map<string, BValue>;

/** Values `encode` accepts: `BValue` plus conveniences (strings as UTF-8, plain objects). */
export type BEncodable =
  | Uint8Array
  | string
  | number
  | bigint
  | readonly (BEncodable | undefined)[]
  | ReadonlyMap<string, BEncodable | undefined>
  | { readonly [key: string]: BEncodable | undefined };

/** A half-open byte range [start, end) of the decoded input. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * Malformed bencode: truncated, non-canonical (in strict mode), over a limit, or trailing bytes.
 * A DecodeError (code `ERR_DECODE`); `offset` is where in the input the problem was found.
 */
export class BencodeError extends DecodeError {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`bencode: ${message} at offset ${offset}`);
    this.name = 'BencodeError';
    this.offset = offset;
  }
}
