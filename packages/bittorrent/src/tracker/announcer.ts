import { Emitter, type Logger, type Runtime, TimeoutError, type TimerHandle } from '@p2pkit/core';
import type { TrackerClient } from './client.js';
import type { TrackerPeer } from './compact.js';
import type { AnnounceEvent, AnnounceResult } from './types.js';

export interface AnnouncerStats {
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
}

export interface AnnouncerOptions {
  runtime: Runtime;
  client: TrackerClient;
  /** BEP 12 tiers (a metainfo's `announceList`). */
  announceList: readonly (readonly string[])[];
  infoHash: Uint8Array;
  peerId: Uint8Array;
  /** Our listening TCP port. */
  port: number;
  /** Current byte counts, read at each announce. */
  stats: () => AnnouncerStats;
  /** Peers asked for (default 50). */
  numwant?: number;
  /** Shortest wait between regular announces whatever a tracker says (default 30 s). */
  minIntervalMs?: number;
  /**
   * Wait after every tracker failed, doubled per failure up to 30 min (default 15 s: a tracker
   * that was down a moment, or started just after us, is found again soon).
   */
  retryMs?: number;
  /** Time allowed to one tracker before trying the next (default 45 s: BEP 15's first two tries). */
  requestTimeoutMs?: number;
  /** Time allowed to the final `stopped` announce (default 5 s). */
  stopTimeoutMs?: number;
}

/** What one tracker last told us (for status lines: why nothing flows). */
export interface TrackerStatus {
  readonly url: string;
  /** Peers in its last answer. */
  readonly peers: number;
  /** Seeders and leechers in its last answer, when it said. */
  readonly seeders: number | undefined;
  readonly leechers: number | undefined;
  /** Runtime time of its last answer; undefined before the first. */
  readonly announcedAt: number | undefined;
  /** Its last failure (refused, timed out, a failure reason); cleared by an answer. */
  readonly error: string | undefined;
  /** The `warning message` of its last answer. */
  readonly warning: string | undefined;
}

export interface AnnouncerEvents {
  /** Peers from a successful announce. */
  peers: [peers: readonly TrackerPeer[], url: string];
  /** Every successful announce, with the full result. */
  announce: [result: AnnounceResult, url: string];
  /** A tracker's `warning message`. */
  warning: [message: string, url: string];
  /** A tracker failed (the next one is tried); also emitted when all failed. */
  error: [error: Error, url: string | undefined];
}

/**
 * Keeps a torrent announced: BEP 12 tier order (tiers shuffled once, a tracker that answers moves
 * to the front of its tier), `started` / `completed` / `stopped` events, re-announces at the
 * tracker's interval, backoff when every tracker fails.
 */
export class Announcer extends Emitter<AnnouncerEvents> {
  readonly #options: AnnouncerOptions;
  readonly #tiers: string[][];
  readonly #key: number;
  readonly #trackerIds = new Map<string, Uint8Array>();
  #timer: TimerHandle | undefined;
  #chain: Promise<void> = Promise.resolve();
  #running = false;
  #announced = false;
  #failures = 0;
  #abort = new AbortController();
  readonly #status = new Map<string, TrackerStatus>();
  /** `p2pkit:tracker:announce` (DEBUG=p2pkit:tracker*). */
  readonly #log: Logger;

  constructor(options: AnnouncerOptions) {
    super();
    this.#options = options;
    const random = options.runtime.random;
    this.#tiers = options.announceList
      .map((tier) => random.shuffle([...new Set(tier)]))
      .filter((t) => t.length > 0);
    this.#key = random.u32();
    this.#log = options.runtime.log.extend('tracker').extend('announce');
  }

