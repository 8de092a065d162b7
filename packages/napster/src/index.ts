/**
 * @p2pkit/napster: an OpenNap-compatible Napster server and client with peer-to-peer transfers,
 * over real TCP and in the p2pkit simulator. See README.md; the wire format is in PROTOCOL.md.
 */

export {
  type BrowseEntry,
  createNapsterClient,
  type DownloadOptions,
  type DownloadResult,
  DownloadUnavailableError,
  NapsterClient,
  type NapsterClientEvents,
  type NapsterClientOptions,
  type SearchResult,
  type SharedFileInfo,
  type ShareSource,
} from './client.js';
export {
  ipToNapster,
  napsterToIp,
} from './fields.js';
export {
  type AddRefusal,
  type Bounds,
  FileIndex,
  type FileIndexOptions,
  type FileRecord,
  type SearchPlan,
} from './index-store.js';
export {
  type ClientMessage,
  type ClientMessageKind,
  type ClientMessageOf,
  clientMessageData,
  decodeClientMessage,
  decodeFrame,
  decodeServerMessage,
  encodeClientMessage,
  encodeFrame,
  encodeServerMessage,
  HEADER_SIZE,
  MAX_DATA_LENGTH,
  MessageType,
  type RawMessage,
  type ServerMessage,
  type ServerMessageKind,
  type ServerMessageOf,
  serverMessageData,
  type UnknownMessage,
} from './messages.js';
export {
  askMetaserver,
  createMetaserver,
  Metaserver,
  type MetaserverOptions,
} from './metaserver.js';
export { isSafeName, localName } from './names.js';
export {
  CONTENT_TYPES,
  type ContentType,
  formatSearchQuery,
  parseSearchQuery,
  type Range,
  type SearchQuery,
  SearchQueryError,
} from './search-query.js';
export {
  createNapsterServer,
  NapsterServer,
  type NapsterServerEvents,
  type NapsterServerOptions,
  type NapsterServerStats,
} from './server.js';
export { isStopword, MAX_TOKEN_BYTES, tokenizeText } from './tokens.js';
export { type FileSource, TransferRefusedError, type TransferTimeouts } from './transfer.js';
