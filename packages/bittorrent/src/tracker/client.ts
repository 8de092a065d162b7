import type { Runtime } from '@p2pkit/core';
import { TrackerError } from './errors.js';
import { type HttpTrackerOptions, httpAnnounce, httpScrape } from './http-client.js';
import type { AnnounceParams, AnnounceResult, ScrapeResult } from './types.js';
import { UdpTrackerClient, type UdpTrackerClientOptions } from './udp-client.js';

export interface TrackerClientOptions {
  runtime: Runtime;
  /** HTTP trackers: whole-request timeout (default 15 s) and reply size cap (default 1 MiB). */
  http?: Omit<HttpTrackerOptions, 'signal'>;
  /** UDP trackers: bind address, BEP 15 retry schedule, connection-id lifetime. */
  udp?: Omit<UdpTrackerClientOptions, 'runtime'>;
}

export interface TrackerRequestOptions {
  signal?: AbortSignal;
}

/** Announce and scrape against `http://` (BEP 3, 23, 48) and `udp://` (BEP 15) trackers. */
export interface TrackerClient {
  announce(
    url: string,
    params: AnnounceParams,
    options?: TrackerRequestOptions,
  ): Promise<AnnounceResult>;
  scrape(
    url: string,
    infoHashes: readonly Uint8Array[],
    options?: TrackerRequestOptions,
  ): Promise<ScrapeResult>;
  /** Closes the UDP sockets (if any were opened); requests in flight reject. */
  close(): Promise<void>;
}

export function createTrackerClient(options: TrackerClientOptions): TrackerClient {
  const { runtime } = options;
  let udp: UdpTrackerClient | undefined;
  const udpClient = () => {
    udp ??= new UdpTrackerClient({ runtime, ...options.udp });
    return udp;
  };
  const scheme = (url: string) => {
    const match = /^([a-z][a-z0-9+.-]*):/i.exec(url);
    const name = match?.[1]?.toLowerCase();
    if (name === 'http' || name === 'udp') return name;
    throw new TrackerError(
      `unsupported tracker URL ${JSON.stringify(url)} (http:// and udp:// only)`,
      'ERR_TRACKER_URL',
    );
  };
  const httpOptions = (signal: AbortSignal | undefined): HttpTrackerOptions => ({
    ...options.http,
    ...(signal ? { signal } : {}),
  });
  return {
    announce(url, params, requestOptions = {}) {
      try {
        return scheme(url) === 'http'
          ? httpAnnounce(runtime, url, params, httpOptions(requestOptions.signal))
          : udpClient().announce(url, params, requestOptions);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    scrape(url, infoHashes, requestOptions = {}) {
      try {
        return scheme(url) === 'http'
          ? httpScrape(runtime, url, infoHashes, httpOptions(requestOptions.signal))
          : udpClient().scrape(url, infoHashes, requestOptions);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async close() {
      await udp?.close();
    },
  };
}
