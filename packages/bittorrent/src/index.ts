/**
 * @p2pkit/bittorrent: BitTorrent formats, trackers and peers. Portable entry (no Node built-ins);
 * filesystem helpers live at `@p2pkit/bittorrent/node`.
 */
// Formats and trackers (bt-formats).
export * from './bencode/index.js';
export {
  type ChokeDecision,
  Choker,
  type ChokerOptions,
  type ChokerPeer,
} from './choker/choker.js';
// Peers, storage and the client (bt-peer).
export {
  type AddOptions,
  Client,
  type ClientEvents,
  type ClientOptions,
  createClient,
  type TorrentSource,
} from './client.js';
export * from './magnet.js';
export * from './metainfo/index.js';
export {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  type CryptoMethod,
  MseInitiator,
  type MseInitiatorOptions,
  MseResponder,
  type MseResponderOptions,
  type MseResult,
  type MseStep,
  mseReq2Hash,
} from './mse/handshake.js';
export { RC4 } from './mse/rc4.js';
export {
  type BlockRequest,
  type PickerOptions,
  type PickerPeer,
  PiecePicker,
  type ReceiveResult,
} from './picker/picker.js';
export {
  createMemoryStorage,
  type MemoryStorage,
  type MemoryStorageOptions,
  memoryStorage,
} from './storage/memory.js';
export {
  type Segment,
  type Storage,
  type StorageFactory,
  type StorageLayout,
  segmentsOf,
} from './storage/storage.js';
export { DEFAULT_SETTINGS, type TorrentSettings } from './torrent/settings.js';
export {
  type PeerInfo,
  Torrent,
  type TorrentEvents,
  type TorrentProgress,
  type TorrentState,
} from './torrent/torrent.js';
export * from './tracker/index.js';
export { allowedFastSet } from './wire/allowed-fast.js';
export { Bitfield, type BitfieldIssues } from './wire/bitfield.js';
export { BLOCK_SIZE, HANDSHAKE_LENGTH, MessageId } from './wire/constants.js';
export {
  type EncryptionPolicy,
  type Established,
  handshakeIncoming,
  handshakeOutgoing,
  type IncomingOptions,
  type OutgoingEncryption,
  type OutgoingOptions,
} from './wire/establish.js';
export {
  decodeExtendedHandshake,
  type ExtendedHandshake,
  encodeExtendedHandshake,
} from './wire/extended.js';
export {
  decodeHandshake,
  encodeHandshake,
  featuresOf,
  type Handshake,
  type HandshakeFeatures,
  reservedFor,
} from './wire/handshake.js';
export { type BlockRef, encodeMessage, type WireMessage } from './wire/messages.js';
export {
  decodeMetadataMessage,
  encodeMetadataMessage,
  METADATA_PIECE_SIZE,
  MetadataAssembler,
  type MetadataMessage,
} from './wire/metadata.js';
export { type ParserLimits, WireParser } from './wire/parser.js';
export { PeerWire, type PeerWireEvents, type PeerWireOptions } from './wire/peer.js';
export { createPeerId, formatPeerId, PEER_ID_PREFIX } from './wire/peer-id.js';
