/**
 * @p2pkit/bittorrent: a BitTorrent client and tracker. This entry is the user's API: the client
 * and its torrents, metainfo and magnet links, bencode, the tracker (server and client), storage
 * and settings. Portable (no Node built-ins); the filesystem parts live at
 * `@p2pkit/bittorrent/node`, simulated swarms at `@p2pkit/bittorrent/scenarios`. The wire, MSE,
 * picker and choker are internal: the tests import them by relative path.
 */

export {
  type BDict,
  type BEncodable,
  type BencodeDecodeOptions,
  BencodeError,
  type BValue,
  bdecode,
  bencode,
} from './bencode/index.js';
// The client and its torrents.
export {
  type AddOptions,
  Client,
  type ClientEvents,
  type ClientOptions,
  createClient,
  type TorrentSource,
} from './client.js';
export {
  formatMagnet,
  MagnetError,
  type MagnetErrorCode,
  type MagnetLink,
  parseMagnet,
} from './magnet.js';
// .torrent files, magnet links, bencode.
export {
  type CreatedTorrent,
  type CreateMetainfoOptions,
  choosePieceLength,
  createMetainfo,
  type Metainfo,
  MetainfoError,
  type MetainfoErrorCode,
  type MetainfoSource,
  type MetainfoSourceFile,
  memorySource,
  type ParseMetainfoOptions,
  parseMetainfo,
  type TorrentFile,
} from './metainfo/index.js';
// Where a torrent's bytes live (the filesystem's is at /node).
export {
  createMemoryStorage,
  type MemoryStorage,
  type MemoryStorageOptions,
  memoryStorage,
} from './storage/memory.js';
export type { Storage, StorageFactory, StorageLayout } from './storage/storage.js';
export { DEFAULT_SETTINGS, type TorrentSettings } from './torrent/settings.js';
export {
  type PeerInfo,
  type PeerStatus,
  Torrent,
  type TorrentEvents,
  type TorrentProgress,
  type TorrentState,
} from './torrent/torrent.js';
// Trackers: an HTTP + UDP tracker, and the client side of both.
export {
  type AnnounceEvent,
  type AnnounceParams,
  type AnnounceResult,
  createTracker,
  createTrackerClient,
  type ScrapeEntry,
  type ScrapeResult,
  type SwarmLimits,
  type TrackerClient,
  type TrackerClientOptions,
  TrackerError,
  type TrackerErrorCode,
  type TrackerPeer,
  type TrackerRequestOptions,
  type TrackerServer,
  type TrackerServerOptions,
  type TrackerStatus,
} from './tracker/index.js';
export type { ConnectionEncryption, EncryptionPolicy } from './wire/establish.js';
export { createPeerId, formatPeerId, PEER_ID_PREFIX } from './wire/peer-id.js';
