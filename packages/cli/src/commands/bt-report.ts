/**
 * What `bt get` and `bt seed` say: the progress line (bar, plain line or JSON event), why
 * nothing flows when nothing does, and the final summary line and JSON result with the exit
 * code.
 */
import {
  type MagnetLink,
  type Metainfo,
  MetainfoError,
  type Torrent,
  type TorrentProgress,
  type TrackerStatus,
} from '@p2pkit/bittorrent';
import {
  formatBytes,
  formatElapsed,
  formatEta,
  formatRate,
  plural,
  type Reporter,
  writeJson,
} from '../progress.js';
import { describeError } from './bt-source.js';

/** Exit codes of `bt seed` and `bt get` (scripts rely on them). */
export const BT_EXIT = {
  ok: 0,
  /** A refused .torrent or magnet link, bad arguments, nothing to seed: nothing was written. */
  refused: 1,
  /** The transfer failed: a storage error, refused metadata, `--timeout` or `--stall-timeout`. */
  failed: 2,
  /** Interrupted by SIGINT / SIGTERM (128 + signal number). */
  sigint: 130,
  sigterm: 143,
} as const;

export type Kind = 'get' | 'seed';

export /** How a run ended, for the summary, the JSON result and the exit code. */
type Ending =
  | { status: 'complete' | 'seeded' }
  | { status: 'failed'; error: Error }
  | { status: 'timeout' | 'stalled'; afterMs: number }
  | { status: 'interrupted'; signal: NodeJS.Signals };

/** One progress report: the bar's fields, a plain line, a JSON event. */
export function report(
  torrent: Torrent,
  p: TorrentProgress,
  reporter: Reporter,
  force: boolean,
): void {
  if (reporter.mode === 'quiet') return;
  const peers = `${plural(p.peers, 'peer')}${p.seeds > 0 ? ` (${plural(p.seeds, 'seed')})` : ''}`;
  const waiting = waitingFor(torrent, p);
  const percent = p.length > 0 ? (p.downloaded / p.length) * 100 : 0;
  let line: string;
  let phase: string;
  let rate: string;
  if (p.state === 'metadata') {
    phase = 'metadata';
    rate = '-';
    line = `fetching the metadata, ${peers}`;
  } else if (p.state === 'checking') {
    phase = 'checking';
    rate = '-';
    line = 'checking the data already on disk';
  } else if (torrent.complete) {
    phase = 'seeding';
    rate = `up ${formatRate(p.uploadRate)}`;
    const ratio = p.length > 0 ? p.uploaded / p.length : 0;
    line = `seeding, up ${formatRate(p.uploadRate)}, uploaded ${formatBytes(p.uploaded)} (ratio ${ratio.toFixed(2)}), ${peers}`;
  } else {
    phase = 'downloading';
    rate = `down ${formatRate(p.downloadRate)}`;
    line = `${percent.toFixed(1)}% ${formatBytes(p.downloaded)} of ${formatBytes(p.length)}, down ${formatRate(p.downloadRate)}, up ${formatRate(p.uploadRate)}, ${peers}, ETA ${formatEta(p.eta)}`;
  }
  if (waiting) line += `; ${waiting}`;
  const fields = {
    phase,
    done: formatBytes(p.downloaded),
    size: formatBytes(p.length),
    rate,
    peers,
    status: waiting ?? (torrent.complete ? '' : `ETA ${formatEta(p.eta)}`),
  };
  const json = {
    state: p.state,
    downloaded: p.downloaded,
    length: p.length,
    piecesDone: p.piecesDone,
    pieceCount: p.pieceCount,
    received: p.received,
    uploaded: p.uploaded,
    downloadRate: Math.round(p.downloadRate),
    uploadRate: Math.round(p.uploadRate),
    peers: p.peers,
    seeds: p.seeds,
    connecting: p.connecting,
    knownPeers: p.knownPeers,
    eta: p.eta === undefined ? null : Math.round(p.eta),
    trackers: torrent.trackers().map(trackerJson),
  };
  reporter.progress(p.downloaded, p.length, line, reporter.mode === 'json' ? json : fields, force);
}

/** Why nothing flows, when nothing does: peers being dialed, what the trackers said. */
function waitingFor(torrent: Torrent, p: TorrentProgress): string | undefined {
  const flowing = torrent.complete ? p.peers > 0 : p.downloadRate > 0;
  if (flowing || p.state === 'checking') return undefined;
  const parts: string[] = [];
  if (p.peers === 0) {
    parts.push(
      p.connecting > 0
        ? `connecting to ${plural(p.connecting, 'peer')} of ${p.knownPeers} known`
        : `no peers (${p.knownPeers} known)`,
    );
  } else if (!torrent.complete) {
    parts.push('waiting for a peer to unchoke us');
  }
  const trackers = torrent.trackers();
  if (trackers.length === 0 && p.knownPeers === 0) parts.push('no trackers: pass --peer');
  for (const t of trackers) parts.push(describeTracker(t));
  return parts.join('; ');
}

