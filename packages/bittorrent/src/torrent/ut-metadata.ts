/**
 * The ut_metadata extension (BEP 9) on a torrent's connections: serving our info dictionary to
 * peers that ask (with a flood cap), and, for a magnet link, feeding the peers' answers to the
 * MetadataExchange until the info dictionary is complete and its SHA-1 is the info-hash.
 */
import type { Runtime } from '@p2pkit/core';
import type { Metainfo } from '../metainfo/types.js';
import {
  decodeMetadataMessage,
  encodeMetadataMessage,
  metadataPiece,
  metadataPieceCount,
} from '../wire/metadata.js';
import { MetadataExchange } from './metadata-exchange.js';
import type { TorrentPeer } from './peer.js';

/** Our extension id for ut_metadata in the BEP 10 handshake. */
export const UT_METADATA_ID = 1;

export interface UtMetadataOwner {
  /** The metadata, once known (served to peers). */
  meta(): Metainfo | undefined;
  warn(error: unknown): void;
  /** A magnet link's info dictionary arrived whole, its SHA-1 the info-hash. */
  received(infoBytes: Uint8Array): void;
}

export class UtMetadata {
  readonly #runtime: Runtime;
  readonly #owner: UtMetadataOwner;
  #exchange: MetadataExchange | undefined;

  /** `fetch`: a magnet link, whose metadata we still need. */
  constructor(runtime: Runtime, infoHash: Uint8Array, fetch: boolean, owner: UtMetadataOwner) {
    this.#runtime = runtime;
    this.#owner = owner;
    if (fetch) this.#exchange = new MetadataExchange(infoHash, (d) => runtime.hash.sha1(d));
  }

  /** The metadata is known: stop asking for it. */
  finished(): void {
    this.#exchange = undefined;
  }

  /** A peer's BEP 10 handshake: one that offers ut_metadata and its size becomes a source. */
  onExtendedHandshake(peer: TorrentPeer, metadataSize: number | undefined): void {
    if (!this.#exchange || peer.wire.remoteExtensionId('ut_metadata') <= 0) return;
    this.#exchange.addSource(
      {
        id: peer.id,
        request: (piece) =>
          peer.wire.extended('ut_metadata', encodeMetadataMessage({ type: 'request', piece })),
      },
      metadataSize,
      this.#runtime.clock.now(),
    );
  }

  onMessage(peer: TorrentPeer, payload: Uint8Array): void {
    let message: ReturnType<typeof decodeMetadataMessage>;
    try {
      message = decodeMetadataMessage(payload);
    } catch (error) {
      this.#owner.warn(error);
      return;
    }
    const now = this.#runtime.clock.now();
    switch (message.type) {
      case 'request': {
        const info = this.#owner.meta()?.infoBytes;
        const data = info ? metadataPiece(info, message.piece) : undefined;
        // Flood cap: a few times the piece count per connection (BEP 9 allows it).
        const cap = info ? metadataPieceCount(info.length) * 4 + 8 : 8;
        if (!data || ++peer.metadataRequests > cap) {
          peer.wire.extended(
            'ut_metadata',
            encodeMetadataMessage({ type: 'reject', piece: message.piece }),
          );
        } else {
          peer.wire.extended(
            'ut_metadata',
            encodeMetadataMessage({
              type: 'data',
              piece: message.piece,
              totalSize: info!.length,
              data,
            }),
          );
        }
        return;
      }
      case 'data': {
        const done = this.#exchange?.onData(
          peer.id,
          message.piece,
          message.totalSize,
          message.data,
          now,
        );
        if (done) this.#owner.received(done);
        return;
      }
      case 'reject':
        this.#exchange?.onReject(peer.id, message.piece, now);
        return;
      case 'unknown':
        return;
    }
  }

  peerClosed(peer: TorrentPeer, now: number): void {
    this.#exchange?.removeSource(peer.id, now);
  }

  /** Re-asks pieces whose requests timed out. */
  tick(now: number): void {
    this.#exchange?.tick(now);
  }
}
