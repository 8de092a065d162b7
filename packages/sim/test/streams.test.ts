import { type Connection, isP2PError } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { latency, type SimHost, Simulation } from '../src/index.js';

const MB = 1_000_000;

/** Serves on `host`: counts bytes per connection, records when each one ends. */
async function sink(host: SimHost, port = 6000) {
  const done: { bytes: number; at: number; from: string }[] = [];
  const chunks: number[] = [];
  await host.net.listen({ port }, (connection) => {
    let bytes = 0;
    connection.on('data', (chunk) => {
      bytes += chunk.length;
      chunks.push(chunk.length);
    });
    connection.once('end', () => {
      done.push({ bytes, at: host.clock.now(), from: connection.remoteAddress.host });
      connection.end();
    });
  });
  return { done, chunks };
}

/** Dials `to` from `from` and writes `bytes` bytes honouring backpressure, then ends. */
async function send(
  from: SimHost,
  to: SimHost,
  bytes: number,
  chunk = 64 * 1024,
): Promise<Connection> {
  const connection = await from.net.dial({ host: to.host, port: 6000 });
  let sent = 0;
  while (sent < bytes) {
    const n = Math.min(chunk, bytes - sent);
    sent += n;
    if (!connection.write(new Uint8Array(n).fill(sent & 255))) {
      await new Promise<void>((resolve) => connection.once('drain', resolve));
    }
  }
  connection.end();
  return connection;
}

describe('stream bandwidth model', () => {
  it('one transfer takes size / upload + latency (serialization delay)', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(10), upload: 1 * MB });
    const [a, b] = sim.addHosts(2);
    const { done } = await sink(b!);
    sim.at(0, () => send(a!, b!, 1 * MB));
    await sim.run();
    expect(done).toHaveLength(1);
    expect(done[0]!.bytes).toBe(1 * MB);
    // Dial: SYN 10 ms + SYN-ACK 10 ms; then 1 s of serialization; then 10 ms to arrive.
    expect(done[0]!.at).toBeCloseTo(20 + 1000 + 10, 3);
  });

  it('concurrent uploads of one host share its capacity fairly', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(10), upload: 1 * MB });
    const [a, ...peers] = sim.addHosts(5);
    const sinks = await Promise.all(peers.map((p) => sink(p)));
    sim.at(0, () => Promise.all(peers.map((p) => send(a!, p, 500_000))));
    await sim.run();
    const ends = sinks.map((s) => s.done[0]!.at);
    // 4 × 0.5 MB through 1 MB/s: about 2 s for everyone, within a few segment times.
    for (const t of ends) {
      expect(t).toBeGreaterThan(2000);
      expect(t).toBeLessThan(2000 + 30 + 4 * 17);
    }
  });

  it("a receiver's download capacity is shared by its senders (FIFO downlink)", async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(10) });
    const b = sim.addHost({ download: 1 * MB });
    const senders = sim.addHosts(2);
    const { done } = await sink(b);
    sim.at(0, () => Promise.all(senders.map((s) => send(s, b, 1 * MB))));
    await sim.run();
    expect(done).toHaveLength(2);
    const last = Math.max(...done.map((d) => d.at));
    expect(last).toBeGreaterThan(2000);
    expect(last).toBeLessThan(2100);
  });

  it('hosts with different upload rates finish in proportion (heterogeneous peers)', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(5) });
    const slow = sim.addHost({ upload: 100_000 });
    const fast = sim.addHost({ upload: 400_000 });
    const dst = sim.addHost();
    const { done } = await sink(dst);
    sim.at(0, () => Promise.all([send(slow, dst, 400_000), send(fast, dst, 400_000)]));
    await sim.run();
    const bySender = new Map(done.map((d) => [d.from, d.at]));
    expect(bySender.get(slow.host)!).toBeCloseTo(10 + 4000 + 5, 0);
    expect(bySender.get(fast.host)!).toBeCloseTo(10 + 1000 + 5, 0);
  });

  it('the flow-control window caps a connection at window / RTT', async () => {
    const sim = new Simulation({
      seed: 1,
      latency: latency.constant(50),
      streams: { window: 64 * 1024 },
    });
    const [a, b] = sim.addHosts(2);
    const { done } = await sink(b!);
    sim.at(0, () => send(a!, b!, 16 * 64 * 1024));
    await sim.run();
    // 16 windows, one round trip (100 ms) each, after a 100 ms handshake.
    expect(done[0]!.at).toBeGreaterThan(100 + 15 * 100);
    expect(done[0]!.at).toBeLessThan(100 + 17 * 100);
  });

  it('coalesces small writes into segment-sized chunks; coalesce: false never merges writes', async () => {
    for (const coalesce of [true, false]) {
      const sim = new Simulation({ seed: 1, upload: 100_000, streams: { coalesce } });
      const [a, b] = sim.addHosts(2);
      const { chunks, done } = await sink(b!);
      sim.at(0, async () => {
        const c = await a!.net.dial({ host: b!.host, port: 6000 });
        for (let i = 0; i < 1000; i++) c.write(new Uint8Array(100));
        c.end();
      });
      await sim.run();
      expect(done[0]!.bytes).toBe(100_000);
      if (coalesce) expect(Math.max(...chunks)).toBe(16 * 1024);
      // Without coalescing, chunks are views of the writes (split only at segment boundaries).
      else expect(chunks.every((n) => n <= 100) && chunks.length >= 1000).toBe(true);
    }
  });
});

