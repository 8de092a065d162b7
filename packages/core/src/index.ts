/**
 * @p2pkit/core: what every p2pkit protocol stands on. This entry is portable (no Node
 * built-ins); real sockets live at `@p2pkit/core/node`, test suites at `@p2pkit/core/testing`.
 */
export { formatAddress, ipv4ToUint32, parseAddress, sameAddress } from './address.js';
export {
  BoundedMap,
  type BoundedMapOptions,
  type EvictionReason,
} from './bounded-map.js';
export { createManualClock, type ManualClock } from './clock-manual.js';
export { sleepOn } from './clock-sleep.js';
export {
  ADDRESS_FAMILY_IPV4,
  ADDRESS_FAMILY_NAME,
  addressLength,
  encodeAddress,
  MAX_ADDRESS_NAME_BYTES,
  readAddress,
  writeAddress,
} from './codec/address.js';
export { allocBytes } from './codec/alloc.js';
export { decodeBase32, encodeBase32 } from './codec/base32.js';
export { ByteQueue, type ReadLineOptions } from './codec/byte-queue.js';
export { concatBytes, equalBytes } from './codec/bytes.js';
export {
  encodeFrame,
  FrameDecoder,
  type FrameDecoderOptions,
  type FrameHeaderLayout,
  type FramePrefix,
} from './codec/framing.js';
export { Reader } from './codec/reader.js';
export { utf8Length, Writer } from './codec/writer.js';
export { Emitter, type EventMap } from './emitter.js';
export {
  type Contact,
  type DecodeEnvelopeOptions,
  decodeEnvelope,
  ENVELOPE_VERSION,
  type Envelope,
  type EnvelopeKind,
  encodeEnvelope,
  envelopeOverhead,
  MAX_CONTACT_ID_LENGTH,
} from './envelope.js';
export {
  AbortError,
  abortErrorFrom,
  DecodeError,
  isP2PError,
  NetworkError,
  type NetworkErrorCode,
  P2PError,
  ProtocolError,
  TimeoutError,
  throwIfAborted,
} from './errors.js';
export {
  createMemoryFolder,
  MemoryFolder,
  type MemoryFolderOptions,
} from './folder/memory.js';
export {
  checkPathComponent,
  checkPathComponents,
  MAX_COMPONENT_BYTES,
  MAX_PATH_DEPTH,
  splitSafePath,
  UnsafePathError,
} from './folder/path.js';
export {
  type HashProgress,
  type ListOptions,
  PART_SUFFIX,
  type PartialFile,
  type ReadOptions,
  type SharedFile,
  type SharedFolder,
  type WriteOptions,
} from './folder/types.js';
export { HashRing, type HashRingOptions } from './hash-ring.js';
export { HttpBody } from './http/body.js';
export {
  type HttpRequestOptions,
  type HttpResponse,
  type HttpTarget,
  httpRequest,
  parseHttpUrl,
} from './http/client.js';
export { type HttpLimits, HttpParseError } from './http/head.js';
export { type ByteRange, contentRange, parseRange } from './http/range.js';
export {
  type ByteSource,
  createHttpServer,
  type HttpHandler,
  type HttpResponseBody,
  type HttpServeOptions,
  type HttpServer,
  type HttpServerOptions,
  type HttpServerRequest,
  type HttpServerResponse,
  serveHttp,
} from './http/server.js';
export { type Id, IdSpace, type IdSpaceOptions, idSpace } from './id-space.js';
export { idFromBytes, idToBytes, keyId, nodeId, truncateId } from './ids.js';
export {
  createLogger,
  isNamespaceEnabled,
  type LoggerOptions,
  type LogRecord,
  type LogSink,
} from './log.js';
export {
  createMemoryNetwork,
  type MemoryNetwork,
  type MemoryNetworkOptions,
  type MemoryRuntimeOptions,
} from './memory/network.js';
export { createRandom, type Seed } from './random.js';
export {
  addPow2,
  assertId,
  bitLength,
  digitAt,
  digitCount,
  digits,
  inClosedOpen,
  inHalfOpen,
  inOpen,
  modK,
  ringAdd,
  ringDistance,
  ringSize,
  sharedPrefixLength,
  xorDistance,
} from './ring.js';
export { createDatagramRpc, type DatagramRpcOptions } from './rpc/datagram.js';
export { createStreamRpc, type StreamRpcOptions } from './rpc/stream.js';
export {
  type DatagramRpc,
  RemoteError,
  type RequestOptions,
  type RpcEndpoint,
  type RpcHandler,
  type RpcOptions,
  type RpcRequest,
  type RpcResponse,
  type RpcStats,
  type StreamRpc,
  type StreamRpcEvents,
} from './rpc/types.js';
export type {
  Address,
  BindOptions,
  Clock,
  Connection,
  ConnectionEvents,
  DatagramHandler,
  DatagramSocket,
  DialOptions,
  Events,
  Hasher,
  Listener,
  ListenOptions,
  Logger,
  Network,
  Random,
  Runtime,
  TimerHandle,
} from './runtime.js';
export { sha1 } from './sha1.js';
