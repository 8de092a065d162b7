/**
 * `p2pkit bt get` and `p2pkit bt seed`: one run of a client with one torrent, from start to one
 * of its ends (complete, seeding goal reached, failure, timeout, stall, signal), with progress
 * on stderr (or JSON Lines on stdout), one summary line and an exit code scripts can rely on.
 */
import {
  type Client,
  createClient,
  type MagnetLink,
  type Metainfo,
  MetainfoError,
  type Torrent,
  type TorrentProgress,
  type TorrentSettings,
} from '@p2pkit/bittorrent';
import { fileStorage } from '@p2pkit/bittorrent/node';
import { type Address, formatAddress, isP2PError } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { type Command, Option } from 'commander';
import { bytes, duration, hostPort, nonNegative, port } from '../options.js';
import {
  createReporter,
  formatElapsed,
  outputMode,
  type Reporter,
  writeJson,
} from '../progress.js';
import { untilSignal } from '../signals.js';
import { BT_EXIT, type Ending, finish, type Kind, report } from './bt-report.js';
import { describeError, isNodeError, loadSource } from './bt-source.js';

export interface TransferOptions {
  host?: string;
  port: number;
  peer?: Address[];
  quiet?: boolean;
  json?: boolean;
  progressInterval: number;
  timeout?: number;
  stallTimeout?: number;
  seedRatio?: number;
  seedTime?: number;
  maxUploadRate?: number;
  maxDownloadRate?: number;
}

/** The options `bt get` and `bt seed` share. */
function transferOptions(command: Command, defaultPort: string): Command {
  return command
    .option('--host <ip>', 'bind only to this address (default: all)')
    .option('--port <port>', 'TCP port for peers (0 = any free port)', port, Number(defaultPort))
    .option(
      '--peer <host:port>',
      'a peer to connect to (repeatable)',
      (text: string, previous: Address[] | undefined) => [...(previous ?? []), hostPort(text)],
    )
    .option(
      '--max-download-rate <bytes/s>',
      'download at most this many bytes/s, e.g. 500k or 2m (default: unlimited)',
      bytes,
    )
    .option(
      '--max-upload-rate <bytes/s>',
      'upload at most this many bytes/s, e.g. 100k (default: unlimited)',
      bytes,
    )
    .option(
      '--seed-ratio <ratio>',
      'stop seeding once uploaded >= ratio x size (0: no ratio limit, as aria2c)',
      nonNegative,
    )
    .option(
      '--seed-time <minutes>',
      'stop seeding after this long (minutes, or 90s, 2h; 0: do not seed)',
      duration('m', true),
    )
    .option('-q, --quiet', 'no progress; errors only')
    .option('--json', 'JSON Lines on stdout: progress events, then one result object')
    .addOption(
      new Option(
        '--progress-interval <duration>',
        'one progress line (or --json event) this often when stderr is not a terminal',
      )
        .argParser(duration('s'))
        .default(5000, '5s'),
    );
}

export function registerBtGet(bt: Command): void {
  const command = bt
    .command('get')
    .description(
      'download a torrent or magnet link; exits 0 once every piece is verified and on disk',
    )
    .argument('<source>', '.torrent file or magnet: URI')
    .addOption(
      new Option(
        '-o, --output <folder>',
        "folder to create the torrent's file or directory in",
      ).default('.', 'the current folder'),
    )
    .option(
      '--timeout <duration>',
      'give up (exit 2) if not complete after this long, e.g. 600, 10m',
      duration('s'),
    )
    .option(
      '--stall-timeout <duration>',
      'give up (exit 2) after this long without receiving any data, e.g. 120, 2m',
      duration('s'),
    )
    .option('--seed-after', 'keep seeding once complete, until SIGINT/SIGTERM');
  transferOptions(command, '0').action(
    async (source: string, options: TransferOptions & { output: string; seedAfter?: boolean }) => {
      process.exitCode = await runTransfer('get', source, options.output, options);
    },
  );
}

export function registerBtSeed(bt: Command): void {
  const command = bt
    .command('seed')
    .description(
      'check the data in <folder> and seed it until SIGINT/SIGTERM (or --seed-ratio/--seed-time)',
    )
    .argument('<source>', '.torrent file (or magnet: URI with --download)')
    .requiredOption('--path <folder>', "folder holding the torrent's file or top-level directory")
    .option(
      '--download',
      'fetch the pieces missing from <folder> from peers, overwriting what does not match',
    );
  transferOptions(command, '6881').action(
    async (source: string, options: TransferOptions & { path: string; download?: boolean }) => {
      process.exitCode = await runTransfer('seed', source, options.path, options);
    },
  );
}