describe('stream faults', () => {
  it("a crashed host's peers see a reset one latency later; dials to it time out", async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(20) });
    const [a, b] = sim.addHosts(2);
    let closed: { at: number; error?: Error } | undefined;
    await b!.net.listen({ port: 6000 }, (connection) => {
      connection.on('data', () => {});
      connection.once('close', (error) => {
        closed = { at: b!.clock.now(), error };
      });
    });
    sim.at(0, () => a!.net.dial({ host: b!.host, port: 6000 }));
    sim.at(100, () => a!.crash());
    await sim.run();
    expect(closed?.at).toBe(120);
    expect(isP2PError(closed?.error, 'ERR_CONNECTION_RESET')).toBe(true);
    let failure: unknown;
    sim.at(sim.now, async () => {
      await b!.net.dial({ host: a!.host, port: 1 }, { timeoutMs: 500 }).catch((e: unknown) => {
        failure = e;
      });
    });
    await sim.run();
    expect(isP2PError(failure, 'ERR_TIMEOUT')).toBe(true);
  });

  it('dialing an address no host has is ERR_HOST_UNREACHABLE', async () => {
    const sim = new Simulation({ seed: 1 });
    const a = sim.addHost();
    await expect(a.net.dial({ host: '10.9.9.9', port: 80 })).rejects.toMatchObject({
      code: 'ERR_HOST_UNREACHABLE',
    });
  });

  it('a partition stalls stream traffic (nothing lost); it flows again after heal', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(10) });
    const [a, b] = sim.addHosts(2);
    const received: [number, number][] = [];
    await b!.net.listen({ port: 6000 }, (connection) => {
      connection.on('data', (chunk) => {
        for (const byte of chunk) received.push([byte, b!.clock.now()]);
      });
    });
    let connection: Connection | undefined;
    sim.at(0, async () => {
      connection = await a!.net.dial({ host: b!.host, port: 6000 });
    });
    sim.at(50, () => sim.partition([a!], [b!]));
    sim.at(60, () => connection!.write(new Uint8Array([1])));
    sim.at(70, () => connection!.write(new Uint8Array([2])));
    sim.at(1_000, () => sim.heal());
    await sim.run();
    expect(received).toEqual([
      [1, 1010],
      [2, 1010],
    ]);
  });

  it('a dial across a partition completes after heal if its timeout allows', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(10) });
    const [a, b] = sim.addHosts(2);
    await b!.net.listen({ port: 6000 }, () => {});
    let openedAt = -1;
    sim.partition([a!], [b!]);
    sim.at(0, async () => {
      await a!.net.dial({ host: b!.host, port: 6000 }, { timeoutMs: 5_000 });
      openedAt = a!.clock.now();
    });
    sim.at(300, () => sim.heal());
    await sim.run();
    expect(openedAt).toBe(320);
  });

  it('hold keeps a connection’s bytes in order and delivers them on release', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.jitter(latency.constant(10), 8) });
    const [a, b] = sim.addHosts(2);
    const got: number[] = [];
    await b!.net.listen({ port: 6000 }, (c) => c.on('data', (chunk) => got.push(...chunk)));
    sim.at(0, async () => {
      const c = await a!.net.dial({ host: b!.host, port: 6000 });
      for (let i = 0; i < 50; i++) {
        if (i === 20) sim.hold(a!, b!);
        c.write(new Uint8Array([i]));
        await a!.clock.sleep(3);
      }
      sim.release(a!, b!);
    });
    await sim.run();
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('counts stream traffic per host and per message type (classifier)', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.metrics.classify((bytes) => (bytes[0] === 7 ? 'piece' : 'other'));
    const [a, b] = sim.addHosts(2);
    await sink(b!);
    sim.at(0, async () => {
      const c = await a!.net.dial({ host: b!.host, port: 6000 });
      c.write(new Uint8Array([7, 0, 0, 0]));
      c.write(new Uint8Array([7, 1]));
      c.write(new Uint8Array([1]));
      c.end();
    });
    await sim.run();
    const traffic = sim.metrics.host(a!.index);
    expect(traffic.streams.sent).toEqual({ messages: 3, bytes: 7 });
    expect(traffic.byType.get('piece')?.sent).toEqual({ messages: 2, bytes: 6 });
    expect(sim.metrics.host(b!.index).streams.received.bytes).toBe(7);
  });

  it('async data handlers finish before virtual time moves on (finite bandwidth too)', async () => {
    const sim = new Simulation({
      seed: 1,
      latency: latency.uniform(5, 15),
      upload: 50_000,
      download: 80_000,
    });
    const [a, b] = sim.addHosts(2);
    const lags: number[] = [];
    await b!.net.listen({ port: 6000 }, (connection) => {
      connection.on('data', async () => {
        const arrived = b!.clock.now();
        for (let i = 0; i < 100; i++) await null;
        lags.push(b!.clock.now() - arrived);
      });
    });
    sim.at(0, () => send(a!, b!, 200_000));
    await sim.run();
    expect(lags.length).toBeGreaterThan(10);
    expect(lags.every((lag) => lag === 0)).toBe(true);
  });
});
