/**
 * A torrent's connected peers: admitting a connection whose handshake is done (refusing
 * ourselves, duplicates, banned hosts, one too many), opening it (what we have, allowed-fast
 * pieces, the BEP 10 handshake), routing each message to the part that handles it, and
 * forgetting the peer when it closes. Bans come from provable bad data.
 */
import {
  type Address,
  equalBytes,
  formatAddress,
  isP2PError,
  type Logger,
  ProtocolError,
  type Runtime,
} from '@p2pkit/core';
import type { Metainfo } from '../metainfo/types.js';
import { parseIPv4 } from '../tracker/compact.js';
import { allowedFastSet } from '../wire/allowed-fast.js';
import { Bitfield } from '../wire/bitfield.js';
import type { Established } from '../wire/establish.js';
import { PeerWire } from '../wire/peer.js';
import { DUPLICATE, SELF } from './dialer.js';
import type { Downloader } from './downloader.js';
import { TorrentPeer } from './peer.js';
import type { TorrentSettings } from './settings.js';
import type { PeerInfo } from './types.js';
import type { Uploader } from './uploader.js';
import { UT_METADATA_ID, type UtMetadata } from './ut-metadata.js';

/** What the peer set asks of its torrent. */
export interface PeerSetOwner {
  readonly runtime: Runtime;
  readonly settings: TorrentSettings;
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  /** Our listening port (BEP 10 `p`). */
  readonly port: number;
  readonly downloader: Downloader;
  readonly uploader: Uploader;
  readonly metadata: UtMetadata;
  meta(): Metainfo | undefined;
  stopped(): boolean;
  /** Checking the data: incoming peers wait (they would get a have-none, then a have per piece). */
  checking(): boolean;
  warn(error: unknown): void;
  attached(info: PeerInfo): void;
  banned(address: Address, reason: string): void;
  /**
   * A peer that listens at `address` closed (the dialer waits before trying it again; `seed`:
   * it had every piece).
   */
  closed(address: Address, connectedAt: number, seed: boolean): void;
  /** A connection slot freed up. */
  connectMore(): void;
}

export class PeerSet {
  readonly #owner: PeerSetOwner;
  readonly #peers = new Map<number, TorrentPeer>();
  #nextId = 1;
  readonly #banned = new Set<string>();
  /** `p2pkit:bittorrent:peer`. */
  readonly #log: Logger;

  constructor(owner: PeerSetOwner) {
    this.#owner = owner;
    this.#log = owner.runtime.log.extend('bittorrent').extend('peer');
  }

  get size(): number {
    return this.#peers.size;
  }

  /** The connected peers, in connection order. */
  values(): IterableIterator<TorrentPeer> {
    return this.#peers.values();
  }

  get(id: number): TorrentPeer | undefined {
    return this.#peers.get(id);
  }

  isBanned(host: string): boolean {
    return this.#banned.has(host);
  }

