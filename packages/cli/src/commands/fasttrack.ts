import { resolve } from 'node:path';
import { type Address, formatAddress, P2PError, type SharedFolder } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import {
  FastTrackNode,
  hashFromHex,
  hashToHex,
  type NodeRole,
  type SearchResult,
} from '@p2pkit/fasttrack';
import type { Command } from 'commander';
import { openFolder } from '../folders.js';
import { hostPort, hostPorts, integer } from '../options.js';
import { createReporter, formatBytes, formatElapsed, formatRate, outputMode } from '../progress.js';
import { untilSignal } from '../signals.js';
import { simCommand } from './sim.js';
import { registerSimFastTrack } from './sim-fasttrack.js';

/**
 * `p2pkit fasttrack start|search|get` (real nodes over TCP) and `p2pkit sim fasttrack`. The
 * command shapes and the JSON output are contracts scripts rely on (issue 17).
 */
export function registerFastTrack(program: Command): void {
  const fasttrack = program
    .command('fasttrack')
    .description('FastTrack (Kazaa): supernodes index their children, queries go among supernodes');
  registerStart(fasttrack);
  registerSearch(fasttrack);
  registerGet(fasttrack);
  registerSimFastTrack(simCommand(program));
}

/** Exit code when the node to search through cannot be reached or takes nobody. */
const EXIT_UNREACHABLE = 2;

/** `p2pkit fasttrack start --host --port --share <dir> [--peer host:port]... [--supernode|--auto]` */
function registerStart(fasttrack: Command): void {
  fasttrack
    .command('start')
    .description(
      'run a node until SIGINT/SIGTERM: shares a folder, attaches to a supernode or is one',
    )
    .option('--host <ip>', 'IPv4 address to bind and advertise', '127.0.0.1')
    .option(
      '--port <port>',
      'TCP port (0: any free port; FastTrack used 1214)',
      integer(0, 65535),
      0,
    )
    .requiredOption('--share <dir>', 'folder whose files are shared (not recursive)')
    .option('--peer <host:port>', 'a node or supernode to bootstrap from (repeatable)', hostPorts)
    .option('--supernode', 'be a supernode from the start')
    .option('--ordinary', 'never become a supernode')
    .option('--auto', 'start ordinary, become a supernode when elected (default)')
    .option('--firewalled', 'we cannot be reached: downloads from us go through a Push')
    .option(
      '--upload-kbps <n>',
      'our upload capacity, for the election',
      integer(0, 10_000_000),
      1000,
    )
    .action(
      async (options: {
        host: string;
        port: number;
        share: string;
        peer?: Address[];
        supernode?: boolean;
        ordinary?: boolean;
        auto?: boolean;
        firewalled?: boolean;
        uploadKbps: number;
      }) => {
        const roles = [options.supernode, options.ordinary, options.auto].filter(Boolean).length;
        if (roles > 1) throw new Error('--supernode, --ordinary and --auto exclude each other');
        const role: NodeRole | 'auto' = options.supernode
          ? 'supernode'
          : options.ordinary
            ? 'ordinary'
            : 'auto';
        const folder = await openFolder('--share', options.share, { create: false });
        const runtime = realRuntime({ host: options.host });
        const node = new FastTrackNode({
          runtime,
          role,
          host: options.host,
          port: options.port,
          peers: options.peer ?? [],
          folder,
          firewalled: options.firewalled ?? false,
          uploadKBps: options.uploadKbps,
        });
        node.on('role', (r) => process.stderr.write(`role ${r}\n`));
        node.on('parent', (p) => process.stderr.write(`parent ${formatAddress(p)}\n`));
        node.on('reparent', (e) =>
          process.stderr.write(
            `re-parented to ${formatAddress(e.parent)} in ${Math.round(e.ms)} ms (${e.cause})\n`,
          ),
        );
        node.on('child', (a) => process.stderr.write(`child ${formatAddress(a)}\n`));
        node.on('childLeft', (a) => process.stderr.write(`child left ${formatAddress(a)}\n`));
        node.on('upload', (bytes, to) =>
          process.stderr.write(`sent ${formatBytes(bytes)} to ${formatAddress(to)}\n`),
        );
        let files: number;
        try {
          files = (await node.shareFolder()).length;
          await node.start();
        } catch (error) {
          await node.stop().catch(() => {});
          await runtime.close();
          throw new Error(
            `cannot start on ${options.host}:${options.port}: ${(error as Error).message}`,
          );
        }
        // Handlers first: a script may signal as soon as it reads the line below.
        const stopped = untilSignal();
        process.stdout.write(
          `listening ${formatAddress(node.address)} ${node.role} sharing ${files} file(s) node=${hashToHex(node.id)}\n`,
        );
        const signal = await stopped;
        await node.stop();
        await runtime.close();
        process.stdout.write(`stopped (${signal})\n`);
      },
    );
}

