/**
 * BitTorrent in compare: `runSwarm` from @p2pkit/bittorrent/scenarios, the function behind
 * `p2pkit sim bt`: a flash crowd of N leechers and one seed on one torrent, peers found through
 * the real UDP tracker (BEP 15), run until every leecher holds every verified piece. BitTorrent
 * looks nothing up: its row is the tracker (peers it holds, datagrams to find peers) and the
 * swarm (peer set, completion time, bytes per peer). Lookup figures are null, with the reason.
 */
import type { SwarmResult } from '@p2pkit/bittorrent/scenarios';
import { Distribution, type Simulation } from '@p2pkit/sim';
import type { ProtocolAdapter, Row, Stat } from '../types.js';
import { emptyRow, simCommand } from './common.js';

/** The file every leecher downloads: 16 pieces of 16 KiB (the smallest piece is one block). */
export const SWARM_FILE_BYTES = 256 * 1024;

/** What compare reads from the run besides the result: the simulator and the torrents. */
interface Watch {
  sim?: Simulation;
  torrents: ReadonlyArray<{
    readonly peerCount: number;
    readonly metainfo: { readonly announce: string | undefined } | undefined;
  }>;
  /** Largest mean peer set of the leechers over the samples. */
  peerSet: number;
}

function observe(watch: Watch, seeds: number): void {
  const leechers = watch.torrents.slice(seeds);
  if (leechers.length === 0) return;
  let connections = 0;
  for (const t of leechers) connections += t.peerCount;
  watch.peerSet = Math.max(watch.peerSet, connections / leechers.length);
}

/** Mean, p50 and p99 of the leechers' completion times (the simulator's Distribution). */
function completionStat(r: SwarmResult): Stat {
  const d = new Distribution('completion s');
  for (const c of r.completions) if (!Number.isNaN(c)) d.record(c);
  return { mean: d.mean, p50: d.percentile(50), p99: d.percentile(99) };
}

/** The tracker's datagrams both ways, counted by the simulator at the tracker's host. */
function trackerTraffic(watch: Watch): { messages: number; bytes: number } | undefined {
  const announce = watch.torrents[0]?.metainfo?.announce;
  if (!watch.sim || !announce) return undefined;
  const host = watch.sim.host(new URL(announce).hostname);
  if (!host) return undefined;
  const d = watch.sim.metrics.host(host).datagrams;
  return {
    messages: d.sent.messages + d.received.messages,
    bytes: d.sent.bytes + d.received.bytes,
  };
}