  /** Closes every connection (the torrent stops). */
  destroyAll(): void {
    for (const peer of [...this.#peers.values()]) peer.wire.destroy();
    this.#peers.clear();
  }

  connectedTo(address: Address): boolean {
    for (const peer of this.#peers.values()) {
      const a = peer.listenAddress;
      if (a && a.host === address.host && a.port === address.port) return true;
    }
    return false;
  }

  /** Whether an incoming connection from `host` may be attached. */
  accepts(host: string): boolean {
    const o = this.#owner;
    return (
      !o.stopped() &&
      !o.checking() &&
      !this.#banned.has(host) &&
      this.#peers.size < o.settings.maxPeers
    );
  }

  /** Takes over a connection whose handshake is done (dialed by us, or accepted by the client). */
  attach(established: Established, incoming: boolean, dialed?: Address): string | undefined {
    const o = this.#owner;
    const { connection, remote } = established;
    const refusal = this.#refusal(established, incoming);
    const log = this.#log;
    if (refusal) {
      log.enabled && log('refusing %s: %s', formatAddress(connection.remoteAddress), refusal);
      connection.destroy();
      return refusal;
    }
    const meta = o.meta();
    const wire = new PeerWire({
      connection,
      clock: o.runtime.clock,
      local: established.local,
      remote,
      encrypt: established.encrypt,
      decrypt: established.decrypt,
      initialData: established.rest,
      extensions: new Map([['ut_metadata', UT_METADATA_ID]]),
      limits: meta ? { maxBitfieldLength: Bitfield.byteLength(meta.pieceCount) + 128 } : {},
    });
    const now = o.runtime.clock.now();
    const peer = new TorrentPeer(this.#nextId++, wire, incoming, now, o.settings.initialQueue);
    peer.listenAddress = dialed;
    this.#peers.set(peer.id, peer);
    this.#listen(peer);
    // BEP 6: bitfield / have-all / have-none first; then the BEP 10 handshake.
    if (meta && o.downloader.have) this.open(peer, true);
    else if (wire.features.fast) wire.haveNone();
    if (wire.features.extended) {
      const ip = parseIPv4(connection.remoteAddress.host);
      wire.extendedHandshake({
        m: new Map([['ut_metadata', UT_METADATA_ID]]),
        p: o.port,
        v: o.settings.clientName,
        reqq: o.settings.maxQueuedUploads,
        metadataSize: meta?.infoBytes.length,
        yourip: ip,
      });
    }
    wire.start();
    log.enabled &&
      log(
        '%s %s (%s, %s)',
        incoming ? 'accepted' : 'connected to',
        formatAddress(connection.remoteAddress),
        established.encryption,
        [wire.features.fast && 'fast', wire.features.extended && 'extended']
          .filter(Boolean)
          .join(' ') || 'no extensions',
      );
    o.attached({
      address: connection.remoteAddress,
      peerId: remote.peerId,
      incoming,
      encryption: established.encryption,
    });
    return undefined;
  }

  /**
   * Why a connection cannot be attached, or undefined when it can. A second connection to a peer
   * already connected is refused, unless it is the one both ends keep (#keeps): then the first
   * is closed and the new one attached.
   */
  #refusal(established: Established, incoming: boolean): string | undefined {
    const o = this.#owner;
    const { connection, remote } = established;
    if (o.stopped()) return 'stopped';
    if (this.#banned.has(connection.remoteAddress.host)) return 'banned';
    if (equalBytes(remote.peerId, o.peerId)) return SELF;
    for (const peer of this.#peers.values()) {
      if (!equalBytes(peer.wire.remote.peerId, remote.peerId)) continue;
      if (peer.incoming === incoming || !this.#keeps(incoming, remote.peerId)) return DUPLICATE;
      peer.wire.destroy(new ProtocolError('duplicate connection: the other one is kept'));
      break;
    }
    if (this.#peers.size >= o.settings.maxPeers) return 'too many peers';
    return undefined;
  }

  /**
   * Two peers that dial each other at the same moment (each found the other at its announce)
   * each attach the connection whose handshake finished first and refuse the other: each end
   * can keep a different one and close the one the other end kept, leaving none. Both ends keep
   * the connection that the peer with the lower peer id opened (libtorrent's rule), whatever
   * order the handshakes finish in: true when a connection in direction `incoming` is that one.
   */
  #keeps(incoming: boolean, remotePeerId: Uint8Array): boolean {
    const ours = this.#owner.peerId;
    let oursLower = false;
    for (let i = 0; i < ours.length; i++) {
      if (ours[i] !== remotePeerId[i]) {
        oursLower = ours[i]! < remotePeerId[i]!;
        break;
      }
    }
    return oursLower !== incoming;
  }

  /**
   * Tells a peer what we have (`first`: in its first message, else as haves, for peers that
   * connected before we knew the metadata) and applies what it told us meanwhile.
   */
  open(peer: TorrentPeer, first: boolean): void {
    const o = this.#owner;
    const meta = o.meta()!;
    const have = o.downloader.have!;
    const wire = peer.wire;
    wire.setLimits({ maxBitfieldLength: Bitfield.byteLength(meta.pieceCount) + 128 });
    if (first) {
      // BEP 6: bitfield, have-all or have-none comes first; without Fast an empty bitfield is skipped.
      if (wire.features.fast && have.complete) wire.haveAll();
      else if (wire.features.fast && have.count === 0) wire.haveNone();
      else if (have.count > 0) wire.bitfield(have.toBytes());
    } else {
      for (const index of have.indices()) wire.have(index);
    }
    if (wire.features.fast && o.settings.allowedFastCount > 0) {
      const ip = parseIPv4(wire.remoteAddress.host);
      if (ip) {
        const set = allowedFastSet(
          ip,
          o.infoHash,
          meta.pieceCount,
          o.settings.allowedFastCount,
          (d) => o.runtime.hash.sha1(d),
        );
        for (const index of set) {
          if (!have.has(index)) continue;
          peer.allowedFastOut.add(index);
          wire.allowedFast(index);
        }
      }
    }
    o.downloader.applyPending(peer);
  }

  /** Routes a peer's messages to the part that handles them. */
  #listen(peer: TorrentPeer): void {
    const o = this.#owner;
    const wire = peer.wire;
    const down = o.downloader;
    const up = o.uploader;
    const guard =
      <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A) => {
        try {
          fn(...args);
        } catch (error) {
          o.warn(error);
          wire.destroy(error instanceof Error ? error : new ProtocolError(String(error)));
        }
      };
    wire.on(
      'choke',
      guard(() => down.onChoke(peer)),
    );
    wire.on(
      'unchoke',
      guard(() => down.scheduleFill(peer)),
    );
    wire.on(
      'interested',
      guard(() => up.rechoke()),
    );
    wire.on(
      'not-interested',
      guard(() => up.rechoke()),
    );
    wire.on(
      'have',
      guard((index) => down.onHave(peer, index)),
    );
    wire.on(
      'bitfield',
      guard((bits) => down.onBitfield(peer, bits)),
    );
    wire.on(
      'have-all',
      guard(() => down.onHaveAll(peer)),
    );
    wire.on(
      'have-none',
      guard(() => {}),
    );
    wire.on(
      'request',
      guard((ref) => up.request(peer, ref)),
    );
    wire.on(
      'cancel',
      guard((ref) => up.cancel(peer, ref)),
    );
    wire.on(
      'reject',
      guard((ref) => down.onReject(peer, ref)),
    );
    wire.on(
      'piece',
      guard((index, begin, block) => down.onPiece(peer, index, begin, block)),
    );
    wire.on(
      'allowed-fast',
      guard((index) => down.onAllowedFast(peer, index)),
    );
    wire.on(
      'extended-handshake',
      guard((h) => {
        if (h.p && peer.incoming && !peer.listenAddress)
          peer.listenAddress = { host: peer.wire.remoteAddress.host, port: h.p };
        o.metadata.onExtendedHandshake(peer, h.metadataSize);
      }),
    );
    wire.on(
      'extended',
      guard((name, payload) => name === 'ut_metadata' && o.metadata.onMessage(peer, payload)),
    );
    wire.on(
      'drain',
      guard(() => up.pump(peer)),
    );
    wire.on('close', (error) => this.#onClose(peer, error));
  }

  #onClose(peer: TorrentPeer, error: Error | undefined): void {
    const o = this.#owner;
    if (!this.#peers.delete(peer.id)) return;
    const log = this.#log;
    if (log.enabled) {
      const why =
        error && !isP2PError(error, 'ERR_CONNECTION_RESET')
          ? error.message
          : 'closed by either side';
      log(
        '%s gone (%s); %d B down, %d B up',
        formatAddress(peer.wire.remoteAddress),
        why,
        peer.wire.downloaded,
        peer.wire.uploaded,
      );
    }
    o.downloader.peerClosed(peer);
    o.metadata.peerClosed(peer, o.runtime.clock.now());
    // Do not redial at once: 10 s, or a minute for a connection that did not last.
    if (peer.listenAddress) o.closed(peer.listenAddress, peer.connectedAt, peer.complete);
    if (!o.stopped()) {
      // Others may take over its blocks; a slot may have freed up.
      for (const other of this.#peers.values()) o.downloader.scheduleFill(other);
      o.uploader.rechoke();
      o.connectMore();
    }
  }

  /** A provable bad block or piece from peer `id`: banned (its host) after banAfterStrikes. */
  strike(id: number, reason: string): void {
    const o = this.#owner;
    const peer = this.#peers.get(id);
    if (!peer) return;
    peer.strikes++;
    o.warn(new ProtocolError(`peer ${formatAddress(peer.wire.remoteAddress)} ${reason}`));
    if (peer.strikes >= o.settings.banAfterStrikes) {
      const address = peer.wire.remoteAddress;
      this.#banned.add(address.host);
      o.banned(address, reason);
      peer.wire.destroy(new ProtocolError(`banned: ${reason}`));
    }
  }
}
