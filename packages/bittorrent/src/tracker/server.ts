import {
  type Address,
  createHttpServer,
  type DatagramSocket,
  DecodeError,
  formatAddress,
  type HttpServer,
  type HttpServerResponse,
  type Runtime,
  type TimerHandle,
  Writer,
} from '@p2pkit/core';
import { binaryToBytes, equalBytes, toHex } from '../bencode/binary.js';
import { bencode } from '../bencode/encode.js';
import type { BEncodable } from '../bencode/types.js';
import { encodeCompactPeers, formatIp, parseIp } from './compact.js';
import { type PeerRecord, type SwarmAnnounce, type SwarmLimits, Swarms } from './swarms.js';
import type { AnnounceEvent } from './types.js';
import {
  decodeUdpRequest,
  encodeAnnounceResponse,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeResponse,
  type UdpRequest,
} from './udp-packets.js';

export interface TrackerServerOptions extends Partial<SwarmLimits> {
  runtime: Runtime;
  /** HTTP front end: where to bind (default: runtime host, any port); `false` = none. */
  http?: { host?: string; port?: number } | false;
  /** UDP front end (BEP 15); `false` = none. */
  udp?: { host?: string; port?: number } | false;
  /** Announce interval told to clients, in seconds (default 600). */
  intervalS?: number;
  /** `min interval`, in seconds (default 60). */
  minIntervalS?: number;
  /** How often silent peers are swept out, in ms (default 60 s). */
  sweepIntervalMs?: number;
  /** Which torrents to track (a whitelist); others get a failure reason. Default: all. */
  filter?: (infoHash: Uint8Array) => boolean;
  /**
   * Take a client's `ip` parameter (HTTP) / field (UDP) instead of the packet's source address.
   * Off by default: anyone could then register someone else's address.
   */
  trustIp?: boolean;
}

export interface TrackerServer {
  /** Where the HTTP front end listens. */
  readonly httpAddress: Address | undefined;
  /** Where the UDP front end listens. */
  readonly udpAddress: Address | undefined;
  /** `http://host:port/announce` and `udp://host:port/announce`, for metainfo and the CLI. */
  readonly announceUrls: readonly string[];
  readonly torrents: number;
  readonly peers: number;
  /** Announces and scrapes answered since it started (HTTP and UDP; refusals included). */
  readonly announces: number;
  readonly scrapes: number;
  /**
   * Bytes the tracker holds for its swarms (per swarm and per peer, strings included), an
   * estimate summed over its records with V8's measured sizes; not sockets or buffers.
   */
  readonly stateBytes: number;
  /** Stops both front ends and the sweep timer; releases every socket. */
  close(): Promise<void>;
}

/** UDP replies stay below this many bytes (fits any path MTU without fragmentation). */
const MAX_UDP_REPLY = 1200;
/** A connection id is derived from a one-minute time bucket; the last three are accepted. */
const BUCKET_MS = 60_000;

/**
 * An open BitTorrent tracker: HTTP (BEP 3, compact BEP 23 and dictionary peers, BEP 7 peers6,
 * BEP 48 scrape) and UDP (BEP 15) announce and scrape over one shared state. Binds exactly where
 * told.
 */
