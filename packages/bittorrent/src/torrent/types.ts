/** The public shapes of a torrent: its state, progress, peers, events and what it takes from its client. */
import type { Address, Runtime } from '@p2pkit/core';
import type { Metainfo } from '../metainfo/types.js';
import type { StorageFactory } from '../storage/storage.js';
import type { TrackerClient } from '../tracker/client.js';
import type { ConnectionEncryption } from '../wire/establish.js';
import type { TorrentSettings } from './settings.js';

export type TorrentState = 'metadata' | 'checking' | 'downloading' | 'seeding' | 'stopped';

export interface TorrentProgress {
  readonly state: TorrentState;
  /** Verified bytes on disk. */
  readonly downloaded: number;
  /** Total bytes (0 until the metadata is known). */
  readonly length: number;
  readonly piecesDone: number;
  readonly pieceCount: number;
  /** Block bytes received and sent this session (duplicates and bad data included). */
  readonly received: number;
  readonly uploaded: number;
  /** Bytes/s over about the last three seconds, the current one included. */
  readonly downloadRate: number;
  readonly uploadRate: number;
  readonly peers: number;
  /** Connected peers that have every piece. */
  readonly seeds: number;
  /** Outgoing connections being made (TCP connect or handshake). */
  readonly connecting: number;
  /** Peer addresses we know of (trackers, `--peer`, magnet `x.pe`), connected ones included. */
  readonly knownPeers: number;
  /** Seconds to completion at the current rate; undefined when unknown. */
  readonly eta: number | undefined;
}

export interface PeerInfo {
  readonly address: Address;
  readonly peerId: Uint8Array;
  readonly incoming: boolean;
  readonly encryption: ConnectionEncryption;
}

/** A snapshot of one connection, for status displays and debugging. */
export interface PeerStatus {
  readonly address: Address;
  readonly peerId: Uint8Array;
  readonly client: string | undefined;
  readonly incoming: boolean;
  readonly encrypted: boolean;
  readonly amChoking: boolean;
  readonly amInterested: boolean;
  readonly peerChoking: boolean;
  readonly peerInterested: boolean;
  /** Pieces it has (undefined while unknown). */
  readonly pieces: number | undefined;
  readonly downloaded: number;
  readonly uploaded: number;
  readonly downloadRate: number;
  readonly uploadRate: number;
  readonly requests: number;
  readonly queuedUploads: number;
  readonly snubbed: boolean;
}

export interface TorrentEvents {
  /** The metadata is known (at once for a .torrent; after BEP 9 for a magnet). */
  metadata: [meta: Metainfo];
  /** Storage checked; downloading or seeding from here. */
  ready: [];
  /** Piece `index` was verified and written. */
  piece: [index: number];
  /** Once per tick. */
  progress: [progress: TorrentProgress];
  /** Every piece is verified and on disk. */
  done: [];
  peer: [info: PeerInfo];
  banned: [address: Address, reason: string];
  /** Recoverable trouble (a bad peer, a tracker failure, a hash mismatch). */
  warning: [error: Error];
  /** The torrent cannot go on (storage failure, refused metadata); it stops. */
  error: [error: Error];
  stopped: [];
}

/** What a torrent takes from its client. */
export interface TorrentContext {
  readonly runtime: Runtime;
  readonly peerId: Uint8Array;
  readonly reserved: Uint8Array;
  /** TCP port we accept connections on (announced to trackers and peers). */
  readonly port: number;
  /** Local address our sockets use. */
  readonly host: string;
  readonly storage: StorageFactory;
  readonly tracker: TrackerClient | undefined;
  readonly settings: TorrentSettings;
}
