/**
 * One Napster world as `p2pkit sim napster` runs it: a server and N clients in the simulator,
 * each sharing its library; then a stream of searches from random clients, then a few
 * downloads straight between peers (pushed when the uploader is firewalled). The result object
 * is the CLI's JSON contract (issue 14), and `p2pkit compare` can feed it the same workload as
 * the other protocols: `items` to store and `keys` to look up.
 */
import { createRandom, type Random } from '@p2pkit/core';
import { constant, Distribution, type SimHost, Simulation } from '@p2pkit/sim';
import {
  createNapsterClient,
  type NapsterClient,
  type SearchResult,
  type SharedFileInfo,
} from '../client.js';
import { createNapsterServer } from '../server.js';
import { MusicLibrary } from './library.js';
import { nameSeed, SyntheticFolder, syntheticByte } from './synthetic.js';

export interface SimulateOptions {
  /** Connected clients. */
  clients: number;
  /** Files each client shares, drawn from the synthetic music library (default 100). */
  filesPerClient?: number;
  /** Searches, from random clients (default 1000). */
  searches?: number;
  /** Downloads after the searches, between random peers (default 10). */
  downloads?: number;
  /** Fraction of clients behind a firewall (data port 0; default 0.25). */
  firewalled?: number;
  /**
   * Fraction of the clients that crash after sharing, before the searches (default 0): the
   * server sees their connections reset and drops their files; searches and downloads come
   * from the survivors.
   */
  fail?: number;
  seed?: number;
  /** One-way delay in ms (default 25, the simulator's). */
  latencyMs?: number;
  /** Searches per simulated second, all clients together (default 100). */
  searchRate?: number;
  /** Upload and download capacity of a client in bytes/s (default 1 MB/s; the server: 1 GB/s). */
  clientBandwidth?: number;
  /** Share these names instead (one `<item>.mp3` per item, spread round-robin over the clients). */
  items?: readonly string[];
  /** Search for these instead of phrases drawn from the library (cycled). */
  keys?: readonly string[];
  /** Called now and then with (searches done, searches total). */
  onProgress?: (done: number, total: number) => void;
}

export interface SimulateResult {
  clients: number;
  files: number;
  searches: number;
  /** Searches that found at least one file. */
  successRate: number;
  /** Results per search, mean. */
  meanResults: number;
  /** Simulated time from sending a search to its 202. */
  searchLatencyMs: ReturnType<Distribution['summary']>;
  /** Overlay hops per search: always 1 (client → server). */
  hops: number;
  /** Messages the server received and sent per search (the search, its 201s, the 202). */
  serverMessagesPerSearch: number;
  serverBytesPerSearch: number;
  /**
   * Every message of a lookup, counted network-wide: the same as the server's per search (the
   * search, its 201s and the 202 all cross the server's link, nothing else is sent), under the
   * names the other protocols' simulations use.
   */
  messagesPerLookup: number;
  bytesPerLookup: number;
  /** The server's index, estimated from its structures, and per file. */
  serverIndexBytes: number;
  serverIndexBytesPerFile: number;
  downloads: {
    requested: number;
    completed: number;
    pushed: number;
    failed: number;
    bytes: number;
  };
  /** Clients crashed before the searches (`fail`). */
  crashed: number;
  /** Files still indexed when the searches start (after the crashes). */
  filesAfterCrash: number;
  /** What a client holds to find anything: its one connection to the server. */
  clientRoutingEntries: number;
  /** That entry's bytes: the server's `host:port`, as the metaserver's line gives it. */
  clientRoutingBytes: number;
  /** Routing state per client, in the shape the other protocols' simulations use. */
  memoryPerNode: { entries: number; bytes: number };
  /** Simulated time until every client had logged in and its files were indexed. */
  loginMs: number;
  simulatedMs: number;
  events: number;
  wallMs: number;
  seed: number;
}

const SERVER_PORT = 8888;