/**
 * A short-lived ordinary node attached through `via` (a supernode, or any node that names
 * supernodes); undefined, with one line and exit code 2, when nothing took it.
 */
async function attachThrough(via: Address, verb: string, folder?: SharedFolder) {
  const runtime = realRuntime({ host: via.host.startsWith('127.') ? '127.0.0.1' : '0.0.0.0' });
  const node = new FastTrackNode({
    runtime,
    role: 'ordinary',
    port: 0,
    peers: [via],
    requestTimeoutMs: 5_000,
    ...(folder ? { folder } : {}),
  });
  const close = async () => {
    await node.stop().catch(() => {});
    await runtime.close();
  };
  await node.start();
  if (!node.parent) {
    await close();
    process.stderr.write(
      `p2pkit: cannot ${verb} through ${formatAddress(via)}: no supernode took us\n`,
    );
    process.exitCode = EXIT_UNREACHABLE;
    return undefined;
  }
  return { node, close };
}

function resultJson(r: SearchResult) {
  return {
    name: r.name,
    size: r.size,
    uuhash: hashToHex(r.uuhash),
    root: hashToHex(r.root),
    host: r.holder.host,
    port: r.holder.port,
    node: hashToHex(r.holderId),
    firewalled: r.firewalled,
    supernode: formatAddress(r.supernode),
    tags: r.tags,
  };
}

/** Words, or a UUHash as 40 hex digits. */
function queryOf(text: string): { words: string; uuhash?: Uint8Array } {
  if (/^[0-9a-fA-F]{40}$/.test(text)) return { words: '', uuhash: hashFromHex(text) };
  return { words: text };
}

