/**
 * Real BitTorrent programs driven from tests: Transmission 3 (transmission-daemon, over its
 * JSON RPC), qBittorrent 4 (qbittorrent-nox, libtorrent, over its Web API) and opentracker. Each
 * runs as a child process in a folder of its own, on 127.0.0.x with free ports, and is killed by
 * `stop()`; `output()` is its log, for failure messages. Waits are real time (these are external
 * processes), each bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const sha256File = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it returns a value other than undefined, or throws after `ms`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  ms: number,
  what: string,
  debug: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${ms} ms${last ? ` (${String(last)})` : ''}\n${debug()}`,
      );
    }
    await sleep(100);
  }
}

/** A child process with its output kept, killed on stop(). */
class Child {
  readonly #child: ChildProcess;
  #output = '';
  readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], cwd: string) {
    this.#child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child.stdout!.on('data', (d) => (this.#output += d));
    this.#child.stderr!.on('data', (d) => (this.#output += d));
    this.exited = new Promise((resolve) => this.#child.on('exit', (code) => resolve(code)));
  }

  output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** What a test needs of a BitTorrent client it does not control from the inside. */
export interface ExternalPeer {
  readonly name: string;
  /** Where it accepts peers. */
  readonly host: string;
  readonly port: number;
  /** Adds a torrent whose data is (to seed) or will be (to download) in `folder`. */
  add(torrentFile: string, folder: string): Promise<void>;
  /** Its one torrent: fraction verified, payload uploaded, peers connected now. */
  status(): Promise<{ done: number; uploaded: number; peers: number }>;
  output(): string;
  stop(): Promise<void>;
}

/** transmission-daemon (Transmission 3.00) in the foreground, driven over its JSON RPC. */
export async function startTransmission(
  binary: string,
  dir: string,
  host: string,
): Promise<ExternalPeer> {
  const config = join(dir, 'transmission');
  await mkdir(config, { recursive: true });
  const port = await freePort(host);
  const rpcPort = await freePort('127.0.0.1');
  await writeFile(
    join(config, 'settings.json'),
    JSON.stringify({
      'bind-address-ipv4': host,
      'peer-port': port,
      'peer-port-random-on-start': false,
      'rpc-port': rpcPort,
      'rpc-bind-address': '127.0.0.1',
      'rpc-authentication-required': false,
      'rpc-whitelist-enabled': false,
      'rpc-host-whitelist-enabled': false,
      'dht-enabled': false,
      'lpd-enabled': false,
      'pex-enabled': false,
      'utp-enabled': false,
      'port-forwarding-enabled': false,
      'incomplete-dir-enabled': false,
      'download-dir': dir,
      // Preferred: it opens with MSE and takes plaintext; ours answers either.
      encryption: 1,
      'message-level': 2,
    }),
  );
  const child = new Child(binary, ['--foreground', '--config-dir', config], dir);
  const url = `http://127.0.0.1:${rpcPort}/transmission/rpc`;
  let session = '';
  const rpc = async (method: string, args: object): Promise<Record<string, unknown>> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'X-Transmission-Session-Id': session, 'Content-Type': 'application/json' },
        body: JSON.stringify({ method, arguments: args }),
      });
      // The first call learns the session id (CSRF protection) from a 409.
      if (response.status === 409) {
        session = response.headers.get('X-Transmission-Session-Id') ?? '';
        continue;
      }
      const body = (await response.json()) as {
        result: string;
        arguments: Record<string, unknown>;
      };
      if (body.result !== 'success') throw new Error(`transmission ${method}: ${body.result}`);
      return body.arguments;
    }
    throw new Error(`transmission ${method}: no session id`);
  };
  await waitFor(
    () => rpc('session-get', {}),
    15_000,
    'transmission-daemon RPC',
    () => child.output(),
  );
  return {
    name: 'Transmission',
    host,
    port,
    async add(torrentFile, folder) {
      const metainfo = (await readFile(torrentFile)).toString('base64');
      await rpc('torrent-add', { metainfo, 'download-dir': folder });
    },
    async status() {
      const { torrents } = (await rpc('torrent-get', {
        fields: ['percentDone', 'uploadedEver', 'peersConnected', 'error', 'errorString'],
      })) as { torrents: { percentDone: number; uploadedEver: number; peersConnected: number }[] };
      const t = torrents[0];
      if (!t) throw new Error('transmission: no torrent');
      return { done: t.percentDone, uploaded: t.uploadedEver, peers: t.peersConnected };
    },
    output: () => child.output(),
    stop: () => child.stop(),
  };
}

