// Small helpers shared by core's tests.
import { expect } from 'vitest';
import { isP2PError } from '../src/index.js';

/** Cuts `bytes` at the given positions (any order, duplicates and out-of-range wrap around). */
export function cut(bytes: Uint8Array, positions: number[]): Uint8Array[] {
  const points = [...new Set(positions.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) chunks.push(bytes.slice(from, p));
    from = Math.max(from, p);
  }
  return chunks;
}

/** The parts one after the other, in one new array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What `fn` throws, or what it returns when it does not throw. */
export function catchError(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (error) {
    return error;
  }
}

/** Each function throws a P2PError with `code`. */
export function expectEachThrows(code: string, fns: readonly (() => unknown)[]): void {
  for (const fn of fns) {
    const error = catchError(fn);
    expect(isP2PError(error, code), `${fn.toString()} -> ${String(error)}`).toBe(true);
  }
}
