import { decodeUtf8 } from './binary.js';
import type { BDict, BValue } from './types.js';

/**
 * Typed views of decoded values. Each returns undefined when the value is absent or of another
 * type, so the caller decides what a missing or mistyped field means for its format.
 */

export function asBytes(value: BValue | undefined): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined;
}

/** A byte string holding valid UTF-8, as text. */
export function asString(value: BValue | undefined): string | undefined {
  return value instanceof Uint8Array ? decodeUtf8(value) : undefined;
}

/** A safe integer (bigints, which only decode beyond 2^53, are refused). */
export function asInt(value: BValue | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

export function asList(value: BValue | undefined): BValue[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

export function asDict(value: BValue | undefined): BDict | undefined {
  return value instanceof Map ? value : undefined;
}