export async function createTracker(options: TrackerServerOptions): Promise<TrackerServer> {
  const { runtime } = options;
  const intervalS = options.intervalS ?? 600;
  const minIntervalS = options.minIntervalS ?? 60;
  const swarms = new Swarms(runtime.random.fork('tracker'), {
    maxTorrents: options.maxTorrents ?? 100_000,
    maxPeersPerTorrent: options.maxPeersPerTorrent ?? 10_000,
    defaultNumwant: options.defaultNumwant ?? 50,
    maxNumwant: options.maxNumwant ?? 200,
    peerTimeoutMs: options.peerTimeoutMs ?? intervalS * 2 * 1000,
  });
  const secret = runtime.random.bytes(20);
  const filter = options.filter ?? (() => true);
  /** `p2pkit:tracker:server` (DEBUG=p2pkit:tracker*). */
  const log = runtime.log.extend('tracker').extend('server');
  let announces = 0;
  let scrapes = 0;

  const announce = (a: SwarmAnnounce, via: string) => {
    announces++;
    const reply = filter(a.infoHash)
      ? swarms.announce(a, runtime.clock.now())
      : ({ failure: 'torrent not tracked here' } as const);
    if (log.enabled) {
      const who = `${formatAddress({ host: a.host, port: a.port })} ${toHex(a.infoHash).slice(0, 12)}`;
      if (reply.failure !== undefined)
        log('%s announce from %s: refused (%s)', via, who, reply.failure);
      else
        log(
          '%s announce from %s: %s, left %s; %d peers sent, %d seeders, %d leechers',
          via,
          who,
          a.event ?? 'update',
          a.left ?? '?',
          reply.peers.length,
          reply.complete,
          reply.incomplete,
        );
    }
    return reply;
  };
  const scrape = (infoHash: Uint8Array) => {
    const entry = swarms.scrape(infoHash);
    log.enabled &&
      log(
        'scrape %s: %d seeders, %d leechers',
        toHex(infoHash).slice(0, 12),
        entry.complete,
        entry.incomplete,
      );
    return entry;
  };

  // ---- HTTP --------------------------------------------------------------------------------

  const onHttp = (target: string, from: Address): HttpServerResponse => {
    const q = target.indexOf('?');
    const path = q === -1 ? target : target.slice(0, q);
    const query = parseQuery(q === -1 ? '' : target.slice(q + 1));
    if (!query) return bencoded({ 'failure reason': 'malformed query string' });
    if (path.endsWith('/announce')) return httpAnnounce(query, from);
    if (path.endsWith('/scrape')) return httpScrape(query);
    return { status: 404, body: 'not found' };
  };

  const httpAnnounce = (query: Map<string, string[]>, from: Address): HttpServerResponse => {
    const one = (k: string) => query.get(k)?.[0];
    const infoHash = one('info_hash');
    const peerId = one('peer_id');
    const port = toInt(one('port'));
    if (infoHash?.length !== 20) return bencoded({ 'failure reason': 'invalid info_hash' });
    if (peerId?.length !== 20) return bencoded({ 'failure reason': 'invalid peer_id' });
    if (port === undefined || port < 1 || port > 65535) {
      return bencoded({ 'failure reason': 'invalid port' });
    }
    const eventText = one('event');
    const event =
      eventText === 'started' || eventText === 'completed' || eventText === 'stopped'
        ? (eventText as AnnounceEvent)
        : undefined;
    const claimedIp = options.trustIp ? one('ip') : undefined;
    const host =
      claimedIp && parseIp(claimedIp) ? normalizeHost(claimedIp) : normalizeHost(from.host);
    const reply = announce(
      {
        infoHash: binaryToBytes(infoHash),
        peerId: binaryToBytes(peerId),
        host,
        port,
        left: toInt(one('left')),
        event,
        numwant: toInt(one('numwant')),
      },
      'http',
    );
    if (reply.failure !== undefined) return bencoded({ 'failure reason': reply.failure });
    const base = {
      complete: reply.complete,
      incomplete: reply.incomplete,
      interval: intervalS,
      'min interval': minIntervalS,
    };
    if (one('compact') === '0') {
      const noPeerId = one('no_peer_id') === '1';
      return bencoded({
        ...base,
        peers: reply.peers.map((p) => ({
          ip: p.host,
          'peer id': noPeerId ? undefined : p.peerId,
          port: p.port,
        })),
      });
    }
    const peers6 = encodeCompactPeers(reply.peers, 6);
    return bencoded({
      ...base,
      peers: encodeCompactPeers(reply.peers, 4),
      peers6: peers6.length > 0 ? peers6 : undefined,
    });
  };

  const httpScrape = (query: Map<string, string[]>): HttpServerResponse => {
    scrapes++;
    const files = new Map<string, BEncodable>();
    for (const hash of (query.get('info_hash') ?? []).slice(0, 256)) {
      if (hash.length !== 20) return bencoded({ 'failure reason': 'invalid info_hash' });
      const entry = scrape(binaryToBytes(hash));
      files.set(hash, { ...entry });
    }
    return bencoded({ files });
  };

  let http: HttpServer | undefined;
  let udp: DatagramSocket | undefined;
  let sweeper: TimerHandle | undefined;
  const cleanup = async () => {
    runtime.clock.clearTimeout(sweeper);
    await Promise.all([http?.close(), udp?.close()]);
  };

  try {
    if (options.http !== false) {
      http = await createHttpServer({
        runtime,
        ...(options.http?.host !== undefined ? { host: options.http.host } : {}),
        port: options.http?.port ?? 0,
        maxHeaderSize: 8192,
        handler: (request) => {
          if (request.method !== 'GET') return { status: 405, body: 'GET only' };
          return onHttp(request.target, request.remoteAddress);
        },
      });
    }

    // ---- UDP -------------------------------------------------------------------------------

    const connectionId = (from: Address, bucket: number): Uint8Array => {
      const w = new Writer(64)
        .bytes(secret)
        .u32(bucket >>> 0)
        .u16(from.port)
        .utf8(from.host);
      return runtime.hash.sha1(w.finish()).subarray(0, 8);
    };
    const validConnection = (id: Uint8Array, from: Address): boolean => {
      const bucket = Math.floor(runtime.clock.now() / BUCKET_MS);
      for (let b = bucket; b > bucket - 3; b--)
        if (equalBytes(id, connectionId(from, b))) return true;
      return false;
    };
    const onUdp = (data: Uint8Array, from: Address) => {
      let request: UdpRequest;
      try {
        request = decodeUdpRequest(data);
      } catch (error) {
        if (error instanceof DecodeError) return; // Not ours, or garbage: no reply to amplify.
        throw error;
      }
      const reply = (packet: Uint8Array) => {
        try {
          udp?.send(packet, from);
        } catch {
          // A closed socket or an oversize reply: UDP loss by another name.
        }
      };
      if (request.action === 'connect') {
        const bucket = Math.floor(runtime.clock.now() / BUCKET_MS);
        reply(encodeConnectResponse(request.transactionId, connectionId(from, bucket)));
        return;
      }
      if (!validConnection(request.connectionId, from)) {
        reply(encodeErrorResponse(request.transactionId, 'connection id mismatch'));
        return;
      }
      if (request.action === 'scrape') {
        scrapes++;
        const entries = request.infoHashes.map((hash) => {
          const e = scrape(hash);
          return { seeders: e.complete, completed: e.downloaded, leechers: e.incomplete };
        });
        reply(encodeScrapeResponse(request.transactionId, entries));
        return;
      }
      if (request.port === 0) {
        reply(encodeErrorResponse(request.transactionId, 'invalid port'));
        return;
      }
      const family = parseIp(from.host)?.length === 16 && !from.host.startsWith('::ffff:') ? 6 : 4;
      const stride = family === 4 ? 6 : 18;
      const fit = Math.floor((MAX_UDP_REPLY - 20) / stride);
      const claimed =
        options.trustIp && request.ip !== 0 ? formatIp(u32Bytes(request.ip)) : undefined;
      const result = announce(
        {
          infoHash: request.infoHash,
          peerId: request.peerId,
          host: claimed ?? normalizeHost(from.host),
          port: request.port,
          left: request.left,
          event: request.event,
          numwant: request.numWant < 0 ? undefined : Math.min(request.numWant, fit),
        },
        'udp',
      );
      if (result.failure !== undefined) {
        reply(encodeErrorResponse(request.transactionId, result.failure));
        return;
      }
      const peers: PeerRecord[] = result.peers.slice(0, fit);
      reply(
        encodeAnnounceResponse({
          transactionId: request.transactionId,
          interval: intervalS,
          leechers: result.incomplete,
          seeders: result.complete,
          peers: encodeCompactPeers(peers, family),
        }),
      );
    };
    if (options.udp !== false) {
      udp = await runtime.net.bind(
        {
          ...(options.udp?.host !== undefined ? { host: options.udp.host } : {}),
          port: options.udp?.port ?? 0,
        },
        onUdp,
      );
    }
  } catch (error) {
    await cleanup();
    throw error;
  }

  sweeper = runtime.clock.setInterval(
    () => swarms.sweep(runtime.clock.now()),
    options.sweepIntervalMs ?? 60_000,
  );
  const announceUrls: string[] = [];
  if (http) announceUrls.push(`http://${formatAddress(http.address)}/announce`);
  if (udp) announceUrls.push(`udp://${formatAddress(udp.address)}/announce`);
  let closed = false;
  return {
    httpAddress: http?.address,
    udpAddress: udp?.address,
    announceUrls,
    get torrents() {
      return swarms.torrents;
    },
    get peers() {
      return swarms.peers;
    },
    get stateBytes() {
      return swarms.stateBytes();
    },
    get announces() {
      return announces;
    },
    get scrapes() {
      return scrapes;
    },
    async close() {
      if (closed) return;
      closed = true;
      await cleanup();
    },
  };
}

