/** Every protocol compare knows, in the lecture's order (central, flooding, structured), then the swarm. */
import type { ProtocolAdapter } from '../types.js';
import { bittorrent } from './bittorrent.js';
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
  // Not a lookup protocol: its row is the tracker and the swarm.
  bittorrent,
];

export const PROTOCOL_NAMES: readonly string[] = ADAPTERS.map((a) => a.name);

/** The adapter of one protocol, by name. */
export function adapter(name: string): ProtocolAdapter {
  const a = ADAPTERS.find((x) => x.name === name);
  if (!a) throw new Error(`unknown protocol ${name}`);
  return a;
}

/**
 * Protocols of p2pkit that compare cannot run yet, and why: named so that asking for one says
 * so instead of "unknown protocol", and never given a row of made-up figures. (None today.)
 */
export const NOT_YET: Readonly<Record<string, string>> = {};
