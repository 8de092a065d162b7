import { writeFile } from 'node:fs/promises';
import { formatMagnet, MetainfoError } from '@p2pkit/bittorrent';
import { createTorrentFromPath } from '@p2pkit/bittorrent/node';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';

/**
 * `p2pkit bt <subcommand>`: BitTorrent. Each subcommand is one function below that adds itself
 * to the `bt` group; a new one is a function plus one line in `registerBt`.
 */
export function registerBt(program: Command): void {
  const bt = program.command('bt').description('BitTorrent: create, seed and download torrents');
  registerBtCreate(bt);
}

/** `p2pkit bt create <file|dir> --announce <url> [--piece-length <bytes>] -o <file.torrent>` */
function registerBtCreate(bt: Command): void {
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
      parseBytes,
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

/** `262144`, `256k`, `256KiB`, `4m`, `4MiB` → bytes (binary multiples). */
export function parseBytes(text: string): number {
  const match = /^(\d+)\s*(k|kib|m|mib)?$/i.exec(text.trim());
  if (!match) throw new InvalidArgumentError(`not a byte count: ${text}`);
  const unit = (match[2] ?? '').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  return Number(match[1]) * factor;
}

function isNodeError(error: unknown): boolean {
  const code: unknown = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/** A TCP/UDP port from an option value (0 allowed: any free port). */
export function parsePort(text: string, what: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new InvalidArgumentError(`${what}: not a port: ${text}`);
  }
  return port;
}

/** Resolves with the name of the first SIGINT or SIGTERM; removes its handlers afterwards. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
