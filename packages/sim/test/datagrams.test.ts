import type { Address } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import {
  HostCrashedError,
  latency,
  type SimDatagramSocket,
  type SimHost,
  Simulation,
} from '../src/index.js';

/** Binds a recorder on `host`: every datagram with its arrival time. */
async function recorder(host: SimHost, port = 5000) {
  const got: { t: number; data: Uint8Array; from: Address }[] = [];
  const socket = await host.net.bind({ port }, (data, from) =>
    got.push({ t: host.clock.now(), data, from }),
  );
  return { socket, got };
}

describe('datagrams', () => {
  it('arrive after the link latency, a copy of what was sent, from the sender bound address', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(30) });
    const [a, b] = sim.addHosts(2);
    const { got } = await recorder(b!);
    const out = await a!.net.bind({}, () => {});
    const payload = new Uint8Array([1, 2, 3]);
    sim.at(100, () => out.send(payload, { host: b!.host, port: 5000 }));
    await sim.run();
    expect(got).toHaveLength(1);
    expect(got[0]!.t).toBe(130);
    expect([...got[0]!.data]).toEqual([1, 2, 3]);
    expect(got[0]!.data).not.toBe(payload); // the network copies, as UDP does
    expect(got[0]!.from).toEqual(out.address);
    expect(a!.host).toBe('10.0.0.1');
    expect(b!.host).toBe('10.0.0.2');
  });

  it('transfer: the bytes handed over reach the receiver without a copy; a duplicate is a copy', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(10), duplicate: 1 });
    const [a, b] = sim.addHosts(2);
    const { got } = await recorder(b!);
    const out = await a!.net.bind({}, () => {});
    const handed = new Uint8Array([7, 8, 9]);
    const copied = new Uint8Array([1, 2, 3]);
    sim.at(0, () => {
      (out as SimDatagramSocket).send(handed, { host: b!.host, port: 5000 }, { transfer: true });
      out.send(copied, { host: b!.host, port: 5000 });
    });
    await sim.run();
    expect(got.map((g) => [...g.data])).toEqual([
      [7, 8, 9],
      [7, 8, 9],
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(got[0]!.data).toBe(handed); // zero-copy
    expect(got[1]!.data).not.toBe(handed); // the duplicate: its own bytes
    expect(got.slice(2).every((g) => g.data !== copied)).toBe(true);
  });

  it('several sockets on one host: each gets its port, a closed one drops, its port is free again', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(10) });
    const [a, b] = sim.addHosts(2);
    const r1 = await recorder(b!, 5001);
    const r2 = await recorder(b!, 5002);
    const r3 = await recorder(b!, 5003);
    const out = await a!.net.bind({}, () => {});
    const sendAll = (tag: number) => {
      for (const port of [5001, 5002, 5003])
        out.send(new Uint8Array([tag, port - 5000]), { host: b!.host, port });
    };
    sim.at(0, () => sendAll(1));
    sim.at(100, async () => {
      await r2.socket.close();
      sendAll(2);
    });
    await sim.run();
    const r2again = await recorder(b!, 5002);
    sim.at(sim.now, () => sendAll(3));
    await sim.run();
    const seen = (r: { got: { data: Uint8Array }[] }) => r.got.map((g) => [...g.data]);
    expect(seen(r1)).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(seen(r2)).toEqual([[1, 2]]);
    expect(seen(r2again)).toEqual([[3, 2]]);
    expect(seen(r3)).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(sim.metrics.drops.noSocket).toBe(1);
  });

  it('loss and duplication happen at their rates (seeded), counted in metrics.drops', async () => {
    const sim = new Simulation({ seed: 7, loss: 0.2, duplicate: 0.1 });
    const [a, b] = sim.addHosts(2);
    const { got } = await recorder(b!);
    const out = await a!.net.bind({}, () => {});
    const n = 10_000;
    sim.at(0, () => {
      for (let i = 0; i < n; i++)
        out.send(new Uint8Array([i & 255]), { host: b!.host, port: 5000 });
    });
    await sim.run();
    const { loss, duplicated } = sim.metrics.drops;
    expect(loss / n).toBeGreaterThan(0.18);
    expect(loss / n).toBeLessThan(0.22);
    expect(duplicated / (n - loss)).toBeGreaterThan(0.08);
    expect(duplicated / (n - loss)).toBeLessThan(0.12);
    expect(got.length).toBe(n - loss + duplicated);
    expect(sim.metrics.host(b!.index).datagrams.received.messages).toBe(got.length);
    expect(sim.metrics.host(a!.index).datagrams.sent.messages).toBe(n);
  });

  it('uniform latency reorders datagrams; each arrives within [min, max)', async () => {
    const sim = new Simulation({ seed: 3, latency: latency.uniform(10, 50) });
    const [a, b] = sim.addHosts(2);
    const { got } = await recorder(b!);
    const out = await a!.net.bind({}, () => {});
    sim.at(0, () => {
      for (let i = 0; i < 200; i++) out.send(new Uint8Array([i]), { host: b!.host, port: 5000 });
    });
    await sim.run();
    expect(got).toHaveLength(200);
    for (const { t } of got) {
      expect(t).toBeGreaterThanOrEqual(10);
      expect(t).toBeLessThan(50);
    }
    const order = got.map((g) => g.data[0]!);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));
  });

  it('partitions drop datagrams across the cut until heal; hold keeps them until release', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(10) });
    const [a, b, c] = sim.addHosts(3);
    const atB = await recorder(b!);
    const atC = await recorder(c!);
    const out = await a!.net.bind({}, () => {});
    const send = (to: SimHost, tag: number) =>
      out.send(new Uint8Array([tag]), { host: to.host, port: 5000 });
    sim.at(0, () => sim.partition([a!, c!], [b!]));
    sim.at(1, () => {
      send(b!, 1); // across the cut: dropped
      send(c!, 2); // same side: delivered
    });
    sim.at(100, () => sim.heal());
    sim.at(101, () => send(b!, 3));
    sim.at(200, () => sim.hold(a!, b!));
    sim.at(201, () => {
      send(b!, 4);
      send(b!, 5);
    });
    sim.at(500, () => sim.release(a!, b!));
    await sim.run();
    expect(atB.got.map((g) => [g.data[0], g.t])).toEqual([
      [3, 111],
      [4, 510],
      [5, 510],
    ]);
    expect(atC.got.map((g) => g.data[0])).toEqual([2]);
    expect(sim.metrics.drops.partition).toBe(1);
  });

  it('a crashed host drops what arrives, cannot send, and its restart binds again', async () => {
    const sim = new Simulation({ seed: 1 });
    const [a, b] = sim.addHosts(2);
    const atB = await recorder(b!);
    const out = await a!.net.bind({}, () => {});
    sim.at(0, () => out.send(new Uint8Array([1]), { host: b!.host, port: 5000 }));
    sim.at(1, () => b!.crash());
    await sim.run();
    expect(atB.got).toHaveLength(0);
    expect(sim.metrics.drops.crashed).toBe(1);
    expect(() => atB.socket.send(new Uint8Array([1]), out.address)).toThrow(HostCrashedError);
    const b2 = sim.restart(b!);
    const again = await recorder(b2);
    sim.at(sim.now, () => out.send(new Uint8Array([2]), { host: b2.host, port: 5000 }));
    await sim.run();
    expect(again.got.map((g) => g.data[0])).toEqual([2]);
  });

  it('unknown addresses and unbound ports lose datagrams silently (as UDP), counted', async () => {
    const sim = new Simulation({ seed: 1 });
    const [a, b] = sim.addHosts(2);
    const out = await a!.net.bind({}, () => {});
    out.send(new Uint8Array(1), { host: '192.0.2.1', port: 1 });
    out.send(new Uint8Array(1), { host: b!.host, port: 9 });
    await sim.run();
    expect(sim.metrics.drops.unreachable).toBe(1);
    expect(sim.metrics.drops.noSocket).toBe(1);
  });

  it('setLink overrides one link (latency, loss) and leaves the others alone', async () => {
    const sim = new Simulation({ seed: 1, latency: latency.constant(10) });
    const [a, b, c] = sim.addHosts(3);
    const atB = await recorder(b!);
    const atC = await recorder(c!);
    const out = await a!.net.bind({}, () => {});
    sim.setLink(a!, b!, { latency: 200 });
    sim.setLink(a!, c!, { loss: 1 });
    sim.at(0, () => {
      out.send(new Uint8Array(1), { host: b!.host, port: 5000 });
      out.send(new Uint8Array(1), { host: c!.host, port: 5000 });
    });
    await sim.run();
    expect(atB.got.map((g) => g.t)).toEqual([200]);
    expect(atC.got).toHaveLength(0);
    sim.setLink(a!, c!, null);
    sim.at(sim.now, () => out.send(new Uint8Array(1), { host: c!.host, port: 5000 }));
    await sim.run();
    expect(atC.got).toHaveLength(1);
  });
  it('custom addresses (even ones that look like another host’s default) resolve correctly', async () => {
    const sim = new Simulation({ seed: 1 });
    const odd = sim.addHost({ address: '10.0.0.3' }); // index 0, but looks like index 2's default
    const plain = sim.addHost(); // 10.0.0.2
    expect(() => sim.addHost()).toThrow(/taken/); // index 2's default, 10.0.0.3, is taken
    const named = sim.addHost({ address: '192.168.7.7' });
    const atOdd = await recorder(odd);
    const atNamed = await recorder(named);
    const out = await plain.net.bind({}, () => {});
    out.send(new Uint8Array([1]), { host: '10.0.0.3', port: 5000 });
    out.send(new Uint8Array([2]), { host: '192.168.7.7', port: 5000 });
    out.send(new Uint8Array([3]), { host: '10.0.0.03', port: 5000 });
    await sim.run();
    expect(atOdd.got.map((g) => g.data[0])).toEqual([1]);
    expect(atNamed.got.map((g) => g.data[0])).toEqual([2]);
    expect(sim.metrics.drops.unreachable).toBe(1);
  });
  it('with default addresses only, non-canonical and absent 10.x addresses are unreachable', async () => {
    const sim = new Simulation({ seed: 1 });
    const [a, b] = sim.addHosts(2); // 10.0.0.1, 10.0.0.2
    const atB = await recorder(b!);
    const out = await a!.net.bind({}, () => {});
    for (const host of ['10.0.0.2', '10.0.0.02', '10.00.0.2', '10.0.256.2', '10.0.0.3', '10.0.0.0'])
      out.send(new Uint8Array([host.length]), { host, port: 5000 });
    await sim.run();
    expect(atB.got.map((g) => g.data[0])).toEqual([8]);
    expect(sim.metrics.drops.unreachable).toBe(5);
  });
});

