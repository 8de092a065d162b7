import {
  type Connection,
  createDatagramRpc,
  createStreamRpc,
  HashRing,
  type RpcResponse,
} from '@p2pkit/core';
import { realRuntime } from '@p2pkit/core/node';
import type { TourRow, TourStep } from './run.js';

const PING = 1;
const ROUND_TRIPS = 200;
const encoder = new TextEncoder();

/** Consistent hashing: how evenly keys spread, and how few move when a member leaves. */
export const hashRingStep: TourStep = {
  protocol: 'core',
  title: 'hash ring',
  async run() {
    const nodes = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'];
    const ring = new HashRing<string>({ virtualNodes: 100 });
    for (const node of nodes) ring.add(node);
    const keys = Array.from({ length: 10_000 }, (_, i) => `key-${i}`);
    const before = keys.map((key) => ring.owner(key));
    const counts = [...ring.keyCounts(keys).values()];
    ring.remove('node-c');
    const after = keys.map((key) => ring.owner(key));
    let moved = 0;
    let movedFromOthers = 0;
    for (let i = 0; i < keys.length; i++) {
      if (before[i] === after[i]) continue;
      moved++;
      if (before[i] !== 'node-c') movedFromOthers++;
    }
    const share = (n: number) => `${((100 * n) / keys.length).toFixed(1)}%`;
    return [
      {
        protocol: 'core',
        what: `hash ring: ${keys.length} keys on ${nodes.length} nodes x 100 vnodes`,
        result: `${share(Math.min(...counts))}..${share(Math.max(...counts))} per node; "hello" -> ${ring.owner('hello')}`,
      },
      {
        protocol: 'core',
        what: 'hash ring: node-c leaves',
        result: `${moved} keys moved (${share(moved)}), ${movedFromOthers} from other nodes`,
      },
    ];
  },
};

/** One request/response over UDP and over TCP on 127.0.0.1, with the median round trip. */
export const rpcStep: TourStep = {
  protocol: 'core',
  title: 'RPC round trip',
  async run(signal) {
    const runtime = realRuntime({ host: '127.0.0.1' });
    try {
      return [await udpRow(runtime, signal), await tcpRow(runtime, signal)];
    } finally {
      await runtime.close();
    }
  },
};

type Runtime = ReturnType<typeof realRuntime>;

async function udpRow(runtime: Runtime, signal: AbortSignal): Promise<TourRow> {
  const id = encoder.encode('tour');
  const server = await createDatagramRpc({ runtime, self: { id } });
  const client = await createDatagramRpc({ runtime, self: { id } });
  try {
    server.handle(PING, (request) => request.body);
    const median = await medianRoundTrip(runtime, () =>
      client.request(server.address, PING, encoder.encode('ping'), { signal }),
    );
    return {
      protocol: 'core',
      what: `RPC over UDP ${client.address.host}:${client.address.port} -> :${server.address.port}`,
      result: `median ${micros(median)} over ${ROUND_TRIPS} round trips`,
    };
  } finally {
    await Promise.all([client.close(), server.close()]);
  }
}

async function tcpRow(runtime: Runtime, signal: AbortSignal): Promise<TourRow> {
  const id = encoder.encode('tour');
  let serverClosed: Promise<void> = Promise.resolve();
  const listener = await runtime.net.listen({}, (connection: Connection) => {
    const server = createStreamRpc({ runtime, connection, self: { id } });
    server.handle(PING, (request) => request.body);
    serverClosed = new Promise((resolve) => server.on('close', () => resolve()));
  });
  try {
    const connection = await runtime.net.dial(listener.address, { signal });
    const client = createStreamRpc({ runtime, connection, self: { id } });
    try {
      const median = await medianRoundTrip(runtime, () =>
        client.request(PING, encoder.encode('ping'), { signal }),
      );
      return {
        protocol: 'core',
        what: `RPC over TCP ${client.localAddress.host}:${client.localAddress.port} -> :${listener.address.port}`,
        result: `median ${micros(median)} over ${ROUND_TRIPS} round trips`,
      };
    } finally {
      await client.close();
      await serverClosed;
    }
  } finally {
    await listener.close();
  }
}

async function medianRoundTrip(
  runtime: Runtime,
  request: () => Promise<RpcResponse>,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const start = runtime.clock.now();
    await request();
    times.push(runtime.clock.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

function micros(ms: number): string {
  return `${Math.round(ms * 1000)} µs`;
}

export const coreSteps: readonly TourStep[] = [hashRingStep, rpcStep];