function describeTracker(t: TrackerStatus): string {
  if (t.error !== undefined) return `tracker ${t.url}: ${t.error}`;
  if (t.announcedAt === undefined) return `tracker ${t.url}: announcing`;
  const swarm =
    t.seeders !== undefined && t.leechers !== undefined
      ? `, ${plural(t.seeders, 'seeder')} and ${plural(t.leechers, 'leecher')}`
      : '';
  return `tracker ${t.url}: ${plural(t.peers, 'peer')}${swarm}`;
}

function trackerJson(t: TrackerStatus) {
  return {
    url: t.url,
    peers: t.peers,
    seeders: t.seeders ?? null,
    leechers: t.leechers ?? null,
    error: t.error ?? null,
  };
}

/** Prints the summary line (and the JSON result); the exit code. */
export function finish(
  kind: Kind,
  torrent: Torrent | undefined,
  parsed: Metainfo | MagnetLink,
  folder: string,
  startedAt: number,
  reporter: Reporter,
  ending: Ending,
  peersSeen = 0,
): number {
  reporter.stop();
  const elapsedMs = performance.now() - startedAt;
  const p = torrent?.progress();
  const label = torrent?.name ?? parsed.name ?? parsed.infoHashHex;
  const length = p?.length ?? 0;
  const received = p?.received ?? 0;
  const uploaded = p?.uploaded ?? 0;
  const ratio = length > 0 ? uploaded / length : 0;
  const average = elapsedMs > 0 ? (received / elapsedMs) * 1000 : 0;
  const stats = `${formatBytes(length)}, ${formatElapsed(elapsedMs)}, average ${formatRate(average)} down, ${plural(peersSeen, 'peer')}, uploaded ${formatBytes(uploaded)} (ratio ${ratio.toFixed(2)})`;
  let code: number;
  let line: string;
  switch (ending.status) {
    case 'complete':
      code = BT_EXIT.ok;
      line = `${label}: complete, every piece verified: ${stats}`;
      break;
    case 'seeded':
      code = BT_EXIT.ok;
      line = `${label}: ${kind === 'get' ? 'complete, every piece verified, ' : ''}seeding goal reached: ${stats}`;
      break;
    case 'failed':
      code = ending.error instanceof MetainfoError ? BT_EXIT.refused : BT_EXIT.failed;
      line = `${label}: ${describeError(ending.error)}`;
      break;
    case 'timeout':
    case 'stalled': {
      code = BT_EXIT.failed;
      const why =
        ending.status === 'timeout'
          ? `not complete after ${formatElapsed(ending.afterMs)} (--timeout)`
          : `no data for ${formatElapsed(ending.afterMs)} (--stall-timeout)`;
      const state = torrent && p ? waitingFor(torrent, p) : undefined;
      line = `${label}: ${why}: ${p?.piecesDone ?? 0} of ${p?.pieceCount ?? '?'} pieces${state ? `; ${state}` : ''}`;
      break;
    }
    case 'interrupted':
      // Seeding ends with a signal by design: that is success. A download cut short is not.
      code = torrent?.complete
        ? BT_EXIT.ok
        : ending.signal === 'SIGINT'
          ? BT_EXIT.sigint
          : BT_EXIT.sigterm;
      line = `${label}: ${ending.signal}, stopping: ${p?.piecesDone ?? 0} of ${p?.pieceCount ?? '?'} pieces, ${stats}`;
      break;
  }
  if (code === BT_EXIT.ok) {
    if (reporter.mode !== 'quiet' && reporter.mode !== 'json')
      process.stderr.write(`p2pkit bt ${kind}: ${line}\n`);
  } else if (reporter.mode !== 'json') {
    process.stderr.write(`p2pkit bt ${kind}: ${line}\n`);
  }
  if (reporter.mode === 'json') {
    if (code !== BT_EXIT.ok) process.stderr.write(`p2pkit bt ${kind}: ${line}\n`);
    writeJson({
      type: 'result',
      status: ending.status,
      infoHash: parsed.infoHashHex,
      name: torrent?.name ?? parsed.name ?? null,
      folder,
      length,
      piecesDone: p?.piecesDone ?? 0,
      pieceCount: p?.pieceCount ?? null,
      received,
      uploaded,
      ratio,
      elapsedMs: Math.round(elapsedMs),
      averageRate: Math.round(average),
      peers: peersSeen,
      ...(ending.status === 'failed' ? { error: describeError(ending.error) } : {}),
      exitCode: code,
    });
  }
  return code;
}
