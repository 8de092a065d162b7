/**
 * Harness for the webtorrent interop tests: their peers (npm `webtorrent` 2.8, in this process)
 * and ours (the p2pkit client on realRuntime with file storage), each on its own 127.0.0.x
 * address with its own peer id, real TCP, real files. Both sides log into one bounded buffer
 * that is printed when the test fails (INTEROP_LOG=1: always); every wait is an event with a
 * bounded timeout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { format } from 'node:util';
import { createLogger, formatAddress } from '@p2pkit/core';
import { type RealRuntime, realRuntime } from '@p2pkit/core/node';
import { onTestFailed, onTestFinished } from 'vitest';
import WebTorrent, { type Torrent as TheirTorrent } from 'webtorrent';
import { toHex, utf8 } from '../../src/bencode/index.js';
import { type Client, createClient } from '../../src/client.js';
import { fileStorage } from '../../src/node/index.js';
import type { TorrentSettings } from '../../src/torrent/settings.js';
import type { Torrent as OurTorrent } from '../../src/torrent/torrent.js';

/** Lines kept per peer (the tail: where a stalled transfer shows what went wrong). */
const MAX_LINES_PER_SOURCE = 400;

/** The `debug` instance webtorrent and bittorrent-protocol log through (one copy in the tree). */
const requireHere = createRequire(import.meta.url);
const debug = createRequire(requireHere.resolve('webtorrent'))('debug') as {
  enable(namespaces: string): void;
  log: (...args: unknown[]) => void;
};
let current: Harness | undefined;
{
  // debug.enable also writes process.env.DEBUG: keep the environment as it was.
  const saved = process.env.DEBUG;
  debug.enable(
    'webtorrent*,bittorrent-protocol*,ut_metadata*,torrent-discovery*,bittorrent-tracker*,fs-chunk-store*',
  );
  if (saved === undefined) delete process.env.DEBUG;
  else process.env.DEBUG = saved;
  debug.log = (...args: unknown[]) => current?.log('webtorrent', format(...args));
}

/** `-PK0001-` / `-WW0208-` + 12 bytes naming the peer: distinct per peer, readable in logs. */
function peerIdFor(prefix: string, label: string): Uint8Array {
  const id = new Uint8Array(20);
  id.set(utf8(prefix));
  id.set(utf8(label.padEnd(12, '.').slice(0, 12)), 8);
  return id;
}

export class Harness {
  readonly #lines = new Map<string, { kept: string[]; dropped: number }>();
  readonly #cleanups: (() => unknown)[] = [];
  readonly #status: [string, () => unknown][] = [];
  readonly #started = Date.now();

