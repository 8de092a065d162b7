import { writeFile } from 'node:fs/promises';
import { formatMagnet, MetainfoError } from '@p2pkit/bittorrent';
import { createTorrentFromPath } from '@p2pkit/bittorrent/node';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { bytes } from '../options.js';
import { isNodeError } from './bt-source.js';

/** `p2pkit bt create <file|dir> --announce <url> [--piece-length <bytes>] -o <file.torrent>` */
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
    .action(
      async (
        path: string,
        options: {
          announce: string[];
          pieceLength?: number;
          private?: boolean;
          comment?: string;
          output: string;
        },
      ) => {
        const bar = process.stderr.isTTY
          ? new SingleBar({ format: 'hashing [{bar}] {percentage}% {value}/{total} bytes' })
          : undefined;
        let started = false;
        try {
          const { torrent, metainfo } = await createTorrentFromPath(path, {
            announceList: options.announce.map((url) => [url]),
            // As other creators do: `bt create` stamps the torrent with the time it was made.
            creationDate: Math.floor(Date.now() / 1000),
            ...(options.pieceLength !== undefined ? { pieceLength: options.pieceLength } : {}),
            ...(options.private ? { private: true } : {}),
            ...(options.comment !== undefined ? { comment: options.comment } : {}),
            onProgress: (hashed, total) => {
              if (!bar) return;
              if (!started) bar.start(total, 0);
              started = true;
              bar.update(hashed);
            },
          });
          bar?.stop();
          await writeFile(options.output, torrent);
          const lines = [
            options.output,
            `info hash   ${metainfo.infoHashHex}`,
            `name        ${metainfo.name}`,
            `size        ${metainfo.length} bytes in ${metainfo.files.length} file(s)`,
            `pieces      ${metainfo.pieceCount} x ${metainfo.pieceLength} bytes`,
            `magnet      ${formatMagnet({ infoHash: metainfo.infoHash, name: metainfo.name, trackers: metainfo.announceList.flat() })}`,
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        } catch (error) {
          bar?.stop();
          if (error instanceof MetainfoError || isNodeError(error)) {
            process.stderr.write(`p2pkit bt create: ${(error as Error).message}\n`);
            process.exitCode = 1;
            return;
          }
          throw error;
        }
      },
    );
}
