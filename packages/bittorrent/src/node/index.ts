/**
 * @p2pkit/bittorrent/node: the parts that need Node (the filesystem).
 */
export { type FileStorageOptions, fileStorage, UnsafePathError } from './fs-storage.js';
