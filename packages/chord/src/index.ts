/**
 * @p2pkit/chord: Chord (SIGCOMM 2001, IEEE/ACM ToN 2003) with a replicated key-value store, on
 * real UDP and in the p2pkit simulator. See README.md; the wire format is in PROTOCOL.md.
 */
export { ChordNode, createChordNode } from './node.js';
export type { ChordOptions } from './options.js';
export type {
  ChordContact,
  ChordEvents,
  ChordStats,
  LookupAnswer,
  LookupOptions,
  RingEntry,
} from './types.js';
