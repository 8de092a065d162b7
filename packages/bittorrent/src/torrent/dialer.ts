/**
 * A torrent's outgoing connections: the peer addresses it may try (from trackers, `--peer`,
 * magnet `x.pe`), dials with Message Stream Encryption and a plain fallback, and the backoff
 * after a failure. The torrent decides whether it wants peers and takes over each connection
 * once its handshake is done.
 */
import {
  type Address,
  type Connection,
  formatAddress,
  type Logger,
  ProtocolError,
  type Runtime,
} from '@p2pkit/core';
import { type Established, handshakeOutgoing, type OutgoingEncryption } from '../wire/establish.js';
import type { TorrentSettings } from './settings.js';

/** attach() refusals after which an address is forgotten rather than retried. */
export const SELF = 'connection to ourselves';
export const DUPLICATE = 'already connected';

/** How many addresses a torrent remembers: a tracker or peer cannot make it hold more. */
const MAX_CANDIDATES = 2000;
/** A peer is forgotten after this many failed dials in a row. */
const MAX_FAILURES = 8;

interface Candidate {
  readonly address: Address;
  failures: number;
  nextAttemptAt: number;
  /** MSE failed with this peer once: dial plain. */
  plainOnly: boolean;
  /** It had every piece when we last met: a seed does not dial it. */
  seed: boolean;
}

/** What the dialer asks of its torrent. */
export interface DialerOwner {
  /** Whether new dials may start now (the torrent wants peers: see Torrent). */
  wantsPeers(): boolean;
  /** Whether we have every piece (then peers known to be seeds are not dialed). */
  complete(): boolean;
  /** Whether the torrent has stopped (a dial that completes then is dropped). */
  stopped(): boolean;
  /** Peers connected now (with the dials in flight, counted against maxPeers). */
  peerCount(): number;
  banned(host: string): boolean;
  connectedTo(address: Address): boolean;
  /** Takes over a connection whose handshake is done; a refusal reason, or undefined. */
  attach(established: Established, dialed: Address): string | undefined;
}

export interface DialerOptions {
  readonly runtime: Runtime;
  readonly settings: TorrentSettings;
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  readonly reserved: Uint8Array;
  /** Local address (bound for outgoing connections) and listening port: never dialed. */
  readonly host: string;
  readonly port: number;
}

/** A connection was made but its handshake failed (the peer is there, maybe not speaking MSE). */
class HandshakeFailure extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'HandshakeFailure';
  }
}

export class Dialer {
  readonly #options: DialerOptions;
  readonly #owner: DialerOwner;
  readonly #candidates = new Map<string, Candidate>();
  readonly #dialing = new Set<string>();
  /** Outgoing connections still in their handshake. */
  readonly #handshaking = new Set<Connection>();
  /**
   * One controller per dial in flight, aborted by stop(). (One signal shared by every dial
   * would carry a listener per dial: Node warns past 10.)
   */
  readonly #aborts = new Set<AbortController>();
  /** `p2pkit:bittorrent:dial`. */
  readonly #log: Logger;

  constructor(options: DialerOptions, owner: DialerOwner) {
    this.#options = options;
    this.#owner = owner;
    this.#log = options.runtime.log.extend('bittorrent').extend('dial');
  }

  /** Dials in flight. */
  get dialing(): number {
    return this.#dialing.size;
  }

  /** Addresses remembered to dial (connected ones included). */
  get candidates(): number {
    return this.#candidates.size;
  }

  /** Remembers addresses to connect to (ourselves, bad ports and known ones are skipped). */
  add(addresses: Iterable<Address>): void {
    const o = this.#options;
    for (const address of addresses) {
      if (address.port <= 0 || address.port > 65535) continue;
      if (address.port === o.port && address.host === o.host) continue;
      const key = formatAddress(address);
      if (this.#candidates.has(key)) continue;
      if (this.#candidates.size >= MAX_CANDIDATES) break;
      this.#candidates.set(key, {
        address,
        failures: 0,
        nextAttemptAt: 0,
        plainOnly: false,
        seed: false,
      });
    }
  }

