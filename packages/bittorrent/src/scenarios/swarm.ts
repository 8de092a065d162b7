/**
 * A flash crowd in the simulator: S seeds and N leechers join a torrent at t = 0 and the run
 * goes on until every leecher holds every verified piece. The peers are the real client
 * (`createClient`, the session, wire, picker and choker) on simulated hosts whose upload and
 * download capacities the simulator enforces; the tracker is the real tracker on a simulated
 * host. The result compares the completion times with the fluid lower bound (see bound.ts).
 */
import type { Seed } from '@p2pkit/core';
import { type LatencyModel, latency, type SimHost, Simulation } from '@p2pkit/sim';
import { type Client, createClient } from '../client.js';
import { createMetainfo, memorySource } from '../metainfo/create.js';
import type { StorageLayout } from '../storage/storage.js';
import type { TorrentSettings } from '../torrent/settings.js';
import type { Torrent } from '../torrent/torrent.js';
import { createTracker, type TrackerServer } from '../tracker/server.js';
import { type FluidBound, fluidBound } from './bound.js';
import { DEFAULT_UPLOAD_CLASSES, drawRates, type RateSpec } from './rates.js';
import { type Summary, summarize } from './stats.js';
import { type ContentCheck, createSharedContentStorage } from './storage.js';

export interface SwarmOptions {
  /** Every random draw of the run (content, rates, latencies, peers' choices) derives from it. */
  readonly seed: Seed;
  /** Leechers (N). */
  readonly peers: number;
  /** Initial seeds (default 1). */
  readonly seeds?: number;
  /** File size F in bytes. */
  readonly size: number;
  /** Piece length (default: a power of two giving about 256 pieces, at least 16 KiB). */
  readonly pieceLength?: number;
  /** Upload of each initial seed, bytes/s (default 4x the leechers' mean upload). */
  readonly seedUpload?: number;
  /** Leechers' upload rates, bytes/s (default DEFAULT_UPLOAD_CLASSES, drawn at random). */
  readonly upload?: RateSpec;
  /** Leechers' download cap, bytes/s (default: unlimited). */
  readonly download?: number;
  /** One-way latency (default uniform 10..50 ms). */
  readonly latency?: LatencyModel;
  /** How peers find each other: the tracker (default) or a random list handed to each leecher. */
  readonly introduction?: 'tracker' | 'direct';
  /** New pieces by rarest first (default) or at random. */
  readonly pieceSelection?: TorrentSettings['pieceSelection'];
  /** Cohen's tit-for-tat choker (default) or unchoke every interested peer. */
  readonly choking?: TorrentSettings['choking'];
  /** Connections per peer (default 50, as the session). */
  readonly maxPeers?: number;
  /** More session settings for every peer (applied last). */
  readonly settings?: Partial<TorrentSettings>;
  /** Give up after this much virtual time (default 20x the bound + 10 min). */
  readonly timeLimitMs?: number;
  /** Samples of the swarm's progress this often, in virtual ms (default bound / 200). */
  readonly sampleMs?: number;
  /** Called once every peer has joined, before the run: for instrumentation and tests. */
  readonly onStart?: (swarm: {
    readonly sim: Simulation;
    readonly torrents: readonly Torrent[];
  }) => void;
  /** Called at every sample (e.g. for a progress bar). */
  readonly onProgress?: (progress: SwarmProgress) => void;
  /**
   * Largest segment a host's uplink sends at once (default 1460 bytes, TCP's MSS on Ethernet).
   * Coarser segments make a 17-byte request or have wait behind whole segments of every other
   * upload on a slow uplink; measured at 300 peers, last completion / bound was 1.38 with the
   * simulator's default 16 KiB, 1.23 with 8 KiB, 1.16 with 4 KiB, 1.11 with 1460 bytes.
   */
  readonly segmentSize?: number;
  /** Simulator trace hash: 'fast' (default) or 'off' (a little faster). */
  readonly traceHash?: 'fast' | 'off';
}