export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const wall0 = performance.now();
  const seed = options.seed ?? 1;
  const n = options.clients;
  const perClient = options.filesPerClient ?? 100;
  const searches = options.searches ?? 1000;
  const downloads = options.downloads ?? 10;
  const bandwidth = options.clientBandwidth ?? 1_000_000;
  const random = createRandom(seed);
  const sim = new Simulation({
    seed,
    latency: constant(options.latencyMs ?? 25),
    upload: bandwidth,
    download: bandwidth,
  });
  const drive = async <T>(promise: Promise<T>, timeoutMs = 3_600_000): Promise<T> => {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await sim.runUntil(() => settled, { timeoutMs });
    return promise;
  };

  const serverHost = sim.addHost({ upload: 1e9, download: 1e9 });
  const server = createNapsterServer({
    runtime: serverHost,
    port: SERVER_PORT,
    maxShares: Math.max(5000, perClient),
  });
  await drive(server.start());

  // Libraries: the music library's songs, or the caller's items.
  // The catalogue scales with the world (a third as many songs as shared files), so that what
  // people look for is mostly out there, as on Napster; the popular songs are everywhere.
  const music = options.items
    ? undefined
    : new MusicLibrary({ seed, songs: Math.max(50, Math.round((n * perClient) / 3)) });
  const libraries: SharedFileInfo[][] = Array.from({ length: n }, () => []);
  if (options.items) {
    options.items.forEach((item, i) => {
      libraries[i % n]!.push({ filename: `${item}.mp3`, size: 1 + (nameSeed(item) % 4_000_000) });
    });
  } else {
    for (let c = 0; c < n; c++) {
      // Two songs may carry the same name (same artist, same title words): a user shares it once.
      const byName = new Map<string, SharedFileInfo>();
      for (const id of music!.userSongs(perClient, random.fork(`library:${c}`))) {
        const file = music!.songFile(id);
        if (!byName.has(file.filename)) byName.set(file.filename, file);
      }
      libraries[c] = [...byName.values()];
    }
  }
  const files = libraries.reduce((sum, l) => sum + l.length, 0);

  // Clients log in within the first second, in random order, and share.
  const firewalledFraction = options.firewalled ?? 0.25;
  const clients: NapsterClient[] = [];
  const hosts: SimHost[] = [];
  const connects: Promise<void>[] = [];
  for (let c = 0; c < n; c++) {
    const firewalled = random.float() < firewalledFraction;
    const host = sim.addHost({ firewalled });
    hosts.push(host);
    const client = createNapsterClient({
      runtime: host,
      server: { host: serverHost.host, port: SERVER_PORT },
      nick: `user${c}`,
      firewalled,
      linkType: 1 + random.int(10),
      folder: new SyntheticFolder(libraries[c]!),
      requestTimeoutMs: 120_000,
    });
    clients.push(client);
    const delay = random.float() * 1000;
    connects.push(
      new Promise<void>((resolve, reject) => {
        sim.after(delay, () =>
          client
            .connect()
            .then(() => client.share(libraries[c]))
            .then(() => resolve(), reject),
        );
      }),
    );
  }
  await drive(Promise.all(connects));
  await sim.runUntil(() => server.stats().files === files, { timeoutMs: 3_600_000 });
  const loginMs = sim.now;

  // Crashes: the server learns of them from the resets, and forgets their files.
  const alive = clients.map(() => true);
  const crashCount = Math.floor((options.fail ?? 0) * n);
  if (crashCount > 0) {
    const order = random.fork('fail').shuffle([...clients.keys()]);
    for (const c of order.slice(0, crashCount)) {
      alive[c] = false;
      sim.crash(hosts[c]!);
    }
    await sim.runUntil(() => server.stats().users === n - crashCount, { timeoutMs: 600_000 });
  }
  const survivors = clients.filter((_, c) => alive[c]);
  const filesAfterCrash = server.stats().files;

  // Searches: a Poisson stream from random clients.
  const before = server.stats();
  const latency = new Distribution('search latency');
  let found = 0;
  let results = 0;
  let done = 0;
  const rate = options.searchRate ?? 100;
  const phrase = (i: number, r: Random) =>
    options.keys ? options.keys[i % options.keys.length]! : music!.searchPhrase(r);
  const pending: Promise<void>[] = [];
  let at = 0;
  const searchRandom = random.fork('searches');
  for (let i = 0; i < searches; i++) {
    at += searchRandom.exponential(1000 / rate);
    const client = survivors[searchRandom.int(survivors.length)]!;
    const words = phrase(i, searchRandom);
    pending.push(
      new Promise<void>((resolve) => {
        sim.after(at, () => {
          const start = sim.now;
          client
            .search(words)
            .then(
              (list) => {
                latency.record(sim.now - start);
                if (list.length > 0) found++;
                results += list.length;
              },
              () => {},
            )
            .finally(() => {
              done++;
              if (done % 100 === 0 || done === searches) options.onProgress?.(done, searches);
              resolve();
            });
        });
      }),
    );
  }
  await drive(Promise.all(pending));
  const after = server.stats();
  const messages = after.messagesIn + after.messagesOut - before.messagesIn - before.messagesOut;
  const bytes = after.bytesIn + after.bytesOut - before.bytesIn - before.bytesOut;

  // Downloads: a client searches, then fetches the first result that is not its own.
  const dl = { requested: 0, completed: 0, pushed: 0, failed: 0, bytes: 0 };
  const dlRandom = random.fork('downloads');
  for (let i = 0; i < downloads; i++) {
    const client = survivors[dlRandom.int(survivors.length)]!;
    const list: SearchResult[] = await drive(client.search(phrase(searches + i, dlRandom))).catch(
      () => [],
    );
    const target = list[0];
    if (!target) continue;
    dl.requested++;
    const seedOfName = nameSeed(target.filename);
    let position = 0;
    let intact = true;
    try {
      const result = await drive(
        client.download(target, {
          onData: (chunk) => {
            for (let j = 0; j < chunk.length; j++) {
              if (chunk[j] !== syntheticByte(seedOfName, position + j)) intact = false;
            }
            position += chunk.length;
          },
        }),
      );
      if (!intact || position !== target.size) throw new Error('corrupt download');
      dl.completed++;
      dl.bytes += position;
      if (result.mode === 'push') dl.pushed++;
    } catch {
      dl.failed++;
    }
  }

  const simulatedMs = sim.now;
  const indexBytes = server.indexBytes();
  for (const client of survivors) await drive(client.stop());
  await drive(server.stop());
  const summary = latency.summary();
  const routingBytes = new TextEncoder().encode(`${serverHost.host}:${SERVER_PORT}`).length;
  const perSearch = (total: number) => (searches === 0 ? 0 : total / searches);
  return {
    clients: n,
    files,
    searches,
    successRate: searches === 0 ? 0 : found / searches,
    meanResults: searches === 0 ? 0 : results / searches,
    searchLatencyMs: summary,
    hops: 1,
    serverMessagesPerSearch: perSearch(messages),
    serverBytesPerSearch: perSearch(bytes),
    messagesPerLookup: perSearch(messages),
    bytesPerLookup: perSearch(bytes),
    serverIndexBytes: indexBytes,
    serverIndexBytesPerFile: files === 0 ? 0 : indexBytes / files,
    downloads: dl,
    crashed: crashCount,
    filesAfterCrash,
    clientRoutingEntries: 1,
    clientRoutingBytes: routingBytes,
    memoryPerNode: { entries: 1, bytes: routingBytes },
    loginMs,
    simulatedMs,
    events: sim.eventCount,
    wallMs: Math.round(performance.now() - wall0),
    seed,
  };
}
