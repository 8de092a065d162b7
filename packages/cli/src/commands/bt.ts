import { readFile, writeFile } from 'node:fs/promises';
import {
  type Client,
  createClient,
  formatMagnet,
  MagnetError,
  type MagnetLink,
  type Metainfo,
  MetainfoError,
  parseMagnet,
  parseMetainfo,
  type Torrent,
  type TorrentProgress,
} from '@p2pkit/bittorrent';
import { createTorrentFromPath, fileStorage } from '@p2pkit/bittorrent/node';
import { type Address, isP2PError, parseAddress } from '@p2pkit/core';
import { type RealRuntime, realRuntime } from '@p2pkit/core/node';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';

/**
 * `p2pkit bt <subcommand>`: BitTorrent. Each subcommand is one function below that adds itself
 * to the `bt` group; a new one is a function plus one line in `registerBt`.
 */
export function registerBt(program: Command): void {
  const bt = program.command('bt').description('BitTorrent: create, seed and download torrents');
  registerBtCreate(bt);
  registerBtSeed(bt);
  registerBtGet(bt);
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

/** Exit codes of `bt seed` and `bt get` (scripts rely on them). */
export const BT_EXIT = {
  ok: 0,
  /** A refused .torrent or magnet link, bad arguments: nothing was written. */
  refused: 1,
  /** The transfer failed (storage error, metadata refused after BEP 9, ...). */
  failed: 2,
  /** Interrupted by SIGINT / SIGTERM before completion (128 + signal number). */
  sigint: 130,
  sigterm: 143,
} as const;

/** Reads a .torrent (or parses a magnet URI); prints the refusal and returns undefined. */
async function loadSource(
  command: string,
  source: string,
  runtime: RealRuntime,
): Promise<Metainfo | MagnetLink | undefined> {
  try {
    if (/^magnet:/i.test(source)) return parseMagnet(source);
    return parseMetainfo(await readFile(source), { hasher: runtime.hash });
  } catch (error) {
    if (error instanceof MetainfoError || error instanceof MagnetError || isNodeError(error)) {
      process.stderr.write(`p2pkit bt ${command}: ${source}: ${(error as Error).message}\n`);
      return undefined;
    }
    throw error;
  }
}

function parsePeer(text: string, previous: Address[] | undefined): Address[] {
  try {
    return [...(previous ?? []), parseAddress(text)];
  } catch {
    throw new InvalidArgumentError(`--peer: expected ip:port, got ${text}`);
  }
}

const MiB = 1024 * 1024;

function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond >= MiB
    ? `${(bytesPerSecond / MiB).toFixed(1)} MiB/s`
    : `${(bytesPerSecond / 1024).toFixed(0)} KiB/s`;
}