export interface SwarmProgress {
  /** Virtual time, ms. */
  readonly timeMs: number;
  /** Leechers done. */
  readonly completed: number;
  readonly peers: number;
  /** Verified pieces over all leechers / (N · pieces). */
  readonly fraction: number;
}

/** One point of the swarm's history. */
export interface SwarmSample {
  readonly timeS: number;
  readonly completed: number;
  /** Piece payload bytes handed to the uplinks by everyone so far (counted when queued). */
  readonly uploaded: number;
  /** Piece payload bytes the leechers received so far (duplicates included). */
  readonly received: number;
}

/** The tracker's figures in a swarm run. */
export interface SwarmTrackerStats {
  /** Peers and torrents it holds at the end of the run, before anyone stops. */
  readonly peers: number;
  readonly torrents: number;
  /** Announces and scrapes it answered. */
  readonly announces: number;
  readonly scrapes: number;
  /**
   * Bytes it holds for its swarm(s) at the end of the run (TrackerServer.stateBytes: its
   * per-swarm and per-peer records summed), and the most over the samples.
   */
  readonly stateBytes: number;
  readonly peakStateBytes: number;
}

export interface SwarmResult {
  readonly peers: number;
  readonly seeds: number;
  readonly size: number;
  readonly pieceLength: number;
  readonly pieceCount: number;
  /** Each seed's upload and the leechers' rates (bytes/s). */
  readonly seedUpload: number;
  readonly uploads: readonly number[];
  readonly download: number;
  readonly pieceSelection: TorrentSettings['pieceSelection'];
  readonly choking: TorrentSettings['choking'];
  readonly introduction: 'tracker' | 'direct';
  /** The tracker's peers, requests and state size; null with introduction 'direct'. */
  readonly tracker: SwarmTrackerStats | null;
  /** Seconds from t = 0 to each leecher's completion (NaN when it did not finish). */
  readonly completions: readonly number[];
  /** Over the leechers that finished. */
  readonly completionS: Summary;
  readonly completed: number;
  /** Fluid lower bound (seconds) and its terms. */
  readonly bound: FluidBound;
  readonly boundS: number;
  /** Last completion / bound (the figure of merit); NaN if some leecher never finished. */
  readonly ratio: number;
  /** Mean completion / bound. */
  readonly meanRatio: number;
  /**
   * Piece payload the leechers received until the last completion (duplicates included), over
   * what every host's uplink could have carried in that time.
   */
  readonly utilization: number;
  /**
   * Piece payload handed to the uplinks / (N · F): above 1 by duplicates, and by blocks queued
   * on connections that closed before sending them.
   */
  readonly payloadOverhead: number;
  /** Piece payload the leechers received / (N · F): above 1 by duplicates (endgame, cancels). */
  readonly receivedOverhead: number;
  /** All stream bytes sent (wire framing, requests, haves, handshakes) / piece payload. */
  readonly wireOverhead: number;
  /** Pieces written and compared equal to the content (N · pieces when all is well), and mismatches. */
  readonly piecesVerified: number;
  readonly piecesCorrupt: number;
  /** Mean completion per upload class (rate → seconds), fastest class last. */
  readonly byUploadRate: readonly { rate: number; peers: number; meanS: number; maxS: number }[];
  readonly samples: readonly SwarmSample[];
  /** Session warnings by kind (numbers blanked), the ten most frequent. */
  readonly warnings: Readonly<Record<string, number>>;
  /** Simulator events, trace hash, wall-clock seconds and peak heap. */
  readonly events: number;
  readonly traceHash: string;
  readonly wallS: number;
  readonly virtualS: number;
}

const PORT = 6881;
const TRACKER_PORT = 6969;

/** A power of two near size / 256, at least 16 KiB (one block) and at most 4 MiB. */
export function defaultPieceLength(size: number): number {
  let length = 16 * 1024;
  while (length < 4 * 1024 * 1024 && size / length > 256) length *= 2;
  return length;
}