  /** What each tracker last said, in tier order. */
  status(): TrackerStatus[] {
    return this.#tiers.flat().map(
      (url) =>
        this.#status.get(url) ?? {
          url,
          peers: 0,
          seeders: undefined,
          leechers: undefined,
          announcedAt: undefined,
          error: undefined,
          warning: undefined,
        },
    );
  }

  /** The tiers in their current order (after shuffling and promotions). */
  get tiers(): readonly (readonly string[])[] {
    return this.#tiers;
  }

  /** Sends `started` and keeps announcing until stop(). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    this.#enqueue('started');
  }

  /** Sends `completed` now (call once, when the download finishes). */
  completed(): void {
    if (this.#running) this.#enqueue('completed');
  }

  /** A regular announce now, e.g. to get more peers (callers respect min interval). */
  update(): void {
    if (this.#running) this.#enqueue(undefined);
  }

  /** Stops re-announcing and sends `stopped` (best effort, bounded by stopTimeoutMs). */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#options.runtime.clock.clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#chain;
    if (!this.#announced) return;
    const controller = new AbortController();
    const clock = this.#options.runtime.clock;
    const timer = clock.setTimeout(() => controller.abort(), this.#options.stopTimeoutMs ?? 5_000);
    try {
      await this.#walk('stopped', controller.signal);
    } finally {
      clock.clearTimeout(timer);
    }
  }

  #enqueue(event: AnnounceEvent | undefined): void {
    this.#options.runtime.clock.clearTimeout(this.#timer);
    // A throwing listener must not wedge the queue: swallow here, it was rethrown by emit().
    this.#chain = this.#chain.then(() => this.#round(event)).catch(() => {});
  }

  async #round(event: AnnounceEvent | undefined): Promise<void> {
    if (!this.#running) return;
    const result = await this.#walk(event, this.#abort.signal);
    if (!this.#running) return;
    const clock = this.#options.runtime.clock;
    let waitMs: number;
    if (result) {
      this.#failures = 0;
      this.#announced = true;
      const minMs = Math.max(
        this.#options.minIntervalMs ?? 30_000,
        (result.minInterval ?? 0) * 1000,
      );
      waitMs = Math.max(result.interval * 1000, minMs);
    } else {
      const base = this.#options.retryMs ?? 15_000;
      waitMs = Math.min(base * 2 ** this.#failures, 30 * 60_000);
      this.#failures++;
    }
    // A failed `started` is retried as `started`; a failed `completed` is not worth repeating.
    const next = !result && event === 'started' ? 'started' : undefined;
    this.#timer = clock.setTimeout(() => this.#enqueue(next), waitMs);
  }

  /** Tries the tiers in BEP 12 order until one tracker answers; undefined if none did. */
  async #walk(
    event: AnnounceEvent | undefined,
    signal: AbortSignal,
  ): Promise<AnnounceResult | undefined> {
    const o = this.#options;
    for (const tier of this.#tiers) {
      for (let i = 0; i < tier.length; i++) {
        if (signal.aborted) return undefined;
        const url = tier[i]!;
        const stats = o.stats();
        const controller = new AbortController();
        const onAbort = () => controller.abort(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        const timeoutMs = o.requestTimeoutMs ?? 45_000;
        const timer = o.runtime.clock.setTimeout(
          () => controller.abort(new TimeoutError(`tracker ${url}: no answer in ${timeoutMs} ms`)),
          timeoutMs,
        );
        const log = this.#log;
        log.enabled && log('%s: %s, left %d', url, event ?? 'announce', stats.left);
        try {
          const trackerId = this.#trackerIds.get(url);
          const result = await o.client.announce(
            url,
            {
              infoHash: o.infoHash,
              peerId: o.peerId,
              port: o.port,
              uploaded: stats.uploaded,
              downloaded: stats.downloaded,
              left: stats.left,
              event,
              numwant: event === 'stopped' ? 0 : (o.numwant ?? 50),
              key: this.#key,
              ...(trackerId ? { trackerId } : {}),
            },
            { signal: controller.signal },
          );
          // BEP 12: a tracker that answered moves to the front of its tier.
          tier.splice(i, 1);
          tier.unshift(url);
          if (result.trackerId) this.#trackerIds.set(url, result.trackerId);
          this.#status.set(url, {
            url,
            peers: result.peers.length,
            seeders: result.complete,
            leechers: result.incomplete,
            announcedAt: o.runtime.clock.now(),
            error: undefined,
            warning: result.warning,
          });
          log.enabled &&
            log(
              '%s: %d peers (%s seeders, %s leechers), next in %d s%s',
              url,
              result.peers.length,
              result.complete ?? '?',
              result.incomplete ?? '?',
              result.interval,
              result.warning === undefined ? '' : `, warning: ${result.warning}`,
            );
          if (result.warning !== undefined) this.emit('warning', result.warning, url);
          this.emit('announce', result, url);
          if (result.peers.length > 0) this.emit('peers', result.peers, url);
          return result;
        } catch (error) {
          if (signal.aborted) return undefined;
          const reason: unknown = controller.signal.reason;
          const failure = controller.signal.aborted && reason instanceof Error ? reason : error;
          const message = failure instanceof Error ? failure.message : String(failure);
          const before = this.#status.get(url);
          this.#status.set(url, {
            url,
            peers: before?.peers ?? 0,
            seeders: before?.seeders,
            leechers: before?.leechers,
            announcedAt: before?.announcedAt,
            error: message,
            warning: before?.warning,
          });
          log.enabled && log('%s failed: %s', url, message);
          this.emit('error', failure instanceof Error ? failure : new Error(String(failure)), url);
        } finally {
          o.runtime.clock.clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
        }
      }
    }
    if (this.#tiers.length > 0 && !signal.aborted) {
      this.emit('error', new Error('no tracker answered'), undefined);
    }
    return undefined;
  }
}

export function createAnnouncer(options: AnnouncerOptions): Announcer {
  return new Announcer(options);
}