/** qbittorrent-nox (qBittorrent 4.5, libtorrent 2) with its Web API on 127.0.0.1. */
export async function startQbittorrent(
  binary: string,
  dir: string,
  host: string,
): Promise<ExternalPeer> {
  const profile = join(dir, 'qbittorrent');
  const config = join(profile, 'qBittorrent', 'config');
  await mkdir(config, { recursive: true });
  const port = await freePort(host);
  const webPort = await freePort('127.0.0.1');
  await writeFile(
    join(config, 'qBittorrent.conf'),
    [
      '[LegalNotice]',
      'Accepted=true',
      '',
      '[BitTorrent]',
      'Session\\DHTEnabled=false',
      'Session\\LSDEnabled=false',
      'Session\\PeXEnabled=false',
      `Session\\Port=${port}`,
      'Session\\Interface=lo',
      'Session\\InterfaceName=lo',
      `Session\\InterfaceAddress=${host}`,
      `Session\\DefaultSavePath=${dir}`,
      'Session\\BTProtocol=TCP',
      'Session\\Encryption=0',
      'Session\\QueueingSystemEnabled=false',
      // libtorrent lets one peer per IP connect by default; ours may come back on a new port.
      'Session\\MultiConnectionsPerIp=true',
      '',
      '[Network]',
      'PortForwardingEnabled=false',
      '',
      '[Preferences]',
      'WebUI\\Address=127.0.0.1',
      `WebUI\\Port=${webPort}`,
      'WebUI\\LocalHostAuth=false',
      'WebUI\\CSRFProtection=false',
      'WebUI\\HostHeaderValidation=false',
      '',
    ].join('\n'),
  );
  const child = new Child(binary, [`--profile=${profile}`], dir);
  const api = `http://127.0.0.1:${webPort}/api/v2`;
  await waitFor(
    async () => ((await fetch(`${api}/app/version`)).ok ? true : undefined),
    20_000,
    'qbittorrent-nox Web API',
    () => child.output(),
  );
  return {
    name: 'qBittorrent',
    host,
    port,
    async add(torrentFile, folder) {
      const form = new FormData();
      form.append('torrents', new Blob([await readFile(torrentFile)]), 'file.torrent');
      form.append('savepath', folder);
      const response = await fetch(`${api}/torrents/add`, { method: 'POST', body: form });
      const text = await response.text();
      if (!response.ok || text.trim() !== 'Ok.') throw new Error(`qbittorrent add: ${text}`);
    },
    async status() {
      const torrents = (await (await fetch(`${api}/torrents/info`)).json()) as {
        progress: number;
        uploaded: number;
        num_seeds: number;
        num_leechs: number;
        state: string;
      }[];
      const t = torrents[0];
      if (!t) throw new Error('qbittorrent: no torrent');
      // Still checking the files it was given: not done yet, whatever `progress` says.
      const checking = /^checking|^moving|^metaDL/.test(t.state);
      return {
        done: checking ? Math.min(t.progress, 0.999) : t.progress,
        uploaded: t.uploaded,
        peers: t.num_seeds + t.num_leechs,
      };
    },
    output: () => child.output(),
    stop: () => child.stop(),
  };
}

export interface ExternalTracker {
  readonly announceUrl: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * opentracker as Debian builds it: with a whitelist (it tracks only the info-hashes it lists),
 * chrooted into its folder.
 */
export async function startOpentracker(
  binary: string,
  dir: string,
  host: string,
  infoHashesHex: readonly string[],
): Promise<ExternalTracker> {
  const folder = join(dir, 'opentracker');
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'whitelist'), `${infoHashesHex.join('\n')}\n`);
  const port = await freePort(host);
  const child = new Child(
    binary,
    ['-i', host, '-p', String(port), '-P', String(port), '-d', folder, '-w', './whitelist'],
    folder,
  );
  const announceUrl = `http://${host}:${port}/announce`;
  await waitFor(
    async () =>
      (await fetch(`http://${host}:${port}/stats`).catch(() => undefined)) ? true : undefined,
    10_000,
    'opentracker listening',
    () => child.output(),
  );
  return { announceUrl, output: () => child.output(), stop: () => child.stop() };
}
