import {
  AbortError,
  type Address,
  abortErrorFrom,
  type DatagramSocket,
  DecodeError,
  type Runtime,
  TimeoutError,
  type TimerHandle,
} from '@p2pkit/core';
import { equalBytes, toHex } from '../bencode/binary.js';
import { decodeCompactPeers, ipFamily, parseIp } from './compact.js';
import { TrackerError } from './errors.js';
import { checkAnnounceParams } from './http-client.js';
import type { AnnounceParams, AnnounceResult, ScrapeResult } from './types.js';
import {
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  encodeScrapeRequest,
  MAX_UDP_SCRAPE,
  peekUdpResponse,
  type UdpResponse,
} from './udp-packets.js';

export interface UdpTrackerClientOptions {
  runtime: Runtime;
  /** Local address for the IPv4 socket (default: the runtime's host). */
  host?: string;
  /** Local address for the IPv6 socket, bound only if an IPv6 tracker is used (default `::`). */
  host6?: string;
  /**
   * BEP 15 retransmits after 15·2^n s, n = 0..8. `retryBaseMs` is the 15 s (tests use less),
   * `maxRetries` the last n (default 8: a dead tracker takes 15·(2^9−1) s ≈ 2 h to give up;
   * pass an AbortSignal or fewer retries to stop sooner).
   */
  retryBaseMs?: number;
  maxRetries?: number;
  /** How long a connection id is reused (BEP 15: one minute). */
  connectionIdTtlMs?: number;
}

export interface UdpTrackerRequestOptions {
  signal?: AbortSignal;
}

interface Pending {
  readonly to: Address;
  resolve(packet: Uint8Array): void;
  reject(error: Error): void;
}

const TIMED_OUT = Symbol('timed out');

/** Splits `udp://host:port[/path]`; throws TrackerError `ERR_TRACKER_URL`. */
export function parseUdpTrackerUrl(url: string): Address {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TrackerError(`invalid tracker URL ${JSON.stringify(url)}`, 'ERR_TRACKER_URL');
  }
  if (parsed.protocol !== 'udp:')
    throw new TrackerError(`not a udp:// URL: ${url}`, 'ERR_TRACKER_URL');
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(parsed.port);
  if (host.length === 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TrackerError(`udp tracker URL needs a host and a port: ${url}`, 'ERR_TRACKER_URL');
  }
  return { host, port };
}

/**
 * A BEP 15 client: one UDP socket per address family shared by all requests, connection ids
 * cached per tracker for a minute, retransmission with exponential backoff, strict minimum sizes.
 */
export class UdpTrackerClient {
  readonly #runtime: Runtime;
  readonly #options: UdpTrackerClientOptions;
  readonly #retryBaseMs: number;
  readonly #maxRetries: number;
  readonly #ttlMs: number;
  readonly #sockets = new Map<4 | 6, Promise<DatagramSocket>>();
  readonly #pending = new Map<number, Pending>();
  readonly #connections = new Map<string, { id: Uint8Array; at: number }>();
  #closed = false;

  constructor(options: UdpTrackerClientOptions) {
    this.#runtime = options.runtime;
    this.#options = options;
    this.#retryBaseMs = options.retryBaseMs ?? 15_000;
    this.#maxRetries = options.maxRetries ?? 8;
    this.#ttlMs = options.connectionIdTtlMs ?? 60_000;
  }

