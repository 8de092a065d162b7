/**
 * @p2pkit/bittorrent/node: the parts that need Node (the filesystem).
 */

export {
  type CreateTorrentFromPathOptions,
  createTorrentFromPath,
  nodeHasher,
} from './create-torrent.js';
export { type FileStorageOptions, fileStorage, UnsafePathError } from './fs-storage.js';
