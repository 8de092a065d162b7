/**
 * @p2pkit/bittorrent: BitTorrent formats, trackers and peers. Portable entry (no Node built-ins);
 * filesystem helpers live at `@p2pkit/bittorrent/node`.
 */
// Formats and trackers (bt-formats).
export * from './bencode/index.js';
export * from './magnet.js';
export * from './metainfo/index.js';
export * from './tracker/index.js';
