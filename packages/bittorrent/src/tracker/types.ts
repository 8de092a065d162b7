import type { TrackerPeer } from './compact.js';

/** `started` first, `completed` once when the download finishes, `stopped` when leaving. */
export type AnnounceEvent = 'started' | 'completed' | 'stopped';

/** What a client tells a tracker (BEP 3 / BEP 15). Byte counts are totals for this session. */
export interface AnnounceParams {
  /** 20 bytes. */
  readonly infoHash: Uint8Array;
  /** 20 bytes. */
  readonly peerId: Uint8Array;
  /** TCP port peers can reach us on. */
  readonly port: number;
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
  /** Absent for a regular (interval) announce. */
  readonly event?: AnnounceEvent | undefined;
  /** Peers wanted (default: the tracker's; 50 for most). */
  readonly numwant?: number | undefined;
  /** A u32 that identifies us across IP changes; stays the same for the session. */
  readonly key?: number | undefined;
  /** The `tracker id` the tracker gave in an earlier reply (HTTP only). */
  readonly trackerId?: Uint8Array | undefined;
}

/** A successful announce. */
export interface AnnounceResult {
  /** Seconds until the next regular announce. */
  readonly interval: number;
  /** Seconds the tracker wants at least between announces. */
  readonly minInterval: number | undefined;
  /** To send back as `trackerid` on later announces (HTTP). */
  readonly trackerId: Uint8Array | undefined;
  /** Seeders. */
  readonly complete: number | undefined;
  /** Leechers. */
  readonly incomplete: number | undefined;
  /** A `warning message`: the announce worked, but the tracker has something to say. */
  readonly warning: string | undefined;
  /** IPv4 and IPv6 peers (`peers` and `peers6`), in the tracker's order. */
  readonly peers: readonly TrackerPeer[];
}

/** Swarm counters from a scrape (BEP 48 names; UDP seeders/completed/leechers map onto them). */
export interface ScrapeEntry {
  /** Seeders. */
  readonly complete: number;
  /** Leechers. */
  readonly incomplete: number;
  /** Completed downloads ever. */
  readonly downloaded: number;
}

/** Scrape results keyed by info-hash as 40 lower-case hex chars. */
export type ScrapeResult = Map<string, ScrapeEntry>;
