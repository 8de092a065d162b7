import { writeFile } from 'node:fs/promises';
import { MetainfoError } from '@p2pkit/bittorrent';
import { createTorrentFromPath } from '@p2pkit/bittorrent/node';
import type { Command } from 'commander';
import { bytes } from '../options.js';
import { createReporter, formatBytes, outputMode, writeJson } from '../progress.js';
import { formatInfo, torrentInfo } from './bt-info.js';
import { describeError, isNodeError } from './bt-source.js';

interface CreateOptions {
  announce: string[];
  pieceLength?: number;
  private?: boolean;
  comment?: string;
  output: string;
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/**
 * `p2pkit bt create <file|dir> --announce <url> [--piece-length <bytes>] -o <file.torrent>`:
 * hashes the data (progress on stderr: a bar on a terminal, a line every 5 s otherwise), writes
 * the .torrent (never over an existing file without --force) and prints what it holds.
 */
export function registerBtCreate(bt: Command): void {
  bt.command('create')
    .description('make a .torrent of a file or a directory')
    .argument('<path>', 'file or directory to share')
    .requiredOption(
      '--announce <url>',
      'tracker URL (repeat for backup trackers, one BEP 12 tier each)',
      (url: string, previous: string[] | undefined) => [...(previous ?? []), url],
    )
    .option(
      '--piece-length <bytes>',
      'piece size, a power of two >= 16384 (default: by size)',
      bytes,
    )
    .option('--private', 'set the BEP 27 private flag')
    .option('--comment <text>', 'comment stored in the torrent')
    .requiredOption('-o, --output <file.torrent>', 'where to write the .torrent')
    .option('--force', 'replace the output file if it exists')
    .option('-q, --quiet', 'no progress; errors only')
    .option('--json', 'one JSON object on stdout (the fields of bt info --json, and output)')
    .action(async (path: string, options: CreateOptions) => {
      const reporter = createReporter({
        mode: outputMode(options),
        prefix: 'p2pkit bt create',
        intervalMs: 5000,
        barFormat: 'hashing [{bar}] {percentage}% | {done} of {size}',
      });
      try {
        const { torrent, metainfo } = await createTorrentFromPath(path, {
          announceList: options.announce.map((url) => [url]),
          // As other creators do: `bt create` stamps the torrent with the time it was made.
          creationDate: Math.floor(Date.now() / 1000),
          ...(options.pieceLength !== undefined ? { pieceLength: options.pieceLength } : {}),
          ...(options.private ? { private: true } : {}),
          ...(options.comment !== undefined ? { comment: options.comment } : {}),
          onProgress: (hashed, total) => {
            if (reporter.mode === 'json') return;
            const percent = total > 0 ? ((hashed / total) * 100).toFixed(0) : '100';
            reporter.progress(
              hashed,
              total,
              `hashing ${percent}% ${formatBytes(hashed)} of ${formatBytes(total)}`,
              { done: formatBytes(hashed), size: formatBytes(total) },
            );
          },
        });
        reporter.stop();
        // `wx`: a file already there (the data itself, given as -o by mistake) is not replaced.
        await writeFile(options.output, torrent, { flag: options.force ? 'w' : 'wx' });
        const info = torrentInfo(metainfo);
        if (options.json) writeJson({ output: options.output, ...info });
        else process.stdout.write(`${options.output}\n${formatInfo(info)}`);
      } catch (error) {
        reporter.stop();
        if (!(error instanceof MetainfoError || isNodeError(error))) throw error;
        const exists = isNodeError(error) && error.code === 'EEXIST';
        process.stderr.write(
          `p2pkit bt create: ${exists ? `${options.output} exists (--force replaces it)` : describeError(error)}\n`,
        );
        process.exitCode = 1;
      }
    });
}
