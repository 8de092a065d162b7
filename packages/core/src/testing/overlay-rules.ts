import type { Address } from '../runtime.js';

/** A node as the overlay suite sees it. */
export interface OverlayNode {
  /** Its m-bit overlay id. */
  readonly id: bigint;
  readonly address: Address;
}

/**
 * Who is responsible for a key among the live nodes: the overlay's own rule, which the suite's
 * oracle applies to judge every lookup.
 */
export type ResponsibleRule = (key: bigint, live: readonly OverlayNode[], m: number) => OverlayNode;

/** Chord's rule: the first live node whose id is at or after key, wrapping around the ring. */
export function successorOf(key: bigint, live: readonly OverlayNode[]): OverlayNode {
  let best: OverlayNode | undefined;
  let lowest: OverlayNode | undefined;
  for (const n of live) {
    if (n.id >= key && (best === undefined || n.id < best.id)) best = n;
    if (lowest === undefined || n.id < lowest.id) lowest = n;
  }
  const owner = best ?? lowest;
  if (owner === undefined) throw new RangeError('no live node');
  return owner;
}

/**
 * Pastry's rule: the live node numerically closest to key on the 2^m ring (distance measured
 * both ways round); on a tie, the one with the lower id.
 */
export function numericallyClosest(
  key: bigint,
  live: readonly OverlayNode[],
  m: number,
): OverlayNode {
  const size = 1n << BigInt(m);
  let best: OverlayNode | undefined;
  let bestDistance = 0n;
  for (const n of live) {
    const d = n.id >= key ? n.id - key : key - n.id;
    const distance = d < size - d ? d : size - d;
    if (
      best === undefined ||
      distance < bestDistance ||
      (distance === bestDistance && n.id < best.id)
    ) {
      best = n;
      bestDistance = distance;
    }
  }
  if (best === undefined) throw new RangeError('no live node');
  return best;
}

/**
 * Hop bounds the suite checks on every lookup of a converged overlay of n nodes (the papers'
 * bounds with the slack the issue allows): Chord log2 N + 2, Pastry ⌈log_2^b N⌉ + 1, Kelips 2
 * (with complete soft state).
 */
export const hopBounds = {
  chord: (n: number): number => Math.log2(n) + 2,
  pastry:
    (b = 4) =>
    (n: number): number =>
      Math.ceil(Math.log(n) / Math.log(2 ** b)) + 1,
  kelips: (_n: number): number => 2,
} as const;