describe('latency models', () => {
  it('coordinates: delay grows with distance, is symmetric, and positions are per-host seeded', () => {
    const model = latency.coordinates({ access: [0, 0] });
    const sim = new Simulation({ seed: 4, latency: model });
    sim.addHost({ position: [0, 0] });
    sim.addHost({ position: [300, 400] });
    sim.addHost();
    expect(sim.engine.fabric.delay(0, 1)).toBeCloseTo(500 * 0.08);
    expect(sim.engine.fabric.delay(1, 0)).toBeCloseTo(sim.engine.fabric.delay(0, 1));
    // Adding hosts never moves earlier ones: a second simulation with more hosts agrees.
    const model2 = latency.coordinates({ access: [0, 0] });
    const sim2 = new Simulation({ seed: 4, latency: model2 });
    sim2.addHost({ position: [0, 0] });
    sim2.addHost({ position: [300, 400] });
    sim2.addHosts(10);
    expect(model2.position(2)).toEqual(model.position(2));
  });

  it('matrix: one-way delay is half the given round trip', () => {
    const sim = new Simulation({
      seed: 1,
      latency: latency.matrix([
        [0, 100, 40],
        [100, 0, 60],
        [40, 60, 0],
      ]),
    });
    sim.addHosts(4);
    expect(sim.engine.fabric.delay(0, 1)).toBe(50);
    expect(sim.engine.fabric.delay(2, 1)).toBe(30);
    expect(sim.engine.fabric.delay(3, 1)).toBe(50); // host 3 shares row 0 (modulo) with host 0
    expect(sim.engine.fabric.delay(3, 0)).toBe(0); // same row: the diagonal
  });

  it('lognormal: median near the requested one; jitter adds [0, ms)', () => {
    const sim = new Simulation({
      seed: 9,
      latency: latency.jitter(latency.lognormal({ median: 50, sigma: 0.5 }), 5),
    });
    sim.addHosts(2);
    const draws = Array.from({ length: 5_001 }, () => sim.engine.fabric.delay(0, 1)).sort(
      (x, y) => x - y,
    );
    const median = draws[2_500]!;
    expect(median).toBeGreaterThan(50);
    expect(median).toBeLessThan(58);
    expect(draws[0]!).toBeGreaterThan(0);
  });

  it('rejects bad parameters', () => {
    expect(() => latency.constant(-1)).toThrow(/>= 0/);
    expect(() => latency.uniform(10, 5)).toThrow(/max/);
    expect(() => latency.matrix([[0, 1]])).toThrow(/entries/);
  });
});
