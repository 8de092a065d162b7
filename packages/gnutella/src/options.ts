/** The servent's options, events and the shapes it hands out. */
import type { Address, Runtime, SharedFolder } from '@p2pkit/core';

/** A file a servent shares. `index` is what Query Hits and `GET /get/<index>/` name. */
export interface SharedFile {
  readonly index: number;
  readonly name: string;
  readonly size: number;
  /** `urn:sha1:...` of the content (HUGE), when known. */
  readonly urn?: string;
}

export type ServentRole = 'ultrapeer' | 'leaf';

export interface ServentOptions {
  readonly runtime: Runtime;
  /**
   * 'ultrapeer', 'leaf', or 'auto' (default): ultrapeer when reachable (not `firewalled`) and
   * `capable`, leaf otherwise (0.6 draft §3.2.1.1 election criteria).
   */
  readonly role?: ServentRole | 'auto';
  /** Enough bandwidth, uptime and sockets to serve as an ultrapeer (default true). */
  readonly capable?: boolean;
  /** Behind a firewall/NAT: hits carry the push flag and downloads need a Push. */
  readonly firewalled?: boolean;
  /** Address and port to listen on (defaults: the runtime's host, any free port). */
  readonly host?: string;
  readonly port?: number;
  /** Address put in Pongs, Query Hits and Listen-IP (default: the listener's). */
  readonly advertise?: Address;
  /** Port downloads are served on, when not the Gnutella port (default: the Gnutella port). */
  readonly httpPort?: number;
  readonly files?: readonly SharedFile[];
  /** Servents to connect to at start. */
  readonly peers?: readonly Address[];
  /** Ultrapeer: most ultrapeer connections accepted (default 32, LimeWire's X-Degree). */
  readonly maxUltrapeers?: number;
  /** Ultrapeer: ultrapeer connections it dials for (default 6). */
  readonly targetUltrapeers?: number;
  /** Ultrapeer: most leaves (default 30). */
  readonly maxLeaves?: number;
  /** Leaf: ultrapeers it keeps (default 3; the spec sheet says 2-3). */
  readonly leafUltrapeers?: number;
  /** Dial from the host cache to keep the counts above (default true). */
  readonly maintain?: boolean;
  /** TTL + hops ceiling; larger is clamped (default 7). */
  readonly maxTtl?: number;
  /** TTL of our own queries (default 7). */
  readonly queryTtl?: number;
  /** Pong caching (0.6): answer Pings from a cache instead of flooding them (default true). */
  readonly pongCaching?: boolean;
  /** Interval of our Pings (cache refresh, or flooded pings without caching); 0 = never (default 3000). */
  readonly pingIntervalMs?: number;
  /** Offer deflate stream compression (default true). */
  readonly deflate?: boolean;
  /** QRP table size, log2 (default 16). */
  readonly qrpBits?: number;
  /**
   * Ultrapeer: exchange QRP tables with ultrapeer peers that offer it (X-Ultrapeer-Query-Routing)
   * and send a query on its last hop (TTL 1) only to the peers whose table matches (default true).
   */
  readonly ultrapeerQueryRouting?: boolean;
  /** Ultrapeer: delay before its peers get its table after a leaf's table changed (default 1000). */
  readonly ultrapeerTableDelayMs?: number;
  readonly userAgent?: string;
  /** 4-character vendor code in Query Hits (default P2PK). */
  readonly vendor?: string;
  /** Speed in kbit/s announced in Query Hits (default 1000). */
  readonly speedKbps?: number;
  readonly handshakeTimeoutMs?: number;
  /** Per-connection send queue limit, bytes (default 256 KiB). */
  readonly maxQueuedBytes?: number;
  /**
   * The folder downloads are served from (HTTP on the Gnutella port, and after a Push). Without
   * one, Query Hits are still answered but nothing is served.
   */
  readonly folder?: SharedFolder;
  /** Uploads at once; more get 503 Busy (default 8). */
  readonly maxUploads?: number;
  /** How long a download waits for the GIV after sending a Push (default 30 s). */
  readonly pushTimeoutMs?: number;
}

export interface DownloadOptions {
  /** Where the file goes (`<name>.part` until complete and verified). */
  readonly folder: SharedFolder;
  readonly signal?: AbortSignal;
  /** Called as bytes arrive: (bytes so far, total). */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface DownloadResult {
  /** The file's name in the folder. */
  readonly name: string;
  readonly size: number;
  /** Bytes fetched by this call (less than size when a `.part` was resumed). */
  readonly fetched: number;
  readonly urn: string;
  /** The holder was firewalled and connected back to us (Push/GIV). */
  readonly pushed: boolean;
}

export interface PushRequest {
  readonly index: number;
  /** Where to connect to and send GIV. */
  readonly host: string;
  readonly port: number;
}

export interface ServentEvents {
  /** A connection finished its handshake. */
  connect: [peer: ConnectionInfo];
  disconnect: [peer: ConnectionInfo];
  /** A Push addressed to us: connect back to host:port and send GIV. */
  push: [request: PushRequest];
  /** A query we answered with hits (for logs). */
  answered: [criteria: string, results: number];
}

export interface ConnectionInfo {
  readonly id: number;
  readonly remote: Address;
  readonly ultrapeer: boolean;
  readonly outgoing: boolean;
  readonly userAgent: string;
  readonly deflate: boolean;
}

/** Descriptors sent and received by payload type name, for measurements. */
export interface ServentStats {
  readonly sent: Record<string, number>;
  readonly received: Record<string, number>;
  /** Descriptors dropped: duplicates, TTL rules, unknown routes, full queues. */
  readonly dropped: Record<string, number>;
  /** Bytes of the descriptors sent, by type (header included, before stream compression). */
  readonly sentBytes: Record<string, number>;
}

/** What a servent keeps in order to route (`Servent.routingState()`). */
export interface RoutingState {
  /** Open Gnutella connections (its neighbour table). */
  connections: number;
  /** Reverse-path entries: GUIDs seen, and where Pongs, Query Hits and Pushes go back. */
  guidRoutes: number;
  /** QRP tables held (an ultrapeer's, one per leaf). */
  qrpTables: number;
  /** Estimated bytes of all that: 6 per connection address, 16 + 4 per GUID route, one per QRP slot. */
  bytes: number;
}