function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** A progress bar on stderr (a status line every few seconds when stderr is not a terminal). */
function progressBar(label: string): { update(p: TorrentProgress): void; stop(): void } {
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {done}/{size} MiB | {rate} | {peers} peers | ETA {left}`,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 5000,
    stream: process.stderr,
  });
  let started = false;
  return {
    update(p) {
      const payload = {
        done: (p.downloaded / MiB).toFixed(1),
        size: (p.length / MiB).toFixed(1),
        rate: p.state === 'seeding' ? `up ${formatRate(p.uploadRate)}` : formatRate(p.downloadRate),
        peers: p.peers,
        left:
          p.state === 'metadata'
            ? 'fetching metadata'
            : p.state === 'seeding'
              ? '-'
              : formatEta(p.eta),
      };
      const total = Math.max(1, p.length);
      if (!started) {
        bar.start(total, p.downloaded, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(p.downloaded, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Waits for a torrent to finish (true), fail (false), or a signal (the signal). */
function outcome(torrent: Torrent): Promise<'done' | Error | NodeJS.Signals> {
  return new Promise((resolve) => {
    if (torrent.complete) resolve('done');
    torrent.once('done', () => resolve('done'));
    torrent.once('error', (error) => resolve(error));
    void untilSignal().then(resolve);
  });
}

interface PeerCommandOptions {
  host?: string;
  port: string;
}

async function startClient(
  command: string,
  source: string,
  folder: string,
  options: PeerCommandOptions,
  seed: boolean,
): Promise<{ runtime: RealRuntime; client: Client; parsed: Metainfo | MagnetLink } | number> {
  const port = parsePort(options.port, '--port');
  // Without --host we accept peers on every interface (and dial from any).
  const runtime = realRuntime({ host: options.host ?? '0.0.0.0' });
  const parsed = await loadSource(command, source, runtime);
  if (!parsed) {
    await runtime.close();
    return BT_EXIT.refused;
  }
  const client = await createClient({
    runtime,
    storage: fileStorage({ folder }),
    port,
    ...(options.host ? { host: options.host } : {}),
    settings: { seed },
  });
  return { runtime, client, parsed };
}

/** `p2pkit bt seed <file.torrent> --path <folder> [--host <ip>] [--port <p>]` */
function registerBtSeed(bt: Command): void {
  bt.command('seed')
    .description('verify the data in <folder> and seed it until SIGINT/SIGTERM')
    .argument('<file.torrent>', 'the torrent to seed')
    .requiredOption('--path <folder>', "folder holding the torrent's file or top-level directory")
    .option('--host <ip>', 'bind only to this address (default: all)')
    .option('--port <port>', 'TCP port for peers (0 = any free port)', '6881')
    .action(async (file: string, options: PeerCommandOptions & { path: string }) => {
      const started = await startClient('seed', file, options.path, options, true);
      if (typeof started === 'number') {
        process.exitCode = started;
        return;
      }
      const { runtime, client, parsed } = started;
      let code: number = BT_EXIT.ok;
      try {
        const verifying = process.stderr.isTTY ? progressBar('verifying') : undefined;
        const torrent = await client.add(parsed);
        verifying?.stop();
        const p = torrent.progress();
        const where = `${client.address.host}:${client.address.port}`;
        process.stdout.write(`${torrent.infoHashHex} ${where}\n`);
        process.stderr.write(
          `p2pkit bt seed: ${torrent.name} — ${p.piecesDone}/${p.pieceCount} pieces verified in ${options.path}, seeding on ${where} (SIGINT or SIGTERM to stop)\n`,
        );
        if (p.piecesDone < p.pieceCount) {
          process.stderr.write(
            'p2pkit bt seed: the data is incomplete: the missing pieces are fetched from peers\n',
          );
        }
        const bar = progressBar('seeding');
        const onProgress = (progress: TorrentProgress) => bar.update(progress);
        torrent.on('progress', onProgress);
        const failed = new Promise<Error>((resolve) => torrent.once('error', resolve));
        const result = await Promise.race([untilSignal(), failed]);
        torrent.off('progress', onProgress);
        bar.stop();
        if (result instanceof Error) {
          process.stderr.write(`p2pkit bt seed: ${result.message}\n`);
          code = BT_EXIT.failed;
        } else {
          process.stderr.write(`p2pkit bt seed: ${result}, stopping\n`);
        }
      } catch (error) {
        if (!isP2PError(error) && !isNodeError(error)) throw error;
        process.stderr.write(`p2pkit bt seed: ${(error as Error).message}\n`);
        code = BT_EXIT.failed;
      } finally {
        await client.stop();
        await runtime.close();
      }
      process.exitCode = code;
    });
}

/** `p2pkit bt get <file.torrent|magnet> -o <folder> [--host <ip>] [--port <p>] [--peer <ip:port>]... [--seed-after]` */
function registerBtGet(bt: Command): void {
  bt.command('get')
    .description(
      'download a torrent or magnet link into <folder>; exits 0 once every piece is verified and on disk',
    )
    .argument('<source>', '.torrent file or magnet: URI')
    .requiredOption('-o, --output <folder>', "folder to create the torrent's file or directory in")
    .option('--host <ip>', 'bind only to this address (default: all)')
    .option('--port <port>', 'TCP port for peers (0 = any free port)', '0')
    .option('--peer <ip:port>', 'a peer to connect to (repeatable)', parsePeer)
    .option('--seed-after', 'keep seeding once complete, until SIGINT/SIGTERM')
    .action(
      async (
        source: string,
        options: PeerCommandOptions & { output: string; peer?: Address[]; seedAfter?: boolean },
      ) => {
        const started = await startClient(
          'get',
          source,
          options.output,
          options,
          options.seedAfter === true,
        );
        if (typeof started === 'number') {
          process.exitCode = started;
          return;
        }
        const { runtime, client, parsed } = started;
        const bar = progressBar('downloading');
        let code: number = BT_EXIT.ok;
        try {
          const torrent = await client.add(parsed, { peers: options.peer ?? [] });
          const onProgress = (progress: TorrentProgress) => bar.update(progress);
          torrent.on('progress', onProgress);
          const result = await outcome(torrent);
          if (result === 'done') {
            bar.update(torrent.progress());
            bar.stop();
            process.stderr.write(
              `p2pkit bt get: ${torrent.name}: complete, every piece verified\n`,
            );
            if (options.seedAfter) {
              process.stderr.write('p2pkit bt get: seeding (SIGINT or SIGTERM to stop)\n');
              await untilSignal();
            }
          } else if (result instanceof Error) {
            bar.stop();
            process.stderr.write(`p2pkit bt get: ${result.message}\n`);
            code = result instanceof MetainfoError ? BT_EXIT.refused : BT_EXIT.failed;
          } else {
            bar.stop();
            process.stderr.write(`p2pkit bt get: ${result}, stopping\n`);
            code = result === 'SIGINT' ? BT_EXIT.sigint : BT_EXIT.sigterm;
          }
          torrent.off('progress', onProgress);
        } catch (error) {
          bar.stop();
          if (!isP2PError(error) && !isNodeError(error)) throw error;
          process.stderr.write(`p2pkit bt get: ${(error as Error).message}\n`);
          code = BT_EXIT.failed;
        } finally {
          await client.stop();
          await runtime.close();
        }
        process.exitCode = code;
      },
    );
}
