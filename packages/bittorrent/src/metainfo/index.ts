export {
  type CreatedTorrent,
  type CreateMetainfoOptions,
  createMetainfo,
  type MetainfoSource,
  type MetainfoSourceFile,
  memorySource,
} from './create.js';
export { MetainfoError, type MetainfoErrorCode } from './errors.js';
export {
  type ParseMetainfoOptions,
  parseInfoDictionary,
  parseMetainfo,
  pieceHash,
  pieceSize,
} from './parse.js';
export { checkPath, checkPathComponent } from './paths.js';
export { choosePieceLength } from './piece-length.js';
export type { Metainfo, TorrentFile } from './types.js';
