/**
 * @p2pkit/gnutella: Gnutella 0.6 servents and ultrapeers (see README.md). This entry is the
 * package's whole public API.
 */
export { cobsDecode, cobsEncode } from './cobs.js';
export {
  type Bye,
  type Descriptor,
  type DescriptorHeader,
  decodeDescriptor,
  decodeHeader,
  decodePayload,
  encodeDescriptor,
  encodePayload,
  HEADER_LENGTH,
  MAX_PAYLOAD_LENGTH,
  type Message,
  PayloadType,
  type Ping,
  type Pong,
  type Push,
  payloadTypeOf,
  type QrpPatch,
  type QrpReset,
  type Query,
  QueryFlags,
  type QueryHit,
  type QueryHitResult,
  type QueryHitTrailer,
  type UnknownMessage,
  type VendorMessage,
} from './descriptors.js';
export {
  findGgep,
  GGEP_MAGIC,
  GGEP_MAX_DATA,
  type GgepExtension,
  readGgep,
  writeGgep,
} from './ggep.js';
export { GUID_LENGTH, type Guid, guidFromHex, guidKey, guidToHex, newGuid } from './guid.js';
export {
  formatConnect,
  formatResponse,
  type HandshakeBlock,
  type HandshakeHeaders,
  HandshakeReader,
  parseTryHeader,
} from './handshake.js';
export type {
  ConnectionInfo,
  DownloadOptions,
  DownloadResult,
  PushRequest,
  RoutingState,
  ServentEvents,
  ServentOptions,
  ServentRole,
  ServentStats,
  SharedFile,
} from './options.js';
export {
  nameMatches,
  QRP_DEFAULT_BITS,
  QRP_DEFAULT_INFINITY,
  QRP_MAX_BITS,
  type QrpEncodeOptions,
  QrpReceiver,
  QueryRouteTable,
  qrpHash,
  qrpKeywords,
  qrpQueryWords,
  qrpUpdate,
  splitWords,
} from './qrp.js';
export { RouteTable, type RouteTableOptions } from './routing.js';
export { Search, type SearchEvents, type SearchHit } from './search.js';
export { createServent, Servent } from './servent.js';
export { formatGiv, type Giv, parseGetTarget, parseGiv } from './transfer.js';
export { normalizeSha1Urn, parseSha1Urn, sha1Urn } from './urn.js';