  /** Dials candidates whose backoff has passed until peers + dials reach maxPeers. */
  connectMore(): void {
    const owner = this.#owner;
    if (!owner.wantsPeers()) return;
    const now = this.#options.runtime.clock.now();
    const maxPeers = this.#options.settings.maxPeers;
    const complete = owner.complete();
    for (const [key, candidate] of this.#candidates) {
      if (owner.peerCount() + this.#dialing.size >= maxPeers) return;
      if (this.#dialing.has(key) || candidate.nextAttemptAt > now) continue;
      if (complete && candidate.seed) continue;
      if (owner.banned(candidate.address.host)) continue;
      if (owner.connectedTo(candidate.address)) continue;
      void this.#dial(key, candidate);
    }
  }

  /**
   * A connection to `address` closed: wait before dialing it again (longer if it was short).
   * `seed`: it had every piece (a seed of ours will not dial it again).
   */
  closed(address: Address, connectedAt: number, seed = false): void {
    const candidate = this.#candidates.get(formatAddress(address));
    if (!candidate) return;
    candidate.seed = seed;
    const now = this.#options.runtime.clock.now();
    candidate.nextAttemptAt = now + (now - connectedAt < 30_000 ? 60_000 : 10_000);
  }

  /** Aborts dials in flight, drops connections in their handshake, forgets every address. */
  stop(): void {
    for (const dial of this.#aborts) dial.abort();
    this.#aborts.clear();
    for (const connection of this.#handshaking) connection.destroy();
    this.#handshaking.clear();
    this.#candidates.clear();
  }

  async #dial(key: string, candidate: Candidate): Promise<void> {
    this.#dialing.add(key);
    const log = this.#log;
    const policy = this.#options.settings.encryption;
    const first: OutgoingEncryption =
      policy === 'disabled' || candidate.plainOnly
        ? 'plain'
        : policy === 'required'
          ? 'mse-rc4'
          : 'mse';
    log.enabled && log('dial %s (%s)', key, first);
    try {
      let established: Established;
      try {
        established = await this.#handshake(await this.#connect(candidate.address), first);
      } catch (error) {
        // The TCP connect failed: nothing to retry now. The handshake failed after an MSE
        // attempt: the peer may not speak MSE (it closed, or sits silent): redial plain at once,
        // as aria2 does (a second later) and libtorrent does.
        if (first !== 'mse' || !(error instanceof HandshakeFailure)) throw error;
        candidate.plainOnly = true;
        log.enabled && log('%s: no MSE handshake (%s), redialing plain', key, error.message);
        established = await this.#handshake(await this.#connect(candidate.address), 'plain');
      }
      if (this.#owner.stopped()) {
        established.connection.destroy();
        return;
      }
      candidate.failures = 0;
      const refusal = this.#owner.attach(established, candidate.address);
      // Ourselves (trackers list us too) or a peer already connected by another address: done.
      if (refusal === SELF || refusal === DUPLICATE) this.#candidates.delete(key);
    } catch (error) {
      candidate.failures++;
      // Back off: 10 s, 20 s, 40 s ... up to 10 min; forget a peer after MAX_FAILURES.
      candidate.nextAttemptAt =
        this.#options.runtime.clock.now() +
        Math.min(600_000, 10_000 * 2 ** (candidate.failures - 1));
      if (candidate.failures >= MAX_FAILURES) this.#candidates.delete(key);
      const cause = error instanceof HandshakeFailure ? error.cause : error;
      log.enabled &&
        log(
          'dial %s failed: %s (attempt %d, next in %d s)',
          key,
          (cause as Error).message,
          candidate.failures,
          Math.round((candidate.nextAttemptAt - this.#options.runtime.clock.now()) / 1000),
        );
    } finally {
      this.#dialing.delete(key);
    }
  }

  async #connect(address: Address): Promise<Connection> {
    if (this.#owner.stopped()) throw new ProtocolError('torrent stopped');
    const o = this.#options;
    const abort = new AbortController();
    this.#aborts.add(abort);
    let connection: Connection;
    try {
      connection = await o.runtime.net.dial(address, {
        timeoutMs: o.settings.connectTimeoutMs,
        localHost: o.host,
        signal: abort.signal,
      });
    } finally {
      this.#aborts.delete(abort);
    }
    if (this.#owner.stopped()) {
      connection.destroy();
      throw new ProtocolError('torrent stopped');
    }
    return connection;
  }

  /** The handshake on a fresh connection; failures come wrapped in HandshakeFailure. */
  async #handshake(connection: Connection, encryption: OutgoingEncryption): Promise<Established> {
    // stop() destroys connections still in their handshake (which then rejects).
    this.#handshaking.add(connection);
    const o = this.#options;
    try {
      return await handshakeOutgoing({
        connection,
        clock: o.runtime.clock,
        random: o.runtime.random,
        sha1: (d) => o.runtime.hash.sha1(d),
        infoHash: o.infoHash,
        peerId: o.peerId,
        reserved: o.reserved,
        encryption,
        // A peer that ignores MSE stays silent: do not wait the whole handshake deadline.
        timeoutMs:
          encryption === 'mse'
            ? Math.min(o.settings.mseTimeoutMs, o.settings.handshakeTimeoutMs)
            : o.settings.handshakeTimeoutMs,
      });
    } catch (error) {
      throw new HandshakeFailure(error);
    } finally {
      this.#handshaking.delete(connection);
    }
  }
}
