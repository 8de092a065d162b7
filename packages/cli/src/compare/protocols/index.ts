/** Every protocol compare knows, in the lecture's order (central, flooding, structured). */
import type { ProtocolAdapter } from '../types.js';
import { chord } from './chord.js';
import { fasttrack } from './fasttrack.js';
import { gnutella } from './gnutella.js';
import { kelips } from './kelips.js';
import { napster } from './napster.js';
import { pastry } from './pastry.js';

export const ADAPTERS: readonly ProtocolAdapter[] = [
  napster,
  gnutella,
  fasttrack,
  chord,
  pastry,
  kelips,
];

export const PROTOCOL_NAMES: readonly string[] = ADAPTERS.map((a) => a.name);

/**
 * Protocols of p2pkit that compare cannot run yet, and why: named so that asking for one says
 * so instead of "unknown protocol", and never given a row of made-up figures.
 */
export const NOT_YET: Readonly<Record<string, string>> = {
  bittorrent:
    'bittorrent is not in compare yet: its swarm simulation measures downloads, not lookups (p2pkit sim bt)',
};