/**
 * Session settings for the simulated swarm, and why (each measured on 300- and 1000-peer
 * crowds, see docs/swarm.md):
 * - no encryption: MSE's 768-bit Diffie-Hellman per connection would dominate the run and buys
 *   nothing in a simulator;
 * - one request in flight per connection (`maxRequestsPerPeer: 1`): per-connection rates here
 *   are a few KiB/s, so one 16 KiB block is seconds of transfer, and the request for the next
 *   one arrives long before the uplink (shared round-robin by 4+1 unchoked peers) runs dry.
 *   Deeper pipelines only queue blocks at the sender: piece completion (what rarest first and
 *   tit-for-tat feed on) slows down, endgame starts with a third of the file still requested
 *   and the last blocks wait behind slow uploaders. Last completion / bound at 300 peers:
 *   1.45 with 3 requests, 1.40 with 2, 1.24 with 1;
 * - no BEP 6 allowed-fast set: 10 free pieces per connection from ~50 neighbours is a large
 *   part of a 256-piece torrent; choked peers would fetch outside the choker and split every
 *   uplink fifty ways (libtorrent offers 5, and only to peers that have almost nothing).
 */
export const SWARM_SETTINGS: Partial<TorrentSettings> = {
  encryption: 'disabled',
  initialQueue: 1,
  maxRequestsPerPeer: 1,
  allowedFastCount: 0,
};

function checkPositive(name: string, value: number, integer = false): void {
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value)))
    throw new RangeError(
      `${name} must be a positive ${integer ? 'integer' : 'number'} (got ${value})`,
    );
}

