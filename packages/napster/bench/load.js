/**
 * The benchmark's load generator: N raw Napster clients over node:net (no protocol library on
 * this side, so that the generator costs as little CPU as it can): logins, shares from the
 * synthetic music library, then searches sent open-loop at a fixed rate, each timed from its
 * write to its 202. Forked by scale.js.
 */
import net from 'node:net';
import { createRandom } from '@p2pkit/core';
import { Distribution } from '@p2pkit/sim';
import { encodeClientMessage } from '../dist/index.js';
import { MusicLibrary } from '../dist/scenarios/index.js';

const LOGIN_ACK = 3;
const RESULT = 201;
const END = 202;
const ERROR404 = 404;

class Client {
  constructor(socket) {
    this.socket = socket;
    this.pending = [];
    // A frame's header may straddle two chunks: its bytes so far, then the data left to skip.
    this.header = new Uint8Array(4);
    this.headerFill = 0;
    this.skip = 0;
    this.loggedIn = undefined;
    this.results = 0;
    socket.on('data', (chunk) => this.onData(chunk));
  }

  /** Reads frame headers and skips their data in place (no copy of the chunks). */
  onData(chunk) {
    const n = chunk.length;
    let at = 0;
    while (at < n) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, n - at);
        this.skip -= take;
        at += take;
        continue;
      }
      let length;
      let type;
      if (this.headerFill === 0 && n - at >= 4) {
        length = chunk[at] | (chunk[at + 1] << 8);
        type = chunk[at + 2] | (chunk[at + 3] << 8);
        at += 4;
      } else {
        while (this.headerFill < 4 && at < n) this.header[this.headerFill++] = chunk[at++];
        if (this.headerFill < 4) break;
        this.headerFill = 0;
        const h = this.header;
        length = h[0] | (h[1] << 8);
        type = h[2] | (h[3] << 8);
      }
      if (type === RESULT) this.results++;
      else if (type === END) stats.end(this.pending.shift());
      else if (type === LOGIN_ACK) this.loggedIn?.();
      else if (type === ERROR404) stats.errors++;
      this.skip = length;
    }
  }
}

const stats = {
  latency: new Distribution('search latency'),
  completed: 0,
  results: 0,
  errors: 0,
  recording: false,
  end(sentAt) {
    if (!this.recording || sentAt === undefined) return;
    this.latency.record(performance.now() - sentAt);
    this.completed++;
  },
};

let clients = [];
let library;
const songCache = new Map();
const song = (id) => {
  let f = songCache.get(id);
  if (!f) songCache.set(id, (f = library.songFile(id)));
  return f;
};

async function connect({ port, clients: n, files }) {
  library = new MusicLibrary({ seed: 1, songs: Math.max(50, Math.round((n * files) / 3)) });
  const started = performance.now();
  clients = await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        new Promise((resolve, reject) => {
          const socket = net.connect({ host: '127.0.0.1', port }, () => {
            const c = new Client(socket);
            c.loggedIn = () => resolve(c);
            socket.write(
              encodeClientMessage({
                kind: 'login',
                nick: `user${i}`,
                password: 'p',
                port: 0,
                clientInfo: 'p2pkit bench',
                linkType: 1 + (i % 10),
              }),
            );
          });
          socket.setNoDelay(true);
          socket.on('error', reject);
        }),
    ),
  );
  const loginMs = performance.now() - started;
  for (const [i, c] of clients.entries()) {
    const frames = library
      .userSongs(files, createRandom(`library:${i}`))
      .map((id) => encodeClientMessage({ kind: 'share', ...song(id) }));
    c.socket.write(Buffer.concat(frames));
  }
  return { loginMs, sentMs: performance.now() - started };
}

/**
 * Sends `rate` searches per second for `seconds`, open-loop; then waits for the stragglers.
 * `pipeline` > 1 sends that many searches at once on one connection (one write, as a client
 * with several searches outstanding would), so that socket writes are shared on both sides.
 */
async function search({ rate, seconds, warmup = 1, pipeline = 1 }) {
  const random = createRandom('searches');
  const pool = Array.from({ length: 20_000 }, () =>
    encodeClientMessage({
      kind: 'search',
      query: `FILENAME CONTAINS "${library.searchPhrase(random)}" MAX_RESULTS 100`,
    }),
  );
  let sent = 0;
  const run = (duration, record) =>
    new Promise((resolve) => {
      stats.recording = record;
      const start = performance.now();
      let done = 0;
      const tick = () => {
        const now = performance.now();
        const due = Math.min(rate * ((now - start) / 1000), rate * duration);
        while (done < due) {
          const c = clients[random.int(clients.length)];
          const at = performance.now();
          if (pipeline === 1) {
            c.pending.push(at);
            c.socket.write(pool[(sent + done) % pool.length]);
          } else {
            const batch = [];
            for (let k = 0; k < pipeline; k++) {
              c.pending.push(at);
              batch.push(pool[(sent + done + k) % pool.length]);
            }
            c.socket.write(Buffer.concat(batch));
          }
          done += pipeline;
        }
        // A 1 ms timer, not setImmediate: a generator that spins takes a core from the server
        // (2 cores here); what falls due meanwhile goes out at the next tick.
        if (now - start < duration * 1000) setTimeout(tick, 1);
        else resolve(done);
      };
      tick();
    });
  await run(warmup, false);
  await new Promise((r) => setTimeout(r, 500));
  const resultsBefore = clients.reduce((n, c) => n + c.results, 0);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  sent = await run(seconds, true);
  const sendMs = performance.now() - t0;
  // Stragglers: up to 10 s more.
  const deadline = performance.now() + 10_000;
  while (stats.completed < sent && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const results = clients.reduce((n, c) => n + c.results, 0) - resultsBefore;
  return {
    offered: rate,
    pipeline,
    sent,
    completed: stats.completed,
    // Throughput while offering: what came back during the sending window and after it.
    searchesPerSecond: stats.completed / (Math.max(sendMs, elapsedMs) / 1000),
    sendMs,
    elapsedMs,
    meanResults: results / Math.max(1, stats.completed),
    errors: stats.errors,
    generatorCpuMs: (cpu.user + cpu.system) / 1000,
    latencyMs: stats.latency.summary(),
  };
}

process.on('message', async (m) => {
  if (m.type === 'connect') process.send({ type: 'connected', ...(await connect(m)) });
  else if (m.type === 'search') {
    stats.latency = new Distribution('search latency');
    stats.completed = 0;
    process.send({ type: 'searched', ...(await search(m)) });
  } else if (m.type === 'stop') {
    for (const c of clients) c.socket.destroy();
    process.exit(0);
  }
});
process.send({ type: 'ready' });
