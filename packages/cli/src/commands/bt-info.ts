import { formatMagnet, type MagnetLink, type Metainfo } from '@p2pkit/bittorrent';
import { formatAddress, sha1 } from '@p2pkit/core';
import type { Command } from 'commander';
import { formatBytes, writeJson } from '../progress.js';
import { loadSource } from './bt-source.js';

/**
 * `p2pkit bt info <file.torrent|magnet> [--json]`: what a torrent holds (name, files and sizes,
 * piece length, info-hash, trackers), as `aria2c -S` and `transmission-show` print it. Reads
 * nothing but its argument and touches no network.
 */
export function registerBtInfo(bt: Command): void {
  bt.command('info')
    .description('show what a .torrent or magnet link holds: name, files, sizes, pieces, trackers')
    .argument('<source>', '.torrent file or magnet: URI')
    .option('--json', 'one JSON object on stdout')
    .action(async (source: string, options: { json?: boolean }) => {
      const parsed = await loadSource('p2pkit bt info', source, { hash: { sha1 } });
      if (!parsed) {
        process.exitCode = 1;
        return;
      }
      const info = 'infoBytes' in parsed ? torrentInfo(parsed) : magnetInfo(parsed);
      if (options.json) writeJson(info);
      else process.stdout.write(formatInfo(info));
    });
}

/** The `--json` object: fields are a contract (new ones may appear, none is renamed). */
export interface BtInfo {
  source: 'torrent' | 'magnet';
  infoHash: string;
  name: string | null;
  /** Total bytes (null for a magnet link without `xl`). */
  length: number | null;
  pieceLength: number | null;
  pieceCount: number | null;
  private: boolean | null;
  /** Files with their path (`/`-joined, under `name` for a multi-file torrent) and size; null until the metadata is known (a magnet link). */
  files: { path: string; length: number }[] | null;
  /** BEP 12 tiers (a magnet link's `tr` form one tier). */
  trackers: string[][];
  /** Peers named by a magnet link (`x.pe`). */
  peers: string[];
  webSeeds: string[];
  creationDate: number | null;
  createdBy: string | null;
  comment: string | null;
  magnet: string;
}

export function torrentInfo(meta: Metainfo): BtInfo {
  return {
    source: 'torrent',
    infoHash: meta.infoHashHex,
    name: meta.name,
    length: meta.length,
    pieceLength: meta.pieceLength,
    pieceCount: meta.pieceCount,
    private: meta.private,
    files: meta.files
      .filter((f) => !f.padding)
      .map((f) => ({ path: f.path.join('/'), length: f.length })),
    trackers: meta.announceList.map((tier) => [...tier]),
    peers: [],
    webSeeds: [...meta.urlList],
    creationDate: meta.creationDate ?? null,
    createdBy: meta.createdBy ?? null,
    comment: meta.comment ?? null,
    magnet: formatMagnet({
      infoHash: meta.infoHash,
      name: meta.name,
      trackers: meta.announceList.flat(),
    }),
  };
}

function magnetInfo(link: MagnetLink): BtInfo {
  return {
    source: 'magnet',
    infoHash: link.infoHashHex,
    name: link.name ?? null,
    length: link.length ?? null,
    pieceLength: null,
    pieceCount: null,
    private: null,
    files: null,
    trackers: link.trackers.length > 0 ? [[...link.trackers]] : [],
    peers: link.peers.map(formatAddress),
    webSeeds: [...link.webSeeds],
    creationDate: null,
    createdBy: null,
    comment: null,
    magnet: formatMagnet(link),
  };
}

export function formatInfo(info: BtInfo): string {
  const size = (n: number) => `${formatBytes(n)} (${n} bytes)`;
  const lines = [`name        ${info.name ?? '(not given)'}`, `info hash   ${info.infoHash}`];
  if (info.length !== null) {
    const files = info.files ? ` in ${info.files.length} file(s)` : '';
    lines.push(`size        ${size(info.length)}${files}`);
  }
  if (info.pieceCount !== null && info.pieceLength !== null) {
    lines.push(`pieces      ${info.pieceCount} x ${size(info.pieceLength)}`);
  }
  if (info.private !== null) lines.push(`private     ${info.private ? 'yes (BEP 27)' : 'no'}`);
  if (info.creationDate !== null) {
    lines.push(`created     ${new Date(info.creationDate * 1000).toISOString()}`);
  }
  if (info.createdBy !== null) lines.push(`created by  ${info.createdBy}`);
  if (info.comment !== null) lines.push(`comment     ${info.comment}`);
  if (info.trackers.length === 0)
    lines.push('trackers    none (peers from --peer or the link only)');
  info.trackers.forEach((tier, i) => {
    lines.push(`${i === 0 ? 'trackers' : ''.padEnd(8)}    tier ${i + 1}: ${tier.join(' ')}`);
  });
  for (const peer of info.peers) lines.push(`peer        ${peer}`);
  for (const url of info.webSeeds) lines.push(`web seed    ${url}`);
  if (info.files === null) {
    lines.push('files       unknown until the metadata is fetched from a peer (bt get does)');
  } else {
    lines.push('files');
    const width = Math.max(...info.files.map((f) => f.path.length));
    for (const f of info.files) lines.push(`  ${f.path.padEnd(width)}  ${size(f.length)}`);
  }
  lines.push(`magnet      ${info.magnet}`);
  return `${lines.join('\n')}\n`;
}
