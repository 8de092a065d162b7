// RPC round trips per second: over loopback UDP and TCP (real sockets, realRuntime), and over the
// in-memory network (no sockets: the cost of the RPC layer itself, what the simulator pays).
// Each case keeps `window` requests in flight for a fixed wall time and counts completions;
// window 1 gives the sequential round-trip latency.
import { createDatagramRpc, createMemoryNetwork, createStreamRpc } from '../dist/index.js';
import { realRuntime } from '../dist/node/index.js';
import { row } from './lib.js';

export const name = 'rpc';

const DURATION_MS = Number(process.env.RPC_BENCH_MS ?? 1500);
const PING = 1;
const body = new Uint8Array(32);
const id = new Uint8Array(20).fill(7);

/** Runs `window` request loops for DURATION_MS (after a short warm-up); returns round trips/s. */
async function measure(request, window) {
  const loop = async (until) => {
    let n = 0;
    while (performance.now() < until) {
      await request();
      n++;
    }
    return n;
  };
  const warm = performance.now() + 200;
  await Promise.all(Array.from({ length: window }, () => loop(warm)));
  const start = performance.now();
  const counts = await Promise.all(Array.from({ length: window }, () => loop(start + DURATION_MS)));
  const elapsed = performance.now() - start;
  return (counts.reduce((a, b) => a + b, 0) / elapsed) * 1000;
}

async function udp(rows) {
  const runtime = realRuntime();
  const server = await createDatagramRpc({ runtime, self: { id }, maxConcurrentHandlers: 1024 });
  const client = await createDatagramRpc({ runtime, self: { id } });
  server.handle(PING, (r) => r.body);
  const request = () => client.request(server.address, PING, body);
  for (const window of [1, 64]) {
    const rate = await measure(request, window);
    rows.push(
      row(name, `UDP loopback, ${window} in flight`, rate, 'round trips/s', latency(rate, window)),
    );
  }
  await Promise.all([server.close(), client.close()]);
  await runtime.close();
}

async function tcp(rows) {
  const runtime = realRuntime();
  let serverRpc;
  const listener = await runtime.net.listen({}, (connection) => {
    serverRpc = createStreamRpc({ runtime, connection, self: { id }, maxConcurrentHandlers: 1024 });
    serverRpc.handle(PING, (r) => r.body);
  });
  const connection = await runtime.net.dial(listener.address);
  const client = createStreamRpc({ runtime, connection, self: { id } });
  const request = () => client.request(PING, body);
  for (const window of [1, 64]) {
    const rate = await measure(request, window);
    rows.push(
      row(name, `TCP loopback, ${window} in flight`, rate, 'round trips/s', latency(rate, window)),
    );
  }
  await client.close();
  await listener.close();
  await runtime.close();
}

async function memory(rows) {
  // Real clock for the timeouts (they must not fire), in-memory delivery.
  const clockRuntime = realRuntime();
  const hub = createMemoryNetwork({ clock: clockRuntime.clock });
  const server = await createDatagramRpc({
    runtime: hub.runtime('10.0.0.1'),
    self: { id },
    maxConcurrentHandlers: 1024,
  });
  const client = await createDatagramRpc({ runtime: hub.runtime('10.0.0.2'), self: { id } });
  server.handle(PING, (r) => r.body);
  const request = () => client.request(server.address, PING, body);
  for (const window of [1, 256]) {
    const rate = await measure(request, window);
    rows.push(
      row(
        name,
        `memory network, ${window} in flight`,
        rate,
        'round trips/s',
        'RPC layer cost, no sockets',
      ),
    );
  }
  await Promise.all([server.close(), client.close()]);
  await clockRuntime.close();
}

function latency(rate, window) {
  return `${((window / rate) * 1e6).toFixed(0)} µs per round trip`;
}

export async function run() {
  const rows = [];
  await udp(rows);
  await tcp(rows);
  await memory(rows);
  return rows;
}
