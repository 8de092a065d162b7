import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Address, formatAddress } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { guidToHex, type SearchHit, Servent, type SharedFile, sha1Urn } from '@p2pkit/gnutella';
import type { Command } from 'commander';
import { hostPort, integer } from '../options.js';
import { registerSimGnutella } from './sim-gnutella.js';

/**
 * `p2pkit gnutella start|search` (real servents over TCP) and `p2pkit sim gnutella`. The command shapes and the JSON
 * output are contracts scripts rely on (issue 13).
 */
export function registerGnutella(program: Command): void {
  const gnutella = program
    .command('gnutella')
    .description('Gnutella 0.6: servents and ultrapeers, flooding with QRP (TCP)');
  registerStart(gnutella);
  registerSearch(gnutella);
  registerSimGnutella(program);
}

/** Exit code when the servent to search through cannot be reached or refuses us. */
const EXIT_UNREACHABLE = 2;

function collect(value: Address, previous: Address[] = []): Address[] {
  return [...previous, value];
}

/** The regular files directly in `dir`, with sizes and SHA-1 urns (HUGE). */
async function scanShare(dir: string): Promise<SharedFile[]> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    throw new Error(
      `cannot read --share ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const files: SharedFile[] = [];
  for (const name of entries) {
    const path = join(dir, name);
    const { size } = await stat(path);
    const hash = createHash('sha1');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    files.push({ index: files.length, name, size, urn: sha1Urn(new Uint8Array(hash.digest())) });
  }
  return files;
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(signal);
    };
    const onInt = on('SIGINT');
    const onTerm = on('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

/** `p2pkit gnutella start --host <ip> --port <p> --share <dir> [--peer host:port]... [--ultrapeer|--leaf] [--firewalled]` */
function registerStart(gnutella: Command): void {
  gnutella
    .command('start')
    .description(
      'run a servent until SIGINT/SIGTERM: answers Pings and Queries for the shared files',
    )
    .option('--host <ip>', 'address to bind and advertise', '127.0.0.1')
    .option(
      '--port <port>',
      'TCP port (0: any free port; Gnutella uses 6346)',
      integer(0, 65535),
      0,
    )
    .requiredOption('--share <dir>', 'folder whose files are shared (not recursive)')
    .option('--peer <host:port>', 'servent to connect to (repeatable)', (v, p: Address[]) =>
      collect(hostPort(v), p),
    )
    .option('--ultrapeer', 'run as an ultrapeer')
    .option('--leaf', 'run as a leaf (connects to ultrapeers only)')
    .option('--firewalled', 'we cannot be reached: hits carry the push flag')
    .action(
      async (options: {
        host: string;
        port: number;
        share: string;
        peer?: Address[];
        ultrapeer?: boolean;
        leaf?: boolean;
        firewalled?: boolean;
      }) => {
        if (options.ultrapeer && options.leaf)
          throw new Error('--ultrapeer and --leaf exclude each other');
        const files = await scanShare(options.share);
        const runtime = realRuntime({ host: options.host });
        const servent = new Servent({
          runtime,
          port: options.port,
          role: options.ultrapeer ? 'ultrapeer' : options.leaf ? 'leaf' : 'auto',
          firewalled: options.firewalled ?? false,
          files,
          peers: options.peer ?? [],
        });
        try {
          await servent.start();
        } catch (error) {
          await runtime.close();
          throw new Error(
            `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`,
          );
        }
        servent.on('connect', (c) => {
          process.stderr.write(
            `connected ${formatAddress(c.remote)} ${c.ultrapeer ? 'ultrapeer' : 'leaf'} ${c.outgoing ? 'out' : 'in'} ${c.userAgent}\n`,
          );
        });
        servent.on('disconnect', (c) =>
          process.stderr.write(`disconnected ${formatAddress(c.remote)}\n`),
        );
        servent.on('answered', (criteria, n) =>
          process.stderr.write(`query "${criteria}": ${n} result(s)\n`),
        );
        // Handlers first: a script may signal as soon as it reads the line below.
        const stopped = untilSignal();
        process.stdout.write(
          `listening ${formatAddress(servent.address)} ${servent.role} sharing ${files.length} file(s) servent=${guidToHex(servent.serventId)}\n`,
        );
        const signal = await stopped;
        await servent.stop();
        await runtime.close();
        process.stdout.write(`stopped (${signal})\n`);
      },
    );
}

function hitJson(hit: SearchHit) {
  return {
    name: hit.name,
    size: hit.size,
    index: hit.index,
    host: hit.host,
    port: hit.port,
    urn: hit.urn ?? null,
    servent: guidToHex(hit.serventId),
    push: hit.push,
    vendor: hit.vendor ?? null,
    hops: hit.hops,
  };
}

/** `p2pkit gnutella search --via host:port "<words>" [--timeout ms] [--ttl t] [--json]` */
function registerSearch(gnutella: Command): void {
  gnutella
    .command('search')
    .description(
      'connect to a servent, send a Ping then a Query, print hits as they arrive (exit 1: no hit)',
    )
    .requiredOption('--via <host:port>', 'a servent (ultrapeer) to search through', hostPort)
    .argument('<words>', 'keywords, all required')
    .option('--timeout <ms>', 'how long to collect hits', integer(1, 3_600_000), 5000)
    .option('--ttl <t>', 'query TTL', integer(1, 7), 7)
    .option('--json', 'one JSON object on stdout at the end')
    .action(
      async (
        words: string,
        options: { via: Address; timeout: number; ttl: number; json?: boolean },
      ) => {
        if (words.trim() === '') throw new Error('give at least one keyword');
        const runtime = realRuntime({
          host: options.via.host === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0',
        });
        const servent = new Servent({ runtime, role: 'leaf', maintain: false, pingIntervalMs: 0 });
        const started = performance.now();
        try {
          await servent.start();
          let link = await servent.connect(options.via);
          // A leaf (or a full ultrapeer) refuses with X-Try-Ultrapeers: try those.
          for (const alt of servent.knownHosts().slice(0, 3)) {
            if (link) break;
            link = await servent.connect(alt.address);
          }
          if (!link) {
            process.stderr.write(
              `p2pkit: cannot search through ${formatAddress(options.via)}: refused or unreachable\n`,
            );
            process.exitCode = EXIT_UNREACHABLE;
            return;
          }
          if (!options.json)
            process.stderr.write(
              `connected to ${formatAddress(link.remote)} (${link.userAgent || 'unknown'})\n`,
            );
          servent.ping();
          const search = servent.search(words, { ttl: options.ttl });
          if (!options.json) {
            search.on('hit', (hit) => {
              process.stdout.write(
                `${hit.name}\t${hit.size}\t${hit.host}:${hit.port}\t${hit.urn ?? '-'}${hit.push ? '\tpush' : ''}\n`,
              );
            });
          }
          const interrupted = await Promise.race([
            new Promise<boolean>((r) => setTimeout(() => r(false), options.timeout)),
            untilSignal().then(() => true),
          ]);
          search.stop();
          const ms = Math.round(performance.now() - started);
          if (options.json) {
            process.stdout.write(
              `${JSON.stringify({ query: words, via: formatAddress(link.remote), hits: search.hits.map(hitJson), elapsedMs: ms })}\n`,
            );
          }
          if (search.hits.length === 0) {
            process.stderr.write(`no hits for "${words}" within ${options.timeout} ms\n`);
            process.exitCode = 1;
          } else if (!options.json) {
            process.stderr.write(
              `${search.hits.length} hit(s) in ${ms} ms${interrupted ? ' (interrupted)' : ''}\n`,
            );
          }
        } finally {
          await servent.stop();
          await runtime.close();
        }
      },
    );
}
