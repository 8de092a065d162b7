/** A node's options (with their defaults and where they come from), events and results. */
import type { Address, Runtime, SharedFolder } from '@p2pkit/core';
import type { FileEntry, SearchResult } from './wire.js';

export type NodeRole = 'supernode' | 'ordinary';

/** How supernodes rank nodes for upload queues and search priority. */
export type ReputationMode =
  /** Levels from transfers other nodes report (default). */
  | 'observed'
  /** The level each node claims in its HELLO, as Kazaa did (Kazaa Lite claims 1000). */
  | 'claimed'
  /** No ranking: first come, first served. */
  | 'off';

/** A file this node shares: its entry, and where the bytes are (when it can serve them). */
export interface LocalFile extends FileEntry {
  /** Name in the shared folder (default: `name`). */
  readonly path?: string;
  /** The piece hashes (served at `/.pieces=`), when known. */
  readonly pieces?: Uint8Array;
}

export interface FastTrackOptions {
  readonly runtime: Runtime;
  /**
   * 'auto' (default): start as an ordinary node, become a supernode when a supernode asks
   * (and the checks pass) or when no supernode can be reached; step down when not needed.
   * 'supernode' and 'ordinary' pin the role.
   */
  readonly role?: NodeRole | 'auto';
  /** Address to listen on (default: the runtime's host); must be IPv4 to be advertised. */
  readonly host?: string;
  /** TCP port for sessions, HTTP and Push (default 1214, FastTrack's; 0 = any free port). */
  readonly port?: number;
  /** Address put in sessions and results (default: the listener's). */
  readonly advertise?: Address;
  /** Supernodes (or any nodes) to bootstrap from. */
  readonly peers?: readonly Address[];
  /** Files served from here, and downloads saved here. */
  readonly folder?: SharedFolder;
  /** Files shared at start (metadata; see shareFolder() to hash a folder). */
  readonly files?: readonly LocalFile[];
  /** We cannot accept inbound connections (behind NAT): results carry the Push flag. */
  readonly firewalled?: boolean;
  /** Our upload capacity in KB/s, as measured or configured (default 0: unknown). */
  readonly uploadKBps?: number;
  /** Participation level we claim in HELLO (default: what our own counts say, 100 at start). */
  readonly claimedLevel?: number;

  /** Supernode: children per supernode the tier aims at (default 100, giFT's ~100:1). */
  readonly targetChildren?: number;
  /** Supernode: children accepted at most (default 2 x targetChildren). */
  readonly maxChildren?: number;
  /** Supernode: supernode links it dials for (default 8). */
  readonly targetPeers?: number;
  /** Supernode: most supernode links (default 32). */
  readonly maxPeers?: number;
  /** Supernode: hops a query travels in the supernode tier, the first included (default 3). */
  readonly queryTtl?: number;
  /** How long a search may take, forwarding included (default 5,000 ms). */
  readonly queryTimeoutMs?: number;
  /** Supernode: entries one child may have in the index (default 5,000). */
  readonly maxSharesPerChild?: number;
  /** Supernode: how levels are obtained (default 'observed'). */
  readonly reputation?: ReputationMode;

  /** Election: least uptime before a node may become a supernode (default 120,000 ms). */
  readonly minUptimeMs?: number;
  /** Election: least upload capacity of a supernode, KB/s, measured by probe (default 16). */
  readonly minUploadKBps?: number;
  /** Election: a supernode under a quarter of its target this long steps down (default 300,000 ms). */
  readonly stepDownAfterMs?: number;
  /** Period of supernode and attachment upkeep (default 5,000 ms). */
  readonly maintenanceIntervalMs?: number;
  /** Period of refresh lists and keep-alive pings (default 30,000 ms). */
  readonly refreshIntervalMs?: number;

  /** Uploads at once; more wait in a queue ordered by level (default 4). */
  readonly uploadSlots?: number;
  /** Requests waiting for an upload slot; more get 503 (default 64). */
  readonly uploadQueue?: number;
  /** How long a download waits for the holder's GIVE after a Push (default 20,000 ms). */
  readonly pushTimeoutMs?: number;
  /** Session request timeout (default 10,000 ms). */
  readonly requestTimeoutMs?: number;
}

export interface SearchOptions {
  signal?: AbortSignal;
  /** Most results (default 100). */
  maxResults?: number;
  /** Only this UUHash. */
  uuhash?: Uint8Array;
  /** Overall time limit (default: the node's queryTimeoutMs plus a second). */
  timeoutMs?: number;
}

export interface SearchAnswer {
  results: SearchResult[];
  /** Supernodes whose index was searched. */
  supernodes: number;
  truncated: boolean;
}

export interface DownloadOptions {
  /** Where the file goes (default: the node's folder). `<name>.part` until complete. */
  folder?: SharedFolder;
  /** Name to save as (default: the results' name, made safe). */
  name?: string;
  signal?: AbortSignal;
  /** Bytes written so far and the size, as pieces are verified. */
  onProgress?: (done: number, size: number) => void;
  /** Most sources used at once (default 4). */
  maxSources?: number;
  /** Pieces asked in one request (default 4 = 1 MiB). */
  spanPieces?: number;
}

export interface DownloadResult {
  name: string;
  size: number;
  /** Bytes fetched in this call (less than size when resumed). */
  fetched: number;
  uuhash: Uint8Array;
  /** Sources that delivered verified pieces. */
  sources: Address[];
  /** Sources dropped for serving bytes that did not match the hashes. */
  rejected: Address[];
  /** Pieces that came through a Push connection. */
  pushed: number;
  elapsedMs: number;
}

export interface NodeStats {
  /** Messages sent and received, by type name (HELLO, QUERY, FORWARD, ...). */
  sent: Record<string, number>;
  received: Record<string, number>;
  /** FORWARDs refused as duplicates. */
  duplicates: number;
  /** Searches answered from this supernode's index. */
  queriesAnswered: number;
  /** Bytes served over HTTP, and fetched into downloads. */
  uploadedBytes: number;
  downloadedBytes: number;
  /** Times this node changed parent, and how long each change took (ms). */
  reparents: number;
  /** Index entries refused by limits (supernode). */
  sharesRefused: number;
  /** Sessions refused because the peer failed the supernode checks. */
  claimsRefused: number;
}

export interface ReparentEvent {
  /** Why: the parent vanished ('lost'), or sent us away ('bye'). */
  cause: 'lost' | 'bye';
  /** From noticing the loss to having our shares in the new parent's index. */
  ms: number;
  parent: Address;
}

export interface FastTrackEvents {
  /** The node's role changed. */
  role: [role: NodeRole];
  /** An ordinary node attached to a parent supernode (first time or again). */
  parent: [parent: Address];
  reparent: [event: ReparentEvent];
  /** Supernode: a child attached or left. */
  child: [address: Address];
  childLeft: [address: Address];
  /** A transfer to another node finished (bytes sent). */
  upload: [bytes: number, to: Address];
  /** Something went wrong that does not stop the node (a bad peer, a refused claim). */
  warning: [error: Error];
}