  async announce(
    url: string,
    params: AnnounceParams,
    options: UdpTrackerRequestOptions = {},
  ): Promise<AnnounceResult> {
    checkAnnounceParams(params);
    const to = parseUdpTrackerUrl(url);
    const family = familyOf(to.host);
    const response = await this.#request(to, options.signal, 'announce', (connectionId, tid) =>
      encodeAnnounceRequest({
        connectionId,
        transactionId: tid,
        infoHash: params.infoHash,
        peerId: params.peerId,
        downloaded: params.downloaded,
        left: params.left,
        uploaded: params.uploaded,
        event: params.event,
        ip: 0,
        key: params.key ?? 0,
        numWant: params.numwant ?? -1,
        port: params.port,
      }),
    );
    if (response.action !== 'announce') throw unexpected(response.action);
    return {
      interval: response.interval,
      minInterval: undefined,
      trackerId: undefined,
      complete: response.seeders,
      incomplete: response.leechers,
      warning: undefined,
      peers: decodeCompactPeers(response.peers, family),
    };
  }

  /** Scrapes up to 74 info-hashes (BEP 15's limit per packet). */
  async scrape(
    url: string,
    infoHashes: readonly Uint8Array[],
    options: UdpTrackerRequestOptions = {},
  ): Promise<ScrapeResult> {
    if (infoHashes.length > MAX_UDP_SCRAPE) {
      throw new RangeError(`at most ${MAX_UDP_SCRAPE} info-hashes per UDP scrape`);
    }
    const to = parseUdpTrackerUrl(url);
    const response = await this.#request(to, options.signal, 'scrape', (connectionId, tid) =>
      encodeScrapeRequest(connectionId, tid, infoHashes),
    );
    if (response.action !== 'scrape') throw unexpected(response.action);
    const result: ScrapeResult = new Map();
    infoHashes.forEach((hash, i) => {
      const entry = response.entries[i];
      if (entry) {
        result.set(toHex(hash), {
          complete: entry.seeders,
          incomplete: entry.leechers,
          downloaded: entry.completed,
        });
      }
    });
    return result;
  }

  /** Rejects whatever is in flight (AbortError) and closes the sockets. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.values()) {
      pending.reject(new AbortError('udp tracker client closed'));
    }
    this.#pending.clear();
    const sockets = [...this.#sockets.values()];
    this.#sockets.clear();
    await Promise.all(sockets.map(async (s) => (await s.catch(() => undefined))?.close()));
  }

  /**
   * One operation: get a connection id (cached for a minute), send the request, and retransmit
   * after 15·2^n s. The counter n runs across the connect and the request (BEP 15's examples),
   * and an expired id is renewed before a retransmission.
   */
  async #request(
    to: Address,
    signal: AbortSignal | undefined,
    action: 'announce' | 'scrape',
    build: (connectionId: Uint8Array, transactionId: number) => Uint8Array,
  ): Promise<UdpResponse> {
    const key = `${to.host}:${to.port}`;
    for (let attempt = 0; ; attempt++) {
      if (attempt > this.#maxRetries) {
        throw new TimeoutError(`udp tracker ${key}: no ${action} reply after ${attempt} attempts`);
      }
      const timeoutMs = this.#retryBaseMs * 2 ** attempt;
      let connection = this.#connections.get(key);
      if (!connection || this.#runtime.clock.now() - connection.at >= this.#ttlMs) {
        this.#connections.delete(key);
        const reply = await this.#exchange(
          to,
          (tid) => encodeConnectRequest(tid),
          timeoutMs,
          signal,
        );
        if (reply === TIMED_OUT) continue;
        if (reply.action !== 'connect') throw unexpected(reply.action);
        connection = { id: reply.connectionId, at: this.#runtime.clock.now() };
        this.#connections.set(key, connection);
      }
      const id = connection.id;
      try {
        const reply = await this.#exchange(to, (tid) => build(id, tid), timeoutMs, signal);
        if (reply !== TIMED_OUT) return reply;
      } catch (error) {
        // An error packet often means our connection id is stale: get a new one next time.
        this.#connections.delete(key);
        throw error;
      }
    }
  }

  /** Sends one packet and waits `timeoutMs` for the reply with its transaction id. */
  async #exchange(
    to: Address,
    build: (transactionId: number) => Uint8Array,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<UdpResponse | typeof TIMED_OUT> {
    if (this.#closed) throw new AbortError('udp tracker client closed');
    if (signal?.aborted) throw abortErrorFrom(signal);
    const socket = await this.#socket(familyOf(to.host));
    let tid = this.#runtime.random.u32();
    while (this.#pending.has(tid)) tid = this.#runtime.random.u32();
    const clock = this.#runtime.clock;
    let timer: TimerHandle | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const packet = await new Promise<Uint8Array | typeof TIMED_OUT>((resolve, reject) => {
        this.#pending.set(tid, { to, resolve, reject });
        timer = clock.setTimeout(() => resolve(TIMED_OUT), timeoutMs);
        onAbort = () => reject(abortErrorFrom(signal!));
        signal?.addEventListener('abort', onAbort, { once: true });
        socket.send(build(tid), to);
      });
      if (packet === TIMED_OUT) return TIMED_OUT;
      let response: UdpResponse;
      try {
        response = decodeUdpResponse(packet);
      } catch (error) {
        if (error instanceof DecodeError) {
          throw new TrackerError(
            `bad udp tracker reply: ${error.message}`,
            'ERR_TRACKER_RESPONSE',
            {
              cause: error,
            },
          );
        }
        throw error;
      }
      if (response.action === 'error') {
        throw new TrackerError(`tracker refused: ${response.message}`, 'ERR_TRACKER_FAILURE', {
          reason: response.message,
        });
      }
      return response;
    } finally {
      clock.clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      this.#pending.delete(tid);
    }
  }

  #socket(family: 4 | 6): Promise<DatagramSocket> {
    let socket = this.#sockets.get(family);
    if (!socket) {
      const host =
        family === 4 ? (this.#options.host ?? this.#runtime.host) : (this.#options.host6 ?? '::');
      socket = this.#runtime.net.bind({ host, port: 0 }, (data, from) =>
        this.#onDatagram(data, from),
      );
      this.#sockets.set(family, socket);
      socket.catch(() => this.#sockets.delete(family));
    }
    return socket;
  }

  #onDatagram(data: Uint8Array, from: Address): void {
    const head = peekUdpResponse(data);
    if (!head) return;
    const pending = this.#pending.get(head.transactionId);
    // Match the transaction id and the port; the host only when we sent to an IP literal (a
    // hostname like `localhost` resolves to an address we cannot predict here).
    if (!pending || pending.to.port !== from.port) return;
    const sent = parseIp(pending.to.host);
    if (sent && !sameBytes(sent, parseIp(from.host))) return;
    this.#pending.delete(head.transactionId);
    pending.resolve(data);
  }
}

function familyOf(host: string): 4 | 6 {
  return ipFamily(host) === 6 ? 6 : 4;
}

function unexpected(action: string): TrackerError {
  return new TrackerError(`udp tracker replied with action ${action}`, 'ERR_TRACKER_RESPONSE');
}

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && equalBytes(a, b);
}
