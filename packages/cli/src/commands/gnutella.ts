import { join, resolve } from 'node:path';
import { type Address, formatAddress } from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import { guidFromHex, guidToHex, type SearchHit, Servent } from '@p2pkit/gnutella';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { openFolder } from '../folders.js';
import { hostPort, hostPorts, integer } from '../options.js';
import { registerSimGnutella } from './sim-gnutella.js';

/**
 * `p2pkit gnutella start|search|get` (real servents over TCP) and `p2pkit sim gnutella`. The command shapes and the JSON
 * output are contracts scripts rely on (issue 13).
 */
export function registerGnutella(program: Command): void {
  const gnutella = program
    .command('gnutella')
    .description('Gnutella 0.6: servents and ultrapeers, flooding with QRP (TCP)');
  registerStart(gnutella);
  registerSearch(gnutella);
  registerGet(gnutella);
  registerSimGnutella(program);
}

/** Exit code when the servent to search through cannot be reached or refuses us. */
const EXIT_UNREACHABLE = 2;

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
    .option('--peer <host:port>', 'servent to connect to (repeatable)', hostPorts)
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
        const folder = await openFolder('--share', options.share, { create: false });
        const runtime = realRuntime({ host: options.host });
        const servent = new Servent({
          runtime,
          port: options.port,
          role: options.ultrapeer ? 'ultrapeer' : options.leaf ? 'leaf' : 'auto',
          firewalled: options.firewalled ?? false,
          folder,
          peers: options.peer ?? [],
        });
        const files = await servent.shareFolder(folder);
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

/** A short-lived leaf for `search` and `get` (bound to loopback when the servent is local). */
function client(via: Address) {
  const runtime = realRuntime({ host: via.host.startsWith('127.') ? '127.0.0.1' : '0.0.0.0' });
  const servent = new Servent({ runtime, role: 'leaf', maintain: false, pingIntervalMs: 0 });
  return { runtime, servent };
}

/**
 * Starts the client and connects through `via`; a leaf or a full ultrapeer refuses with
 * X-Try-Ultrapeers, and those are tried next. Undefined (exit code set, one line printed) when
 * nothing took us.
 */
async function connectThrough(servent: Servent, via: Address, verb: string) {
  await servent.start();
  let link = await servent.connect(via);
  for (const alt of servent.knownHosts().slice(0, 3)) {
    if (link) break;
    link = await servent.connect(alt.address);
  }
  if (!link) {
    process.stderr.write(
      `p2pkit: cannot ${verb} through ${formatAddress(via)}: refused or unreachable\n`,
    );
    process.exitCode = EXIT_UNREACHABLE;
  }
  return link;
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
        const { runtime, servent } = client(options.via);
        const started = performance.now();
        try {
          const link = await connectThrough(servent, options.via, 'search');
          if (!link) return;
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

/** Exit code when the download itself failed (refused, cut, or content not matching its urn). */
const EXIT_DOWNLOAD = 3;

/** A hit from `search --json` (one element of `hits`), back into a SearchHit. */
function parseHit(text: string): SearchHit {
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(text);
  } catch {
    throw new Error("--hit is not JSON: pass one element of `search --json`'s hits");
  }
  const ok =
    typeof h.name === 'string' &&
    Number.isInteger(h.size) &&
    Number.isInteger(h.index) &&
    typeof h.host === 'string' &&
    Number.isInteger(h.port) &&
    typeof h.servent === 'string';
  if (!ok)
    throw new Error('--hit needs name, size, index, host, port and servent (from `search --json`)');
  return {
    name: h.name as string,
    size: h.size as number,
    index: h.index as number,
    host: h.host as string,
    port: h.port as number,
    ...(typeof h.urn === 'string' ? { urn: h.urn } : {}),
    serventId: guidFromHex(h.servent as string),
    push: h.push === true,
    hops: Number(h.hops) || 1,
  };
}

/** Progress on stderr: a bar on a terminal, a plain line every second in a pipe. */
function progress(total: number): { update(done: number): void; stop(): void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: 'downloading [{bar}] {percentage}% {value}/{total} bytes eta {eta}s',
    });
    bar.start(total, 0);
    return { update: (d) => bar.update(d), stop: () => bar.stop() };
  }
  let last = 0;
  return {
    update(done) {
      const now = performance.now();
      if (now - last < 1000 && done < total) return;
      last = now;
      process.stderr.write(`downloaded ${done}/${total} bytes\n`);
    },
    stop() {},
  };
}

