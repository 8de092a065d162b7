import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Address, formatAddress, P2PError, type SharedFolder } from '@p2pkit/core';
import { type RealRuntime, realRuntime } from '@p2pkit/core/node';
import {
  createMetaserver,
  createNapsterClient,
  createNapsterServer,
  type DownloadResult,
  localName,
  type Metaserver,
  type NapsterClient,
  type NapsterClientOptions,
  type SearchResult,
} from '@p2pkit/napster';
import type { Command } from 'commander';
import { openFolder } from '../folders.js';
import { hostPort, integer, port } from '../options.js';
import { createReporter, formatBytes, formatElapsed, formatRate, outputMode } from '../progress.js';
import { untilSignal } from '../signals.js';
import { simCommand } from './sim.js';
import { registerSimNapster } from './sim-napster.js';

/**
 * `p2pkit napster ...`: an OpenNap-compatible server, and the client side: share a folder, search,
 * get a file from the peer that has it. Command shapes and JSON fields are contracts (issue 14).
 */
export function registerNapster(program: Command): void {
  const napster = program
    .command('napster')
    .description('Napster: an OpenNap-compatible central index, peer-to-peer downloads (TCP)');
  registerServer(napster);
  registerShare(napster);
  registerSearch(napster);
  registerGet(napster);
  registerSimNapster(simCommand(program));
}

/** `p2pkit napster server [--host ip] [--port 8888] [--metaserver-port 8875] [--max-results n]` */
function registerServer(napster: Command): void {
  napster
    .command('server')
    .description('run a server (and its metaserver) until Ctrl-C')
    .option('--host <ip>', 'address to listen on (0.0.0.0: every interface)', '127.0.0.1')
    .option('--port <port>', 'server port (0: any free port)', port, 8888)
    .option('--metaserver-port <port>', 'metaserver port (0: any free port)', port, 8875)
    .option('--no-metaserver', 'do not run the metaserver')
    .option('--max-results <n>', 'most results per search', integer(1, 10_000), 100)
    .option('--max-shares <n>', 'most files per user', integer(1, 10_000_000), 5000)
    .action(
      async (options: {
        host: string;
        port: number;
        metaserverPort: number;
        metaserver: boolean;
        maxResults: number;
        maxShares: number;
      }) => {
        const runtime = realRuntime({ host: options.host });
        const server = createNapsterServer({
          runtime,
          port: options.port,
          maxResults: options.maxResults,
          maxShares: options.maxShares,
        });
        let meta: Metaserver | undefined;
        const started = performance.now();
        try {
          const address = await listening('server', options.host, options.port, () =>
            server.start(),
          );
          // Clients on other machines must be sent an address they can reach.
          const advertised =
            options.host === '0.0.0.0' ? { host: '127.0.0.1', port: address.port } : address;
          if (options.metaserver) {
            meta = createMetaserver({
              runtime,
              port: options.metaserverPort,
              servers: [advertised],
            });
            const metaAddress = await listening(
              'metaserver',
              options.host,
              options.metaserverPort,
              () => meta!.start(),
            );
            process.stdout.write(
              `napster server on ${formatAddress(address)}, metaserver on ${formatAddress(metaAddress)} (Ctrl-C to stop)\n`,
            );
          } else {
            process.stdout.write(`napster server on ${formatAddress(address)} (Ctrl-C to stop)\n`);
          }
          server.on('login', (nick, from) => log(`login ${nick} from ${from.host}`));
          server.on('logout', (nick) => log(`logout ${nick}`));
          // Every 30 s, a line of counters, when they changed.
          let lastLine = '';
          const ticker = setInterval(() => {
            const s = server.stats();
            const line = `${s.users} users, ${s.files} files, ${s.searches} searches, ${s.searchResults} results`;
            if (line !== lastLine) log(line);
            lastLine = line;
          }, 30_000);
          ticker.unref();
          await untilSignal();
          clearInterval(ticker);
        } finally {
          await meta?.stop();
          await server.stop();
          await runtime.close();
        }
        const s = server.stats();
        process.stdout.write(
          `stopped after ${Math.round((performance.now() - started) / 1000)} s: ${s.logins} logins, ${s.searches} searches, ${s.searchResults} results, ${s.downloadRequests} download requests\n`,
        );
      },
    );
}

