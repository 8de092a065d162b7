/**
 * Tunables of a torrent session, with their defaults and why. Every period and cap a remote
 * peer could push on is here.
 */
import type { EncryptionPolicy } from '../wire/establish.js';

export interface TorrentSettings {
  /** Encryption (MSE/PE): `enabled` dials with MSE (plaintext after the handshake when the peer allows it) and falls back to plain; accepts both. */
  encryption: EncryptionPolicy;
  /** Connected peers per torrent (default 50). */
  maxPeers: number;
  /** Keep seeding once complete (default true); false stops the torrent when done. */
  seed: boolean;
  /** Announce to the torrent's trackers (default true). */
  announce: boolean;
  /** Whole handshake deadline, plain or MSE (default 20 s). */
  handshakeTimeoutMs: number;
  /** Deadline of an outgoing MSE handshake before redialing plain (default 5 s). */
  mseTimeoutMs: number;
  /** TCP connect deadline (default 10 s). */
  connectTimeoutMs: number;
  /** Send a keep-alive after this long without sending (default 60 s; BEP 3 says about 2 min). */
  keepAliveMs: number;
  /** Drop a peer silent for this long (default 180 s). */
  idleTimeoutMs: number;
  /** Give our requests to others when a peer delivered nothing for this long (default 30 s). */
  requestTimeoutMs: number;
  /** Periodic housekeeping (rates, keep-alives, timeouts, choking, connects): default 1 s. */
  tickMs: number;
  /** Choker (Cohen): regular slots, rechoke and optimistic periods, snub timeout. */
  uploadSlots: number;
  rechokeIntervalMs: number;
  optimisticIntervalMs: number;
  snubTimeoutMs: number;
  /** Pieces chosen at random before rarest first (default 4). */
  randomFirstPieces: number;
  /** New pieces by `rarest-first` (default) or uniformly at `random` (a baseline for experiments). */
  pieceSelection: 'rarest-first' | 'random';
  /** `tit-for-tat` (default: Cohen's choker) or `unchoke-all` (no choking; a baseline for experiments). */
  choking: 'tit-for-tat' | 'unchoke-all';
  /** Requesters per block in endgame (default 2). */
  endgameDuplicates: number;
  /** First pipeline depth per peer, before rates are known (default 32 requests). */
  initialQueue: number;
  /** Most requests outstanding to one peer; also capped by its `reqq` (default 500). */
  maxRequestsPerPeer: number;
  /** Pipeline sized so this many seconds of the peer's rate are in flight (libtorrent: 3 s). */
  requestQueueSeconds: number;
  /** `reqq` we advertise: requests we queue from one peer (default 500); more are rejected. */
  maxQueuedUploads: number;
  /** Bytes of pieces in progress plus pieces being written before we stop starting pieces (default 32 MiB). */
  maxBufferedBytes: number;
  /**
   * Piece cache for uploads (default 4 MiB, Transmission's cache-size-mb; at least two pieces
   * per upload slot). Pieces are read as the requests for them reach the head of a peer's
   * queue, one piece ahead; a seeder at 256 MiB peaked at 129 MB of RSS with 32 MiB here.
   */
  readCacheBytes: number;
  /** Ban a peer after this many provably bad blocks / pieces (default 2). */
  banAfterStrikes: number;
  /** Refuse bitfields with spare bits set or extra bytes (default false: ignore them, as libtorrent). */
  strictBitfield: boolean;
  /** Size of the allowed-fast set we offer (BEP 6; default 10, 0 = none). */
  allowedFastCount: number;
  /** Verify pieces found in storage at start (default true). */
  verifyOnStart: boolean;
  /** Client name for the BEP 10 handshake. */
  clientName: string;
  /** Most piece payload bytes/s we send, all peers together (default 0: unlimited). */
  maxUploadRate: number;
  /** Most piece payload bytes/s we request, all peers together (default 0: unlimited). */
  maxDownloadRate: number;
}

export const DEFAULT_SETTINGS: TorrentSettings = {
  encryption: 'enabled',
  maxPeers: 50,
  seed: true,
  announce: true,
  handshakeTimeoutMs: 20_000,
  mseTimeoutMs: 5_000,
  connectTimeoutMs: 10_000,
  keepAliveMs: 60_000,
  idleTimeoutMs: 180_000,
  requestTimeoutMs: 30_000,
  tickMs: 1_000,
  uploadSlots: 4,
  rechokeIntervalMs: 10_000,
  optimisticIntervalMs: 30_000,
  snubTimeoutMs: 60_000,
  randomFirstPieces: 4,
  pieceSelection: 'rarest-first',
  choking: 'tit-for-tat',
  endgameDuplicates: 2,
  initialQueue: 32,
  maxRequestsPerPeer: 500,
  requestQueueSeconds: 3,
  maxQueuedUploads: 500,
  maxBufferedBytes: 32 << 20,
  readCacheBytes: 4 << 20,
  banAfterStrikes: 2,
  strictBitfield: false,
  allowedFastCount: 10,
  verifyOnStart: true,
  clientName: 'p2pkit/0.0.1',
  maxUploadRate: 0,
  maxDownloadRate: 0,
};