interface RunOptions extends TransferOptions {
  seedAfter?: boolean;
  download?: boolean;
}

async function runTransfer(
  kind: Kind,
  source: string,
  folder: string,
  options: RunOptions,
): Promise<number> {
  const prefix = `p2pkit bt ${kind}`;
  const reporter = createReporter({
    mode: outputMode(options),
    prefix,
    intervalMs: options.progressInterval,
    barFormat: `{phase} [{bar}] {percentage}% | {done} of {size} | {rate} | {peers} | {status}`,
  });
  const refuse = (message: string): number => {
    reporter.error(message);
    if (reporter.mode === 'json') writeJson({ type: 'result', status: 'refused', exitCode: 1 });
    return BT_EXIT.refused;
  };
  // Without --host we accept peers on every interface (and dial from any).
  const runtime = realRuntime({ host: options.host ?? '0.0.0.0' });
  let client: Client | undefined;
  try {
    const parsed = await loadSource(prefix, source, runtime, (line) =>
      reporter.error(line.slice(prefix.length + 2)),
    );
    if (!parsed) return jsonRefused(reporter);
    const download = kind === 'get' || options.download === true;
    if (!download && !('infoBytes' in parsed)) {
      return refuse(
        `${source}: a magnet link has no data to check: seed a .torrent (or add --download)`,
      );
    }
    const seedGoal = seedingGoal(kind, options);
    const settings: Partial<TorrentSettings> = {
      seed: seedGoal !== undefined,
      ...(options.maxUploadRate !== undefined ? { maxUploadRate: options.maxUploadRate } : {}),
      ...(options.maxDownloadRate !== undefined
        ? { maxDownloadRate: options.maxDownloadRate }
        : {}),
    };
    try {
      client = await createClient({
        runtime,
        // `bt seed` without --download never creates, writes or truncates a file.
        storage: fileStorage({ folder, readOnly: !download }),
        port: options.port,
        ...(options.host ? { host: options.host } : {}),
        settings,
      });
    } catch (error) {
      if (!isNodeError(error) && !isP2PError(error)) throw error;
      const where = `${options.host ?? '0.0.0.0'}:${options.port}`;
      return refuse(`cannot listen on ${where}: ${describeError(error)} (try another --port)`);
    }
    return await transfer(kind, client, parsed, folder, options, seedGoal, download, reporter);
  } finally {
    reporter.stop();
    await client?.stop();
    await runtime.close();
  }
}

function jsonRefused(reporter: Reporter): number {
  if (reporter.mode === 'json') writeJson({ type: 'result', status: 'refused', exitCode: 1 });
  return BT_EXIT.refused;
}

/** When seeding stops: undefined = no seeding (get without a goal), else the limits. */
interface SeedGoal {
  /** Stop once uploaded >= ratio x size (undefined or 0: no ratio limit). */
  ratio: number | undefined;
  /** Stop after this long seeding (ms; undefined: no limit). */
  timeMs: number | undefined;
}

function seedingGoal(kind: Kind, options: RunOptions): SeedGoal | undefined {
  const ratio = options.seedRatio;
  const timeMs = options.seedTime;
  // aria2c: --seed-time=0 does not seed at all.
  if (timeMs === 0) return undefined;
  if (kind === 'get' && !options.seedAfter && ratio === undefined && timeMs === undefined)
    return undefined;
  return { ratio: ratio === 0 ? undefined : ratio, timeMs };
}