/** `p2pkit fasttrack search --via host:port "<words>" [--json]` */
function registerSearch(fasttrack: Command): void {
  fasttrack
    .command('search')
    .description('attach through a node and search the supernode tier (exit 1: nothing found)')
    .requiredOption('--via <host:port>', 'a supernode (or a node that knows some)', hostPort)
    .argument('<words>', 'keywords, all required (or a 40-hex UUHash)')
    .option('--max <n>', 'most results', integer(1, 1000), 100)
    .option('--json', 'one JSON object on stdout')
    .action(async (words: string, options: { via: Address; max: number; json?: boolean }) => {
      if (words.trim() === '') throw new Error('nothing to search for: give keywords');
      const started = performance.now();
      const attached = await attachThrough(options.via, 'search');
      if (!attached) return;
      try {
        const q = queryOf(words);
        const answer = await attached.node.search(q.words, {
          maxResults: options.max,
          ...(q.uuhash ? { uuhash: q.uuhash } : {}),
        });
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({
              query: words,
              via: formatAddress(options.via),
              supernodes: answer.supernodes,
              truncated: answer.truncated,
              elapsedMs: Math.round(performance.now() - started),
              results: answer.results.map(resultJson),
            })}\n`,
          );
        } else {
          for (const r of answer.results) {
            process.stdout.write(
              `${hashToHex(r.uuhash)} ${formatBytes(r.size).padStart(10)} ${formatAddress(r.holder)}${r.firewalled ? ' (push)' : ''} ${r.name}\n`,
            );
          }
          process.stderr.write(
            `${answer.results.length} result(s) from ${answer.supernodes} supernode(s) in ${formatElapsed(performance.now() - started)}\n`,
          );
        }
        if (answer.results.length === 0) process.exitCode = 1;
      } finally {
        await attached.close();
      }
    });
}

/** `p2pkit fasttrack get --via host:port <words|uuhash> [--out dir] [--json]` */
function registerGet(fasttrack: Command): void {
  fasttrack
    .command('get')
    .description('search, then download the first result from every holder of it at once')
    .requiredOption('--via <host:port>', 'a supernode (or a node that knows some)', hostPort)
    .argument('<query>', 'keywords, or the 40-hex UUHash of the file')
    .option('--out <dir>', 'folder to save into (must exist)', '.')
    .option('--sources <n>', 'most holders used at once', integer(1, 64), 4)
    .option('--json', 'one JSON object on stdout at the end')
    .action(
      async (
        query: string,
        options: { via: Address; out: string; sources: number; json?: boolean },
      ) => {
        if (query.trim() === '') throw new Error('nothing to get: give keywords or a UUHash');
        const folder = await openFolder('--out', resolve(options.out), { create: false });
        const attached = await attachThrough(options.via, 'search', folder);
        if (!attached) return;
        const controller = new AbortController();
        const interrupted = untilSignal(controller.signal).then((signal) => {
          controller.abort();
          return signal;
        });
        const reporter = createReporter({
          mode: options.json ? 'quiet' : outputMode({}),
          prefix: 'p2pkit fasttrack get',
          intervalMs: 2000,
          barFormat: '[{bar}] {percentage}% {done} of {total} {rate}',
        });
        try {
          const q = queryOf(query);
          const answer = await attached.node.search(q.words, {
            signal: controller.signal,
            ...(q.uuhash ? { uuhash: q.uuhash } : {}),
          });
          const first = answer.results[0];
          if (!first) {
            process.stderr.write(`p2pkit: nothing found for "${query}"\n`);
            process.exitCode = 1;
            return;
          }
          const existing = await folder.stat(first.name).catch(() => undefined);
          if (existing) {
            throw new P2PError(
              `${first.name} already exists in ${options.out}: not replaced`,
              'ERR_EXISTS',
            );
          }
          const started = performance.now();
          const result = await attached.node.download(answer.results, {
            signal: controller.signal,
            maxSources: options.sources,
            onProgress: (done, size) => {
              const rate = formatRate(done / Math.max((performance.now() - started) / 1000, 0.001));
              const d = formatBytes(done);
              const t = formatBytes(size);
              reporter.progress(done, size, `${first.name} ${d} of ${t} (${rate})`, {
                done: d,
                total: t,
                rate,
              });
            },
          });
          reporter.stop();
          const summary = {
            name: result.name,
            path: resolve(options.out, result.name),
            size: result.size,
            fetched: result.fetched,
            uuhash: hashToHex(result.uuhash),
            sources: result.sources.map(formatAddress),
            rejected: result.rejected.map(formatAddress),
            pushed: result.pushed,
            elapsedMs: Math.round(result.elapsedMs),
          };
          if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
          else {
            process.stderr.write(
              `saved ${summary.path} (${formatBytes(result.size)} in ${formatElapsed(result.elapsedMs)}) from ${summary.sources.length} source(s)${result.rejected.length ? `, ${result.rejected.length} rejected for bad bytes` : ''}\n`,
            );
          }
        } catch (error) {
          reporter.stop();
          if (controller.signal.aborted) {
            await interrupted;
            process.exitCode = 130;
            throw new P2PError(
              'interrupted (the .part file is kept: run again to resume)',
              'ERR_ABORTED',
            );
          }
          throw error;
        } finally {
          controller.abort();
          await attached.close();
        }
      },
    );
}