  constructor() {
    current = this;
    onTestFailed(() => {
      process.stderr.write(this.report());
    });
    onTestFinished(async () => {
      // INTEROP_LOG=1 prints the logs of passing tests too.
      if (process.env.INTEROP_LOG) process.stderr.write(this.report());
      for (const cleanup of this.#cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          this.log('harness', `cleanup failed: ${String(error)}`);
        }
      }
      if (current === this) current = undefined;
    });
  }

  /** A log line from `source` (a peer's label), kept in a bounded per-source tail. */
  log(source: string, line: string): void {
    let entry = this.#lines.get(source);
    if (!entry) {
      entry = { kept: [], dropped: 0 };
      this.#lines.set(source, entry);
    }
    entry.kept.push(`+${((Date.now() - this.#started) / 1000).toFixed(3)}s ${line}`);
    if (entry.kept.length > MAX_LINES_PER_SOURCE) {
      entry.kept.shift();
      entry.dropped++;
    }
  }

  /** Runs at the end of the test (last registered, first run). */
  defer(cleanup: () => unknown): void {
    this.#cleanups.push(cleanup);
  }

  /** A status line printed with the logs on failure (progress, peers). */
  status(name: string, read: () => unknown): void {
    this.#status.push([name, read]);
  }

  report(): string {
    const out: string[] = ['\n======== interop diagnostics ========'];
    for (const [name, read] of this.#status) {
      let value: unknown;
      try {
        value = read();
      } catch (error) {
        value = `(unreadable: ${String(error)})`;
      }
      out.push(`status ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
    for (const [source, { kept, dropped }] of this.#lines) {
      out.push(`-------- ${source} (${dropped} earlier lines dropped) --------`, ...kept);
    }
    out.push('======== end of interop diagnostics ========\n');
    return out.join('\n');
  }

  /** Resolves with `promise`, or rejects after `ms` naming what it waited for. */
  within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  /** A fresh temporary folder, removed at the end. */
  async folder(label: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `p2pkit-wt-${label}-`));
    this.defer(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  // --- their side --------------------------------------------------------------------------------

  /**
   * A webtorrent client listening on `host` (dialing out, it cannot pick a source address: the
   * kernel uses 127.0.0.1). DHT, LSD, uTP, PEX, web seeds and NAT mapping are off; trackers only
   * when `tracker` is given (`announceIp`: the BEP 3 `ip` parameter, so a tracker that trusts it
   * lists the address the client listens on rather than 127.0.0.1).
   */
  async theirs(
    label: string,
    host: string,
    options: { tracker?: boolean; announceIp?: boolean; secure?: boolean } = {},
  ): Promise<WebTorrent> {
    const client = new WebTorrent({
      peerId: toHex(peerIdFor('-WW0208-', label)),
      // Passed to net.Server#listen as is: the only way to bind webtorrent to one address.
      torrentPort: { port: 0, host },
      dht: false,
      lsd: false,
      utp: false,
      utPex: false,
      webSeeds: false,
      natUpnp: false,
      natPmp: false,
      secure: options.secure ?? false,
      tracker: options.tracker
        ? options.announceIp
          ? { getAnnounceOpts: () => ({ ip: host }) }
          : {}
        : false,
    });
    client.on('error', (error: Error) => this.log(label, `client error: ${error.stack}`));
    client.on('warning', (error: Error) => this.log(label, `client warning: ${error.message}`));
    client.on('torrent', (torrent: TheirTorrent) => this.#watchTheirs(label, torrent));
    this.defer(() => new Promise<void>((resolve) => client.destroy(() => resolve())));
    await this.within(
      new Promise<void>((resolve, reject) => {
        if (client.listening) resolve();
        client.once('listening', () => resolve());
        client.once('error', reject);
      }),
      10_000,
      `${label} listening`,
    );
    this.log(label, `webtorrent ${WebTorrent.VERSION} listening on ${host}:${this.port(client)}`);
    return client;
  }

  port(client: WebTorrent): number {
    const address = client.address();
    if (!address) throw new Error('webtorrent client is not listening');
    return address.port;
  }

  #watchTheirs(label: string, torrent: TheirTorrent): void {
    const l = (line: string) => this.log(label, line);
    l(`torrent ${torrent.infoHash} ready`);
    torrent.on('wire', (wire: { peerId: string; type: string }, addr?: string) =>
      l(`wire ${wire.type} ${addr ?? '?'} peer id ${Buffer.from(wire.peerId, 'hex')}`),
    );
    torrent.on('warning', (error: Error) => l(`torrent warning: ${error.message}`));
    torrent.on('error', (error: Error) => l(`torrent error: ${error.stack}`));
    torrent.on('done', () => l('torrent done'));
    torrent.on('trackerAnnounce', () => l('announced to a tracker'));
    this.status(`${label} ${torrent.infoHash.slice(0, 8)}`, () => ({
      progress: torrent.progress,
      downloaded: torrent.downloaded,
      uploaded: torrent.uploaded,
      peers: torrent.numPeers,
      wires: torrent.wires.map((w) => `${w.remoteAddress}:${w.remotePort}`),
    }));
  }

  /** Their torrent's `event` (ready, done, metadata), or its error. */
  theirEvent(torrent: TheirTorrent, event: 'done' | 'ready' | 'metadata') {
    if ((event === 'done' && torrent.done) || (event === 'ready' && torrent.ready)) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      torrent.once(event, () => resolve());
      torrent.once('error', reject);
    });
  }

  /**
   * Adds a torrent (file bytes or magnet) to a webtorrent client, then `peer` ("ip:port") once
   * webtorrent knows the info-hash (it parses asynchronously and refuses peers before).
   */
  async theirAdd(
    client: WebTorrent,
    torrentId: string | Uint8Array,
    path: string,
    peer?: string,
  ): Promise<TheirTorrent> {
    const torrent = client.add(torrentId, { path });
    if (!torrent.infoHash) {
      await this.within(
        new Promise<void>((resolve, reject) => {
          torrent.once('infoHash', () => resolve());
          torrent.once('error', reject);
        }),
        10_000,
        'webtorrent parsing the torrent',
      );
    }
    if (peer) torrent.addPeer(peer);
    return torrent;
  }

  /**
   * Seeds `path` from a webtorrent client; resolves once it can serve (infoHash, torrent file).
   * `announced` settles on its first tracker announce (listened for from the start: it may come
   * before the torrent is ready).
   */
  async theirSeed(
    client: WebTorrent,
    path: string,
    announce: string[] = [],
  ): Promise<TheirTorrent & { announced: Promise<void> }> {
    let announced: Promise<void> = Promise.resolve();
    const torrent = await this.within(
      new Promise<TheirTorrent>((resolve, reject) => {
        const torrent = client.seed(path, { announce }, (t) => resolve(t));
        torrent.once('error', reject);
        announced = new Promise<void>((done) => torrent.once('trackerAnnounce', () => done()));
      }),
      20_000,
      `webtorrent seeding ${path}`,
    );
    return Object.assign(torrent, { announced });
  }

  // --- our side ----------------------------------------------------------------------------------

  /** Our client on `host`, storing under `folder`; its logs and torrent events go to the report. */
  async ours(
    label: string,
    host: string,
    folder: string,
    settings: Partial<TorrentSettings> = {},
  ): Promise<Client> {
    const real: RealRuntime = realRuntime({ host });
    const runtime: RealRuntime = {
      ...real,
      log: createLogger({
        namespace: `p2pkit:${label}`,
        debug: '*',
        sink: (record) => this.log(label, format(record.message, ...record.args)),
      }),
    };
    this.defer(() => real.close());
    const client = await createClient({
      runtime,
      storage: fileStorage({ folder }),
      peerId: peerIdFor('-PK0001-', label),
      settings: { announce: false, ...settings },
    });
    this.defer(() => client.stop());
    client.on('warning', (error) => this.log(label, `client warning: ${error.message}`));
    client.on('torrent', (torrent) => this.#watchOurs(label, torrent));
    this.log(label, `p2pkit listening on ${formatAddress(client.address)}`);
    return client;
  }

  #watchOurs(label: string, torrent: OurTorrent): void {
    const l = (line: string) => this.log(label, line);
    torrent.on('metadata', (meta) => l(`metadata ${meta.infoHashHex} (${meta.length} bytes)`));
    torrent.on('ready', () => l(`ready: ${torrent.state}`));
    torrent.on('peer', (peer) =>
      l(
        `peer ${formatAddress(peer.address)} ${peer.incoming ? 'in' : 'out'} ${peer.encryption} ` +
          `id ${Buffer.from(peer.peerId).toString('latin1')}`,
      ),
    );
    torrent.on('warning', (error) => l(`torrent warning: ${error.message}`));
    torrent.on('error', (error) => l(`torrent error: ${error.stack}`));
    torrent.on('banned', (address, reason) => l(`banned ${formatAddress(address)}: ${reason}`));
    torrent.on('done', () => l('torrent done'));
    this.status(`${label} ${toHex(torrent.infoHash).slice(0, 8)}`, () => torrent.progress());
  }

  /** Our torrent's `done` (every piece verified and on disk), or its error. */
  ourDone(torrent: OurTorrent): Promise<void> {
    if (torrent.complete) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      torrent.once('done', () => resolve());
      torrent.once('error', reject);
    });
  }
}

// --- files ---------------------------------------------------------------------------------------

/** Writes `size` random bytes to `path` (parents created). */
export async function writeRandomFile(path: string, size: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, randomBytes(size));
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