/** Starts a listener, turning "address in use" and friends into one clear line. */
async function listening(
  what: string,
  host: string,
  p: number,
  start: () => Promise<Address>,
): Promise<Address> {
  try {
    return await start();
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === 'ERR_ADDRESS_IN_USE' ? 'address already in use' : (error as Error).message;
    throw new P2PError(`cannot run the ${what} on ${host}:${p}: ${reason}`, 'ERR_LISTEN');
  }
}

/** `p2pkit napster search --server host:port "<words>" [--max n] [--json]` */
function registerSearch(napster: Command): void {
  napster
    .command('search')
    .description('search the server; prints one line per file (nick, size, bitrate, name)')
    .requiredOption('--server <host:port>', 'the napster server', hostPort)
    .argument('<words>', 'words every file name must contain')
    .option('--max <n>', 'most results to ask for', integer(1, 10_000), 100)
    .option('--nick <nick>', 'nick to log in with (default: p2pkit-<random>)')
    .option('--timeout <ms>', 'give up after this long', integer(1, 3_600_000), 15_000)
    .option('--json', 'one JSON object on stdout')
    .action(
      async (
        words: string,
        options: { server: Address; max: number; nick?: string; timeout: number; json?: boolean },
      ) => {
        if (words.includes('"'))
          throw new P2PError('search words cannot contain a double quote', 'ERR_INVALID_ARGUMENT');
        if (words.trim() === '')
          throw new P2PError('give at least one word to search for', 'ERR_INVALID_ARGUMENT');
        const results = await withClient(options.server, options, (client, signal) =>
          client.search({ contains: [words], maxResults: options.max }, signal),
        );
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({ server: formatAddress(options.server), query: words, results })}\n`,
          );
          return;
        }
        for (const r of results) process.stdout.write(`${formatResult(r)}\n`);
        process.stdout.write(
          `${results.length} result${results.length === 1 ? '' : 's'} for "${words}"\n`,
        );
      },
    );
}

/** `p2pkit napster share --server host:port --nick <n> --dir <dir> [--port p]`: stays online, serves uploads. */
function registerShare(napster: Command): void {
  napster
    .command('share')
    .description('log in, share the files of a folder and serve them to peers until Ctrl-C')
    .requiredOption('--server <host:port>', 'the napster server', hostPort)
    .requiredOption('--nick <nick>', 'nick to log in with')
    .requiredOption('--dir <dir>', 'folder to share (its files and subfolders)')
    .option('--port <port>', 'data port peers download from (0: any free port)', port, 6699)
    .option('--host <ip>', 'address to bind the data port (default: by the server address)')
    .option('--firewalled', 'no data port: uploads are pushed (500/501)')
    .option('--password <password>', 'password (registered nicks need theirs)', 'p2pkit')
    .option('--link-type <n>', 'link speed announced, 0-10 (7 = cable, 8 = DSL)', integer(0, 10), 0)
    .action(
      async (options: {
        server: Address;
        nick: string;
        dir: string;
        port: number;
        host?: string;
        firewalled?: boolean;
        password: string;
        linkType: number;
      }) => {
        const folder = await openFolder('--dir', options.dir, { create: false });
        const runtime = realRuntime({ host: options.host ?? localHostFor(options.server) });
        const client = createNapsterClient({
          runtime,
          server: options.server,
          nick: options.nick,
          password: options.password,
          linkType: options.linkType,
          firewalled: options.firewalled ?? false,
          dataPort: options.port,
          folder,
        });
        let uploads = 0;
        let bytes = 0;
        client.on('upload', (u) => {
          uploads++;
          bytes += u.bytes;
          log(
            `sent "${u.filename}" to ${u.nick}: ${formatBytes(u.bytes)}${u.offset ? ` from byte ${u.offset}` : ''} (${u.mode})`,
          );
        });
        client.on('uploadError', (error, who) => log(`upload to ${who} failed: ${error.message}`));
        client.on('notice', (text) => log(`server: ${text}`));
        const lost = new Promise<string>((resolve) => client.on('disconnected', resolve));
        try {
          try {
            await client.connect();
          } catch (error) {
            throw listenOrLogin(error, options.server, options.port);
          }
          const shared = await client.share();
          const port = options.firewalled
            ? 'firewalled, no data port'
            : `data port ${client.dataPort}`;
          process.stdout.write(
            `sharing ${shared} file${shared === 1 ? '' : 's'} from ${options.dir} as ${options.nick} on ${formatAddress(options.server)}, ${port} (Ctrl-C to stop)\n`,
          );
          const why = await Promise.race([untilSignal().then(() => undefined), lost]);
          if (why !== undefined) {
            process.exitCode = 1;
            process.stderr.write(
              `p2pkit: lost the server: ${why === 'ghost' ? 'someone logged in with this nick' : why}\n`,
            );
          }
        } finally {
          await client.stop();
          await runtime.close();
        }
        process.stdout.write(
          `stopped: served ${uploads} upload${uploads === 1 ? '' : 's'}, ${formatBytes(bytes)}\n`,
        );
      },
    );
}

/**
 * `p2pkit napster get --server host:port "<words>"|--from nick --file "<name>" [-o dir]`: finds
 * the file (search, or browse of one user), downloads it from the peer into `<dir>` through
 * `<name>.part` (resumed if one is there), with progress.
 */
function registerGet(napster: Command): void {
  napster
    .command('get')
    .description(
      'download a file from the peer that shares it (by search words, or --from and --file)',
    )
    .requiredOption('--server <host:port>', 'the napster server', hostPort)
    .argument('[words]', 'search words (the best result is fetched)')
    .option('--from <nick>', 'the user to download from (with --file)')
    .option('--file <name>', 'the file name as that user shares it (with --from)')
    .option('-o, --output <dir>', 'folder to save into', '.')
    .option('--nick <nick>', 'nick to log in with (default: p2pkit-<random>)')
    .option(
      '--port <port>',
      'data port for pushes from firewalled peers (0: any free port)',
      port,
      0,
    )
    .option('--firewalled', 'no data port (downloads from firewalled peers then fail)')
    .option('--timeout <ms>', 'give up on a request after this long', integer(1, 3_600_000), 30_000)
    .option('--force', 'replace a file of the same name already in the output folder')
    .option('--json', 'one JSON object on stdout')
    .action(
      async (
        words: string | undefined,
        options: {
          server: Address;
          from?: string;
          file?: string;
          output: string;
          nick?: string;
          port: number;
          firewalled?: boolean;
          timeout: number;
          force?: boolean;
          json?: boolean;
        },
      ) => {
        if ((options.from === undefined) !== (options.file === undefined)) {
          throw new P2PError('--from and --file go together', 'ERR_INVALID_ARGUMENT');
        }
        if (words === undefined && options.from === undefined) {
          throw new P2PError(
            'give search words, or --from <nick> --file <name>',
            'ERR_INVALID_ARGUMENT',
          );
        }
        if (words !== undefined && options.from !== undefined) {
          throw new P2PError(
            'give search words or --from/--file, not both',
            'ERR_INVALID_ARGUMENT',
          );
        }
        if (words?.includes('"'))
          throw new P2PError('search words cannot contain a double quote', 'ERR_INVALID_ARGUMENT');
        if (words?.trim() === '')
          throw new P2PError('give at least one word to search for', 'ERR_INVALID_ARGUMENT');
        const folder = await openFolder('-o', options.output, { create: true });
        const clientOptions = { firewalled: options.firewalled ?? false, dataPort: options.port };
        const outcome = await withClient(
          options.server,
          { ...options, client: clientOptions },
          async (client, signal) => {
            const candidates =
              words !== undefined
                ? await found(client, words, signal)
                : await named(client, options.from!, options.file!, signal);
            let lastError: unknown;
            for (const target of candidates.slice(0, 3)) {
              try {
                return await fetch(
                  client,
                  folder,
                  target,
                  options.output,
                  { json: options.json === true, force: options.force === true },
                  signal,
                );
              } catch (error) {
                if (signal.aborted || (error as P2PError).code === 'ERR_EXISTS') throw error;
                lastError = error;
                if (candidates.length > 1)
                  process.stderr.write(
                    `p2pkit: ${target.nick} failed (${(error as Error).message}), trying the next\n`,
                  );
              }
            }
            throw lastError;
          },
        );
        if (options.json) process.stdout.write(`${JSON.stringify(outcome)}\n`);
        else
          process.stdout.write(
            `saved ${outcome.path} (${formatBytes(outcome.bytes)} in ${formatElapsed(outcome.elapsedMs)}, ${formatRate((outcome.bytes / Math.max(outcome.elapsedMs, 1)) * 1000)}) from ${outcome.nick}, ${outcome.mode === 'push' ? 'pushed by a firewalled peer' : 'direct'}${outcome.offset ? `, resumed at byte ${outcome.offset}` : ''}\n`,
          );
      },
    );
}

/** Search results to try, best first: fast links first, then the server's order. */
async function found(
  client: NapsterClient,
  words: string,
  signal: AbortSignal,
): Promise<SearchResult[]> {
  const results = await client.search(words, signal);
  if (results.length === 0) throw new P2PError(`no file matches "${words}"`, 'ERR_NOT_FOUND');
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.linkType - a.r.linkType || a.i - b.i)
    .map(({ r }) => r);
}

/** The one file `name` of `nick`, found by browsing (for its size). */
async function named(
  client: NapsterClient,
  nick: string,
  name: string,
  signal: AbortSignal,
): Promise<{ nick: string; filename: string; size: number }[]> {
  const entries = await client.browse(nick, signal);
  const entry = entries.find((e) => e.filename === name);
  if (!entry) throw new P2PError(`${nick} does not share "${name}"`, 'ERR_NOT_FOUND');
  return [entry];
}

interface GetOutcome {
  file: string;
  path: string;
  nick: string;
  size: number;
  offset: number;
  bytes: number;
  mode: DownloadResult['mode'];
  elapsedMs: number;
}

/** Downloads one file into `folder` through its .part file; the .part stays on failure. */
async function fetch(
  client: NapsterClient,
  folder: SharedFolder,
  target: { nick: string; filename: string; size: number },
  dir: string,
  { json, force }: { json: boolean; force: boolean },
  signal: AbortSignal,
): Promise<GetOutcome> {
  const name = localName(target.filename);
  // Never replace a finished file by surprise (the .part beside it is what resumes).
  if (!force && (await stat(join(dir, name)).catch(() => undefined))) {
    throw new P2PError(
      `${join(dir, name)} already exists: remove it, or pass --force to replace it`,
      'ERR_EXISTS',
    );
  }
  let part = await folder.write(name, { resume: true });
  if (part.written > target.size) {
    await part.abort();
    part = await folder.write(name);
  }
  const offset = part.written;
  const started = performance.now();
  // A bar on a terminal, plain lines every 2 s in a pipe, nothing with --json (one object at the end).
  const reporter = createReporter({
    mode: json ? 'quiet' : outputMode({}),
    prefix: 'p2pkit napster get',
    intervalMs: 2000,
    barFormat: `${name} [{bar}] {percentage}% {done} of {total} {rate}`,
  });
  try {
    const result = await client.download(target, {
      offset,
      signal,
      onData: (chunk) => part.write(chunk),
      onProgress: (received, size) => {
        const rate = formatRate(
          (received - offset) / Math.max((performance.now() - started) / 1000, 0.001),
        );
        const done = formatBytes(received);
        const total = formatBytes(size);
        reporter.progress(received, size, `${name} ${done} of ${total} (${rate})`, {
          done,
          total,
          rate,
        });
      },
    });
    reporter.stop();
    await part.commit();
    return {
      file: target.filename,
      path: join(dir, name),
      nick: target.nick,
      size: target.size,
      offset,
      bytes: target.size - offset,
      mode: result.mode,
      elapsedMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    reporter.stop();
    const kept = part.written;
    await part.close();
    if (kept > 0)
      process.stderr.write(
        `p2pkit: ${formatBytes(kept)} kept in ${join(dir, name)}.part: run the same command again to resume\n`,
      );
    throw error;
  }
}

/** A failed connect of `share`: its data port in use, or the server's refusal. */
function listenOrLogin(error: unknown, server: Address, dataPort: number): unknown {
  if ((error as { code?: string }).code === 'ERR_ADDRESS_IN_USE') {
    return new P2PError(
      `data port ${dataPort} is already in use (pass --port 0 for any free port)`,
      'ERR_LISTEN',
    );
  }
  return explain(error, server);
}

function formatResult(r: SearchResult): string {
  const size = `${(r.size / 1024 / 1024).toFixed(1)} MiB`;
  const rate = r.bitrate > 0 ? `${r.bitrate} kbps` : '-';
  return `${r.nick.padEnd(16)} ${size.padStart(10)} ${rate.padStart(9)}  ${r.filename}`;
}

/**
 * A short-lived client logged in to `server` (firewalled unless `options` give it a data port),
 * with a deadline for each request and Ctrl-C; errors come back in the user's terms.
 */
async function withClient<T>(
  server: Address,
  options: {
    nick?: string;
    timeout: number;
    client?: Partial<NapsterClientOptions>;
    host?: string;
  },
  work: (client: NapsterClient, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const runtime: RealRuntime = realRuntime({ host: options.host ?? localHostFor(server) });
  const nick = options.nick ?? `p2pkit-${runtime.random.u32().toString(16).slice(0, 6)}`;
  const client = createNapsterClient({
    runtime,
    server,
    nick,
    firewalled: true,
    requestTimeoutMs: options.timeout,
    ...options.client,
  });
  const controller = new AbortController();
  const interrupted = untilSignal(controller.signal).then((signal) => {
    controller.abort();
    return signal;
  });
  try {
    await client.connect(controller.signal);
    return await work(client, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) {
      await interrupted;
      process.exitCode = 130;
      throw new P2PError('interrupted', 'ERR_ABORTED');
    }
    throw explain(error, server);
  } finally {
    controller.abort();
    await client.stop();
    await runtime.close();
  }
}

/** Loopback servers are dialed from loopback; anything else from any interface. */
function localHostFor(server: Address): string {
  return server.host === 'localhost' || server.host.startsWith('127.') ? '127.0.0.1' : '0.0.0.0';
}

function explain(error: unknown, server: Address): unknown {
  const code = (error as { code?: string }).code;
  const where = formatAddress(server);
  if (code === 'ERR_CONNECTION_REFUSED')
    return new P2PError(`cannot reach the napster server at ${where}: connection refused`, code);
  if (code === 'ERR_TIMEOUT')
    return new P2PError(`the napster server at ${where} did not answer in time`, code);
  if (code === 'ERR_HOST_UNREACHABLE')
    return new P2PError(`cannot reach the napster server at ${where}: host unreachable`, code);
  return error;
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}
