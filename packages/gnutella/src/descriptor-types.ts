/** The Gnutella 0.6 descriptors as values: the header, every payload, type bytes and flags. */
import type { GgepExtension } from './ggep.js';
import type { Guid } from './guid.js';

/** Payload type byte of each descriptor (header offset 16). */
export const PayloadType = {
  Ping: 0x00,
  Pong: 0x01,
  Bye: 0x02,
  RouteTableUpdate: 0x30,
  VendorExperimental: 0x31,
  Vendor: 0x32,
  Push: 0x40,
  Query: 0x80,
  QueryHit: 0x81,
} as const;

export const HEADER_LENGTH = 23;
/** Hard receive cap on a payload (spec sheet §2.6): larger is treated as desync. */
export const MAX_PAYLOAD_LENGTH = 65_536;

/** Query "MinSpeed" flags, read as a u16le: they all live in the first payload byte. */
export const QueryFlags = {
  /** The field holds flags, not a speed. */
  Modern: 0x0080,
  /** The querier is firewalled: a firewalled servent should not answer. */
  Firewalled: 0x0040,
  Xml: 0x0020,
  LeafGuided: 0x0010,
  GgepH: 0x0008,
  OutOfBand: 0x0004,
  FirewallToFirewall: 0x0002,
} as const;

/** The fixed 23-byte descriptor header. */
export interface DescriptorHeader {
  readonly guid: Guid;
  readonly type: number;
  readonly ttl: number;
  readonly hops: number;
  /** Payload length in bytes. */
  readonly length: number;
}

export interface Ping {
  readonly kind: 'ping';
  readonly ggep?: readonly GgepExtension[];
}

export interface Pong {
  readonly kind: 'pong';
  readonly port: number;
  readonly ip: string;
  readonly files: number;
  readonly kilobytes: number;
  readonly ggep?: readonly GgepExtension[];
}

export interface Query {
  readonly kind: 'query';
  /** The raw 16-bit field (see QueryFlags). */
  readonly minSpeed: number;
  readonly criteria: string;
  /** HUGE extensions: `urn:sha1:...`, or a bare `urn:` asking for urns in hits. */
  readonly urns: readonly string[];
  readonly xml?: string;
  readonly ggep?: readonly GgepExtension[];
  /** Extension parts we do not interpret, kept so they can be forwarded unchanged. */
  readonly unknownExtensions?: readonly Uint8Array[];
}

export interface QueryHitResult {
  readonly index: number;
  readonly size: number;
  readonly name: string;
  readonly urns: readonly string[];
  readonly ggep?: readonly GgepExtension[];
  readonly unknownExtensions?: readonly Uint8Array[];
}

/**
 * The extended query hit descriptor (EQHD) between the results and the servent id. A flag is
 * undefined when the sender did not mark it meaningful.
 */
export interface QueryHitTrailer {
  /** Four ASCII characters: LIME, GTKG, BEAR, RAZA, ... (ours: P2PK). */
  readonly vendor: string;
  /** The responder is firewalled: download it through a Push. */
  readonly push?: boolean;
  readonly busy?: boolean;
  readonly uploaded?: boolean;
  readonly measuredSpeed?: boolean;
  readonly ggep?: readonly GgepExtension[];
  readonly xml?: Uint8Array;
}

export interface QueryHit {
  readonly kind: 'queryhit';
  /** Where to download from: the responder's HTTP (= Gnutella) port and address. */
  readonly port: number;
  readonly ip: string;
  /** kbit/s. */
  readonly speed: number;
  readonly results: readonly QueryHitResult[];
  readonly trailer?: QueryHitTrailer;
  /** Trailer bytes we could not parse as an EQHD, kept raw. */
  readonly extra?: Uint8Array;
  /** The responder's servent GUID: always the last 16 bytes. */
  readonly serventId: Guid;
}

export interface Push {
  readonly kind: 'push';
  readonly serventId: Guid;
  readonly index: number;
  /** Where the firewalled servent should connect back to. */
  readonly ip: string;
  readonly port: number;
  readonly ggep?: readonly GgepExtension[];
}

export interface Bye {
  readonly kind: 'bye';
  readonly code: number;
  readonly reason: string;
}

export interface QrpReset {
  readonly kind: 'qrp-reset';
  readonly tableLength: number;
  readonly infinity: number;
}

export interface QrpPatch {
  readonly kind: 'qrp-patch';
  readonly seqNo: number;
  readonly seqSize: number;
  /** 0 none, 1 zlib. */
  readonly compressor: number;
  /** 4 or 8. */
  readonly entryBits: number;
  readonly data: Uint8Array;
}

export interface VendorMessage {
  readonly kind: 'vendor';
  /** Type 0x31 (experimental) rather than 0x32. */
  readonly experimental: boolean;
  readonly vendor: string;
  readonly selector: number;
  readonly version: number;
  readonly data: Uint8Array;
}

/** A payload type we do not know: skipped by the servent, kept for logging. */
export interface UnknownMessage {
  readonly kind: 'unknown';
  readonly type: number;
  readonly payload: Uint8Array;
}

export type Message =
  | Ping
  | Pong
  | Query
  | QueryHit
  | Push
  | Bye
  | QrpReset
  | QrpPatch
  | VendorMessage
  | UnknownMessage;

/** A whole descriptor: header fields and the decoded payload. */
export interface Descriptor<M extends Message = Message> {
  readonly guid: Guid;
  readonly ttl: number;
  readonly hops: number;
  readonly message: M;
}
