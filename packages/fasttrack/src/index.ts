/**
 * @p2pkit/fasttrack: see README.md. This entry is the package's whole public API.
 */

export { DEFAULT_PORT } from './defaults.js';
export { FastTrackNode } from './node.js';
export type {
  DownloadOptions,
  DownloadResult,
  FastTrackEvents,
  FastTrackOptions,
  LocalFile,
  NodeRole,
  NodeStats,
  ReparentEvent,
  ReputationMode,
  SearchAnswer,
  SearchOptions,
} from './options.js';
export {
  ContentHasher,
  type ContentHashes,
  HASH_LENGTH,
  hashContent,
  hashFromHex,
  hashToHex,
  PIECE_SIZE,
  pieceCount,
  UUHASH_CHUNK,
  uuhashChecksum,
} from './uuhash.js';
export {
  type FileEntry,
  type SearchResult,
  type SupernodeEntry,
  TAG_IDS,
  type TagName,
  type Tags,
} from './wire.js';