async function transfer(
  kind: Kind,
  client: Client,
  parsed: Metainfo | MagnetLink,
  folder: string,
  options: RunOptions,
  seedGoal: SeedGoal | undefined,
  download: boolean,
  reporter: Reporter,
): Promise<number> {
  const startedAt = performance.now();
  const where = formatAddress(client.address);
  let torrent: Torrent;
  try {
    torrent = await client.add(parsed, { peers: options.peer ?? [] });
  } catch (error) {
    if (error instanceof MetainfoError) {
      reporter.error(describeError(error));
      return jsonRefused(reporter);
    }
    if (!isP2PError(error) && !isNodeError(error)) throw error;
    if (kind === 'seed' && !download) {
      // Nothing to read: a wrong --path (no such folder, a file) is a refusal, not a failure.
      reporter.error(`--path ${folder}: ${describeError(error)}`);
      return jsonRefused(reporter);
    }
    return finish(kind, undefined, parsed, folder, startedAt, reporter, {
      status: 'failed',
      error: error as Error,
    });
  }
  const label = torrent.name ?? torrent.infoHashHex;
  const peersSeen = new Set<string>();
  torrent.on('peer', (info) => peersSeen.add(formatAddress(info.address)));
  torrent.on('warning', (error) => reporter.note(`warning: ${error.message}`, { warning: true }));
  torrent.on('banned', (address, reason) =>
    reporter.note(`banned ${formatAddress(address)}: ${reason}`),
  );
  if (kind === 'seed') {
    const p = torrent.progress();
    const present = `${p.piecesDone} of ${p.pieceCount} pieces present in ${folder}`;
    if (p.piecesDone < p.pieceCount && !download) {
      reporter.error(
        `${label}: ${present}: nothing was written (check --path; --download fetches the missing pieces into it)`,
      );
      if (reporter.mode === 'json') {
        writeJson({
          type: 'result',
          status: 'refused',
          piecesDone: p.piecesDone,
          pieceCount: p.pieceCount,
          exitCode: 1,
        });
      }
      return BT_EXIT.refused;
    }
  }
  // The one line scripts read: what is served, and where (`--json`: a `started` event).
  if (reporter.mode === 'json') {
    writeJson({
      type: 'started',
      infoHash: torrent.infoHashHex,
      name: torrent.name ?? null,
      folder,
      listen: where,
    });
  } else {
    process.stdout.write(`${torrent.infoHashHex} ${where}\n`);
  }
  if (kind === 'seed') {
    const p = torrent.progress();
    reporter.note(
      `${label}: ${p.piecesDone} of ${p.pieceCount} pieces present in ${folder}, ${p.piecesDone < p.pieceCount ? 'downloading the rest' : 'seeding'} on ${where} (SIGINT or SIGTERM to stop)`,
    );
  } else {
    reporter.note(`${label}: downloading into ${folder}, listening on ${where}`);
  }

  const ending = await run(kind, torrent, options, seedGoal, reporter);
  return finish(kind, torrent, parsed, folder, startedAt, reporter, ending, peersSeen.size);
}

/** Waits for the torrent to reach its end; reports progress meanwhile. */
function run(
  kind: Kind,
  torrent: Torrent,
  options: RunOptions,
  seedGoal: SeedGoal | undefined,
  reporter: Reporter,
): Promise<Ending> {
  return new Promise<Ending>((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    const signals = new AbortController();
    let settled = false;
    const end = (ending: Ending) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      signals.abort();
      torrent.off('progress', onProgress);
      resolve(ending);
    };
    let lastReceived = torrent.progress().received;
    let lastFlowAt = performance.now();
    let seedingSince: number | undefined;
    const startSeeding = () => {
      if (seedingSince !== undefined) return;
      seedingSince = performance.now();
      if (seedGoal?.timeMs !== undefined) {
        timers.push(setTimeout(() => end({ status: 'seeded' }), seedGoal.timeMs));
      }
    };
    const onProgress = (p: TorrentProgress) => {
      report(torrent, p, reporter, false);
      const now = performance.now();
      if (p.received !== lastReceived) {
        lastReceived = p.received;
        lastFlowAt = now;
      }
      if (torrent.complete) {
        if (
          seedGoal?.ratio !== undefined &&
          p.length > 0 &&
          p.uploaded >= seedGoal.ratio * p.length
        ) {
          end({ status: 'seeded' });
        }
        return;
      }
      if (options.stallTimeout !== undefined && now - lastFlowAt >= options.stallTimeout) {
        end({ status: 'stalled', afterMs: options.stallTimeout });
      }
    };
    const onDone = () => {
      if (!seedGoal) {
        end({ status: 'complete' });
        return;
      }
      reporter.note(
        `${torrent.name ?? torrent.infoHashHex}: complete, every piece verified; seeding${describeGoal(seedGoal)}`,
      );
      startSeeding();
    };
    torrent.on('progress', onProgress);
    torrent.once('error', (error) => end({ status: 'failed', error }));
    if (torrent.error) end({ status: 'failed', error: torrent.error });
    if (torrent.complete) {
      if (kind === 'get') onDone();
      else startSeeding();
    } else {
      torrent.once('done', onDone);
    }
    if (options.timeout !== undefined) {
      const ms = options.timeout;
      timers.push(
        setTimeout(() => {
          if (!torrent.complete) end({ status: 'timeout', afterMs: ms });
        }, ms),
      );
    }
    void untilSignal(signals.signal).then((signal) => end({ status: 'interrupted', signal }));
    report(torrent, torrent.progress(), reporter, true);
  });
}

function describeGoal(goal: SeedGoal): string {
  const parts: string[] = [];
  if (goal.ratio !== undefined) parts.push(`ratio ${goal.ratio}`);
  if (goal.timeMs !== undefined) parts.push(formatElapsed(goal.timeMs));
  return parts.length > 0
    ? ` until ${parts.join(' or ')} (SIGINT or SIGTERM to stop)`
    : ' (SIGINT or SIGTERM to stop)';
}