/** `p2pkit gnutella get --via host:port "<words>" [-o dir]`, or `--hit <json>` from `search --json`. */
function registerGet(gnutella: Command): void {
  gnutella
    .command('get')
    .description(
      'search and download the first hit (Push when the holder is firewalled), verifying its SHA-1 urn',
    )
    .requiredOption(
      '--via <host:port>',
      'a servent (ultrapeer) to search and route Pushes through',
      hostPort,
    )
    .argument('[words]', 'keywords, all required (or give --hit)')
    .option(
      '--hit <json>',
      "download this hit (one element of `search --json`'s hits) instead of searching",
    )
    .option('-o, --output <dir>', 'folder to save into (created if missing)', '.')
    .option('--timeout <ms>', 'how long to wait for a hit', integer(1, 3_600_000), 5000)
    .action(
      async (
        words: string | undefined,
        options: { via: Address; hit?: string; output: string; timeout: number },
      ) => {
        const given = options.hit === undefined ? undefined : parseHit(options.hit);
        if (!given && (words === undefined || words.trim() === '')) {
          throw new Error('give keywords or --hit');
        }
        const folder = await openFolder('-o', options.output, { create: true });
        const { runtime, servent } = client(options.via);
        const abort = new AbortController();
        const onSignal = () => abort.abort(new Error('interrupted'));
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const started = performance.now();
        try {
          if (!(await connectThrough(servent, options.via, 'connect'))) return;
          let hit = given;
          if (!hit) {
            const search = servent.search(words!);
            hit = await new Promise<SearchHit | undefined>((done) => {
              const timer = setTimeout(() => done(undefined), options.timeout);
              search.once('hit', (h) => {
                clearTimeout(timer);
                done(h);
              });
              abort.signal.addEventListener('abort', () => done(undefined), { once: true });
            });
            search.stop();
            if (!hit) {
              process.stderr.write(`no hits for "${words}" within ${options.timeout} ms\n`);
              process.exitCode = 1;
              return;
            }
          } else if (hit.push) {
            // A Push is routed back along the path of a Query Hit: search once to learn the route.
            const search = servent.search(hit.name, { ...(hit.urn ? { urns: [hit.urn] } : {}) });
            await new Promise((r) => setTimeout(r, Math.min(options.timeout, 2000)));
            search.stop();
          }
          process.stderr.write(
            `downloading ${hit.name} (${hit.size} bytes) from ${hit.host}:${hit.port}${hit.push ? ' via Push' : ''}\n`,
          );
          const bar = progress(hit.size);
          let result: Awaited<ReturnType<Servent['download']>>;
          try {
            result = await servent.download(hit, {
              folder,
              signal: abort.signal,
              onProgress: (d) => bar.update(d),
            });
          } catch (error) {
            bar.stop();
            process.stderr.write(
              `p2pkit: download of ${hit.name} failed: ${(error as Error).message}\n`,
            );
            process.exitCode = EXIT_DOWNLOAD;
            return;
          }
          bar.stop();
          const s = (performance.now() - started) / 1000;
          const rate = result.fetched / Math.max(s, 0.001) / 1024;
          process.stdout.write(
            `saved ${join(resolve(options.output), result.name)} ${result.size} bytes in ${s.toFixed(2)} s (${rate.toFixed(0)} KiB/s) ${result.urn} verified${result.pushed ? ' (push)' : ''}\n`,
          );
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await servent.stop();
          await runtime.close();
        }
      },
    );
}
