/**
 * The id operations Pastry needs, each one call into @p2pkit/core (no arithmetic of our own):
 * ids are read as digits in base 2^b, compared by shared prefix length, and compared by numeric
 * distance on the circular id space of 2^m points, both ways round.
 *
 * Every Pastry module goes through this file, so the id representation is chosen in one place.
 */
import {
  idToBytes as coreIdToBytes,
  digitAt,
  digitCount,
  Reader,
  ringDistance,
  sharedPrefixLength,
} from '@p2pkit/core';

/** A Pastry id: an m-bit node id or key. */
export type Id = bigint;

/** The shape of an id space: m-bit ids read as base-2^b digits. */
export interface IdSpace {
  /** Id width in bits. */
  readonly m: number;
  /** Bits per digit. */
  readonly b: number;
  /** Digits in an id: ceil(m/b). */
  readonly digits: number;
  /** Bytes in an id's wire form: ceil(m/8). */
  readonly bytes: number;
}

export function idSpace(m: number, b: number): IdSpace {
  return { m, b, digits: digitCount(m, b), bytes: (m + 7) >>> 3 };
}

/** Digit i (0 = most significant) of `id`. */
export function digit(space: IdSpace, id: Id, i: number): number {
  return digitAt(id, space.m, space.b, i);
}

/** Leading digits `x` and `y` share (space.digits when x == y). */
export function prefix(space: IdSpace, x: Id, y: Id): number {
  return sharedPrefixLength(x, y, space.m, space.b);
}

/** Clockwise distance from a to b. */
export function cw(space: IdSpace, a: Id, b: Id): bigint {
  return ringDistance(a, b, space.m);
}

/** Numeric distance between a and b, the shorter way round. */
export function distance(space: IdSpace, a: Id, b: Id): bigint {
  const d = ringDistance(a, b, space.m);
  const back = ringDistance(b, a, space.m);
  // biome-ignore lint/complexity/useMathMinMax: bigints
  return d < back ? d : back;
}

/**
 * Whether `a` is numerically closer to `key` than `b`. On a tie (key halfway between them) the
 * one clockwise from the key wins, so every node agrees on one closest node.
 */
export function closer(space: IdSpace, key: Id, a: Id, b: Id): boolean {
  const da = distance(space, key, a);
  const db = distance(space, key, b);
  if (da !== db) return da < db;
  return cw(space, key, a) === da && a !== b;
}

/** A sort comparator: numerically closest to `key` first (ties as in `closer`). */
export function byCloseness(space: IdSpace, key: Id): (x: { id: Id }, y: { id: Id }) => number {
  return (x, y) => (x.id === y.id ? 0 : closer(space, key, x.id, y.id) ? -1 : 1);
}

/** The id at `bytes[at..at+space.bytes)`; DecodeError if it has bits above m. */
export function readId(space: IdSpace, bytes: Uint8Array, at: number): Id {
  return new Reader(bytes, at).id(space.m);
}

/** The wire form of an id: space.bytes big-endian bytes. */
export function idBytes(space: IdSpace, id: Id): Uint8Array {
  return coreIdToBytes(id, space.m);
}

/** An id as fixed-width hex (ceil(m/4) digits), as the CLI prints it. */
export function idHex(space: IdSpace, id: Id): string {
  return id.toString(16).padStart(Math.ceil(space.m / 4), '0');
}

/** The id of the number x (0 ≤ x < 2^m). */
export function fromBigint(_space: IdSpace, x: bigint): Id {
  return x;
}

/** An id as a number (the public API speaks bigint). */
export function toBigint(_space: IdSpace, id: Id): bigint {
  return id;
}
