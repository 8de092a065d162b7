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
  qrpUpdate,
  splitWords,
} from './qrp.js';
export { RouteTable, type RouteTableOptions } from './routing.js';
export {
  type ConnectionInfo,
  createServent,
  type PushRequest,
  Search,
  type SearchEvents,
  type SearchHit,
  Servent,
  type ServentEvents,
  type ServentOptions,
  type ServentRole,
  type ServentStats,
  type SharedFile,
} from './servent.js';
export { normalizeSha1Urn, parseSha1Urn, sha1Urn } from './urn.js';
