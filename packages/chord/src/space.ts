/**
 * Chord's ids are core's (`IdSpace`, binary-string ids): one space per id width, shared by every
 * node of that width, so 10^5 simulated nodes of one ring share one space and its scratch.
 */
import { type IdSpace, idSpace } from '@p2pkit/core';

const spaces = new Map<number, IdSpace>();

export function spaceFor(m: number): IdSpace {
  let space = spaces.get(m);
  if (space === undefined) spaces.set(m, (space = idSpace(m)));
  return space;
}