function bencoded(value: BEncodable): HttpServerResponse {
  // BEP 3: failures are bencoded dictionaries too, sent with status 200.
  return { status: 200, headers: { 'Content-Type': 'text/plain' }, body: bencode(value) };
}

/** `::ffff:1.2.3.4` (a dual-stack socket's view of an IPv4 client) → `1.2.3.4`. */
function normalizeHost(host: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped ? mapped[1]! : host;
}

function u32Bytes(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

function toInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Splits a query string into binary-string values (percent-escapes decoded to raw bytes, `+` as
 * a space as in form encoding). Undefined on a malformed escape.
 */
export function parseQuery(query: string): Map<string, string[]> | undefined {
  const out = new Map<string, string[]>();
  if (query.length === 0) return out;
  for (const part of query.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const key = unescapeBinary(eq === -1 ? part : part.slice(0, eq));
    const value = unescapeBinary(eq === -1 ? '' : part.slice(eq + 1));
    if (key === undefined || value === undefined) return undefined;
    const list = out.get(key);
    if (list) list.push(value);
    else out.set(key, [value]);
  }
  return out;
}

function unescapeBinary(text: string): string | undefined {
  if (!text.includes('%') && !text.includes('+')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '+') out += ' ';
    else if (c === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 2;
    } else out += c;
  }
  return out;
}