export const bittorrent: ProtocolAdapter = {
  name: 'bittorrent',
  lecture: {
    // A peer keeps a bounded peer set (50 connections at most), whatever the swarm's size.
    memoryEntries: 'O(1)',
    // The tracker holds every peer of the torrent, a record of a few hundred bytes each.
    serverEntries: 'O(N)',
    serverBytes: 'O(N)',
    // Finding peers is a few announces to the tracker, each answered with at most 50 peers.
    messagesPerLookup: 'O(1)',
    bytesPerLookup: 'O(1)',
  },
  minNodes: 1,
  // Measured with sim bt and a 256 KiB file: N = 300 took 49 CPU-seconds, N = 1000 took 226
  // CPU-seconds and 1.8 GB (the real client over simulated TCP, up to 50 connections a peer).
  maxNodes: 300,
  maxNodesReason:
    'every leecher runs the real client over simulated TCP (1460-byte segments, up to 50 connections each): 1000 leechers took 226 CPU-seconds and 1.8 GB, past compare’s two-minute budget; `p2pkit sim bt --peers 1000 --size 262144` runs it on its own',
  estimateSeconds: (w) => 0.3 + w.nodes ** 1.3 / 55,
  async run(w, onProgress) {
    const { runSwarm } = await import('@p2pkit/bittorrent/scenarios');
    const wall0 = performance.now();
    const seeds = 1;
    const flags = { peers: w.nodes, size: SWARM_FILE_BYTES, seed: w.seed };
    const watch: Watch = { torrents: [], peerSet: 0 };
    const r = await runSwarm({
      seed: w.seed,
      peers: w.nodes,
      seeds,
      size: SWARM_FILE_BYTES,
      onStart: ({ sim, torrents }) => {
        watch.sim = sim;
        watch.torrents = torrents;
      },
      onProgress: (p) => {
        observe(watch, seeds);
        onProgress(p.fraction);
      },
    });
    const row: Row = emptyRow('bittorrent', w, simCommand('bt', flags));
    // What `p2pkit sim bt --json` prints of the same run (the samples and rates it leaves out
    // or summarizes are left out here too).
    const { samples: _samples, uploads: _uploads, ...figures } = r;
    row.sim = figures;
    row.successRate = r.completed / Math.max(1, r.peers);
    row.memory.entries = watch.peerSet > 0 ? watch.peerSet : null;
    // The tracker's own count and state size (sim bt --json's `tracker`), at the end of the
    // download, before anyone stops.
    if (r.tracker) row.server = { entries: r.tracker.peers, bytes: r.tracker.stateBytes };
    const traffic = trackerTraffic(watch);
    const peers = r.peers + r.seeds;
    if (traffic) {
      row.messagesPerLookup = traffic.messages / peers;
      row.bytesPerLookup = traffic.bytes / peers;
    }
    const uploaded = r.payloadOverhead * r.peers * r.size;
    row.swarm = {
      size: r.size,
      completionS: completionStat(r),
      boundS: r.boundS,
      ratio: r.ratio,
      receivedBytesPerPeer: r.receivedOverhead * r.size,
      wireBytesPerPeer: (r.wireOverhead * uploaded) / peers,
    };
    row.notes.push(
      `workload: BitTorrent looks nothing up; N leechers and one seed download one ${SWARM_FILE_BYTES / 1024} KiB file (the same seed; --lookups, --items-per-node, --latency and --fail do not apply: sim bt draws latencies uniform in 10..50 ms and has no crash phase)`,
      'entries/node: connections per leecher, the mean over the leechers at its largest during the download (a peer keeps at most 50); bytes/node: not measured',
      'server columns: the tracker: peers it holds for the torrent and the bytes of its records for them (TrackerServer.stateBytes: per-swarm and per-peer records, strings by length plus V8’s fixed sizes), at the end of the download, before anyone stops: sim bt --json’s tracker.peers and tracker.stateBytes',
      'msgs/lookup and bytes/lookup: datagrams to and from the tracker (BEP 15 connect and announce: started, completed, stopped) per peer, counted by the simulator at the tracker’s host; sim bt --json does not print them',
      'hops and simulated ms: an announce is one round trip to the tracker; its latency is not measured by sim bt',
      'load, locality, maintenance: not measured (no keys are placed; the tracker re-announce interval is 1 h, beyond the run)',
    );
    row.wallMs = Math.round(performance.now() - wall0);
    return row;
  },
  summary(rows) {
    const done = rows
      .map((r) => `${r.swarm?.completionS.mean.toFixed(1)} s at N = ${r.nodes}`)
      .join(', ');
    const tracker = rows.map((r) => `${Math.round(r.server?.entries ?? 0)}`).join(' → ');
    const perPeer = rows
      .filter((r) => r.server?.bytes && r.server.entries)
      .map((r) => `${Math.round((r.server?.bytes ?? 0) / (r.server?.entries ?? 1))}`)
      .join(', ');
    const msgs = rows.map((r) => (r.messagesPerLookup ?? 0).toFixed(1)).join(', ');
    return `BitTorrent does not search: a peer learns the swarm from the tracker and then trades pieces with a bounded peer set. The tracker is the central part and holds every peer of the torrent (${tracker} over these N${perPeer ? `, ${perPeer} bytes of state per peer` : ''}), but finding peers costs each peer only a few datagrams (${msgs} to and from the tracker per peer); the download is spread over the swarm, whose mean completion time for a ${SWARM_FILE_BYTES / 1024} KiB file stays near the fluid bound as N grows (${done}).`;
  },
};