/** Runs one flash crowd to completion (or the time limit) and measures it. */
export async function runSwarm(options: SwarmOptions): Promise<SwarmResult> {
  const started = performance.now();
  const n = options.peers;
  const s = options.seeds ?? 1;
  checkPositive('peers', n, true);
  checkPositive('seeds', s, true);
  checkPositive('size', options.size, true);
  const pieceLength = options.pieceLength ?? defaultPieceLength(options.size);
  checkPositive('pieceLength', pieceLength, true);
  const download = options.download ?? Number.POSITIVE_INFINITY;
  if (!(download > 0)) throw new RangeError(`download must be > 0 (got ${download})`);
  const introduction = options.introduction ?? 'tracker';
  const pieceSelection = options.pieceSelection ?? 'rarest-first';
  const choking = options.choking ?? 'tit-for-tat';

  const sim = new Simulation({
    seed: options.seed,
    latency: options.latency ?? latency.uniform(10, 50),
    traceHash: options.traceHash ?? 'fast',
    streams: { segmentSize: options.segmentSize ?? 1460 },
  });
  const uploads = drawRates(
    options.upload ?? { classes: DEFAULT_UPLOAD_CLASSES },
    n,
    sim.random('rates'),
  );
  const meanUpload = uploads.reduce((a, b) => a + b, 0) / n;
  const seedUpload = options.seedUpload ?? 4 * meanUpload;
  checkPositive('seedUpload', seedUpload);
  const bound = fluidBound(
    options.size,
    s * seedUpload,
    uploads,
    download === Number.POSITIVE_INFINITY ? [] : new Array<number>(n).fill(download),
  );

  // The content, and its torrent announcing to the simulated tracker.
  const trackerHost = sim.addHost();
  const content = sim.random('content').bytes(options.size);
  let tracker: TrackerServer | undefined;
  if (introduction === 'tracker') {
    // UDP (BEP 15), as large public trackers: a thousand announces arriving in the same
    // instant would overflow the HTTP front end's 512-connection cap, and the refused clients
    // would retry only a minute later.
    tracker = await createTracker({
      runtime: trackerHost,
      http: false,
      udp: { port: TRACKER_PORT },
      intervalS: 3600,
      minIntervalS: 3600,
    });
  }
  const { metainfo } = await createMetainfo(
    memorySource('swarm.bin', [{ path: [], data: content }]),
    {
      hasher: trackerHost.hash,
      pieceLength,
      announce: tracker?.announceUrls[0],
    },
  );

  const check: ContentCheck = { verified: 0, corrupt: 0 };
  const settings: Partial<TorrentSettings> = {
    ...SWARM_SETTINGS,
    announce: introduction === 'tracker',
    maxPeers: options.maxPeers ?? 50,
    pieceSelection,
    choking,
    ...options.settings,
  };
  const seedHosts = sim.addHosts(s, { upload: seedUpload });
  const leecherHosts = uploads.map((upload) => sim.addHost({ upload, download }));
  const start = async (host: SimHost, complete: boolean) =>
    createClient({
      runtime: host,
      port: PORT,
      storage: (layout: StorageLayout) =>
        createSharedContentStorage(layout, content, complete, check),
      settings,
    });
  const seedClients = await Promise.all(seedHosts.map((h) => start(h, true)));
  const leechers = await Promise.all(leecherHosts.map((h) => start(h, false)));

  const completions = new Array<number>(n).fill(Number.NaN);
  let completed = 0;
  const torrents: Torrent[] = [];
  // Session warnings by kind (numbers blanked): protocol trouble shows up here, not silently.
  const warnings = new Map<string, number>();
  const countWarning = (error: Error) => {
    const kind = error.message.replace(/\d+(\.\d+)*(:\d+)?/g, '#');
    warnings.set(kind, (warnings.get(kind) ?? 0) + 1);
  };
  // The seeds come first and are announced before the crowd arrives: seeds never dial (they
  // wait for leechers), so a seed whose announce reached the tracker after every leecher's
  // would never be found.
  for (const client of seedClients) {
    const torrent = await client.add(metainfo);
    torrent.on('warning', countWarning);
    torrents.push(torrent);
  }
  if (tracker) {
    const announced = tracker;
    await sim.runUntil(() => announced.peers >= s, { timeoutMs: 60_000 });
  }
  // t0: the flash crowd arrives, every leecher at the same instant.
  const t0 = sim.now;
  const addAll = async () => {
    const random = sim.random('introductions');
    const everyone = [...seedHosts, ...leecherHosts].map((h) => ({ host: h.host, port: PORT }));
    for (let i = 0; i < n; i++) {
      const torrent = await leechers[i]!.add(metainfo);
      torrents.push(torrent);
      torrent.on('warning', countWarning);
      torrent.once('done', () => {
        completions[i] = (sim.now - t0) / 1000;
        completed++;
      });
      if (introduction === 'direct') {
        // As a tracker that already knows the whole crowd: a random sample of everyone.
        const want = Math.min(settings.maxPeers ?? 50, everyone.length - 1);
        const picked = new Set<number>();
        while (picked.size < want) {
          const j = random.int(everyone.length);
          if (j !== s + i) picked.add(j);
        }
        torrent.addPeers([...picked].map((j) => everyone[j]!));
      }
    }
  };
  const adding = addAll();
  await sim.runUntil(() => torrents.length === n + s, { timeoutMs: 1 });
  await adding;

  const sampleMs = options.sampleMs ?? Math.max(100, (bound.seconds * 1000) / 200);
  const samples: SwarmSample[] = [];
  const totalPieces = n * metainfo.pieceCount;
  const uploadedNow = () => {
    let total = 0;
    for (const t of torrents) total += t.progress().uploaded;
    return total;
  };
  const receivedNow = () => {
    let total = 0;
    for (let i = s; i < torrents.length; i++) total += torrents[i]!.progress().received;
    return total;
  };
  let peakStateBytes = 0;
  const sample = () => {
    if (tracker) peakStateBytes = Math.max(peakStateBytes, tracker.stateBytes);
    samples.push({
      timeS: (sim.now - t0) / 1000,
      completed,
      uploaded: uploadedNow(),
      received: receivedNow(),
    });
    if (options.onProgress) {
      let pieces = 0;
      for (let i = s; i < torrents.length; i++) pieces += torrents[i]!.progress().piecesDone;
      options.onProgress({
        timeMs: sim.now - t0,
        completed,
        peers: n,
        fraction: pieces / totalPieces,
      });
    }
  };
  sample();
  options.onStart?.({ sim, torrents });
  const timer = setIntervalOnSim(sim, sampleMs, sample);
  const timeLimitMs = options.timeLimitMs ?? bound.seconds * 20_000 + 600_000;
  try {
    await sim.runUntil(() => completed === n, { timeoutMs: timeLimitMs });
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ERR_SIM_TIMEOUT'))
      throw error;
  }
  timer.cancel();
  sample();
  const virtualS = (sim.now - t0) / 1000;
  const uploaded = uploadedNow();
  const received = receivedNow();
  const events = sim.eventCount;
  const traceHash = sim.traceHash;
  const wire = sim.metrics.totals().streams.sent.bytes;
  const trackerStats: SwarmTrackerStats | null = tracker
    ? {
        peers: tracker.peers,
        torrents: tracker.torrents,
        announces: tracker.announces,
        scrapes: tracker.scrapes,
        stateBytes: tracker.stateBytes,
        peakStateBytes,
      }
    : null;

  await stopAll(sim, [...seedClients, ...leechers], tracker);

  const finished = completions.filter((c) => !Number.isNaN(c));
  const completionS = summarize(finished);
  const last = completed === n ? completionS.max : Number.NaN;
  let capacity = s * seedUpload;
  for (const u of uploads) capacity += u;
  const byRate = new Map<number, number[]>();
  uploads.forEach((rate, i) => {
    const list = byRate.get(rate) ?? [];
    list.push(completions[i]!);
    byRate.set(rate, list);
  });
  return {
    peers: n,
    seeds: s,
    size: options.size,
    pieceLength,
    pieceCount: metainfo.pieceCount,
    seedUpload,
    uploads,
    download,
    pieceSelection,
    choking,
    introduction,
    tracker: trackerStats,
    completions,
    completionS,
    completed,
    bound,
    boundS: bound.seconds,
    ratio: last / bound.seconds,
    meanRatio: completionS.mean / bound.seconds,
    utilization: received / (capacity * virtualS),
    payloadOverhead: uploaded / (n * options.size),
    receivedOverhead: received / (n * options.size),
    wireOverhead: wire / uploaded,
    piecesVerified: check.verified,
    piecesCorrupt: check.corrupt,
    byUploadRate: [...byRate.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([rate, list]) => {
        const summary = summarize(list.filter((c) => !Number.isNaN(c)));
        return { rate, peers: list.length, meanS: summary.mean, maxS: summary.max };
      }),
    samples,
    warnings: Object.fromEntries([...warnings].sort((a, b) => b[1] - a[1]).slice(0, 10)),
    events,
    traceHash,
    wallS: (performance.now() - started) / 1000,
    virtualS,
  };
}

/** Repeats `fn` every `ms` of virtual time (a scenario-level timer, not a host's). */
function setIntervalOnSim(sim: Simulation, ms: number, fn: () => void): { cancel(): void } {
  let handle = sim.after(ms, tick);
  function tick() {
    fn();
    handle = sim.after(ms, tick);
  }
  return { cancel: () => handle.cancel() };
}

/** Stops every client and the tracker, running virtual time until they are done. */
async function stopAll(
  sim: Simulation,
  clients: readonly Client[],
  tracker: TrackerServer | undefined,
): Promise<void> {
  let stopped = false;
  const stopping = Promise.allSettled(clients.map((c) => c.stop())).then(async () => {
    await tracker?.close();
    stopped = true;
  });
  await sim.runUntil(() => stopped, { timeoutMs: 120_000 }).catch(() => {});
  await stopping;
}
