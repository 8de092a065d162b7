import { describe, expect, it } from 'vitest';
import { Distribution, Simulation } from '../src/index.js';

describe('metrics', () => {
  it('counts datagrams per host and per type with a classifier (first byte)', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.metrics.classify((bytes) =>
      bytes[0] === 1 ? 'PING' : bytes[0] === 2 ? 'PONG' : undefined,
    );
    const [a, b] = sim.addHosts(2);
    const sb = await b!.net.bind({ port: 1 }, (data, from) => {
      if (data[0] === 1) sb.send(new Uint8Array([2, 0]), from);
    });
    const sa = await a!.net.bind({}, () => {});
    for (let i = 0; i < 5; i++) sa.send(new Uint8Array([1, 0, 0]), sb.address);
    sa.send(new Uint8Array([9]), sb.address);
    await sim.run();
    const ta = sim.metrics.host(a!.index);
    expect(ta.datagrams.sent).toEqual({ messages: 6, bytes: 16 });
    expect(ta.datagrams.received).toEqual({ messages: 5, bytes: 10 });
    expect(ta.byType.get('PING')).toEqual({
      sent: { messages: 5, bytes: 15 },
      received: { messages: 0, bytes: 0 },
    });
    expect(ta.byType.get('PONG')?.received).toEqual({ messages: 5, bytes: 10 });
    expect(sim.metrics.byType().get('PING')?.received).toEqual({ messages: 5, bytes: 15 });
    expect(sim.metrics.totals().datagrams.sent.messages).toBe(11);
  });

  it('samples a time series on the virtual clock, without keeping run() alive or changing the trace', async () => {
    const run = async (sample: boolean) => {
      const sim = new Simulation({ seed: 3 });
      const h = sim.addHost();
      let counter = 0;
      h.clock.setTimeout(() => {
        counter = 10;
      }, 250);
      h.clock.setTimeout(() => {
        counter = 20;
      }, 1000);
      const series = sample ? sim.metrics.sample('counter', 100, () => counter) : undefined;
      await sim.run();
      return { sim, series };
    };
    const { sim, series } = await run(true);
    expect(sim.now).toBe(1000);
    expect(series!.points().slice(0, 4)).toEqual([
      [0, 0],
      [100, 0],
      [200, 0],
      [300, 10],
    ]);
    expect(series!.times.at(-1)).toBe(1000);
    expect(sim.traceHash).toBe((await run(false)).sim.traceHash);
  });

  it('distributions give nearest-rank percentiles', () => {
    const d = new Distribution('x');
    for (let i = 100; i >= 1; i--) d.record(i);
    expect(d.percentile(50)).toBe(50);
    expect(d.percentile(90)).toBe(90);
    expect(d.percentile(99)).toBe(99);
    expect(d.min).toBe(1);
    expect(d.max).toBe(100);
    expect(d.mean).toBe(50.5);
    expect(new Distribution('empty').percentile(50)).toBeNaN();
    expect(() => d.percentile(101)).toThrow(/percentile/);
  });

  it('traces record hops and virtual latency of operations; failures are counted apart', async () => {
    const sim = new Simulation({ seed: 1 });
    const trace = sim.metrics.trace('lookup');
    const h = sim.addHost();
    for (let i = 1; i <= 10; i++) {
      const span = trace.start();
      h.clock.setTimeout(() => span.hop(i).end(), i * 10);
    }
    const failed = trace.start();
    h.clock.setTimeout(() => failed.fail(), 5);
    await sim.run();
    const summary = trace.summary();
    expect(summary.completed).toBe(10);
    expect(summary.failures).toBe(1);
    expect(summary.hops.p50).toBe(5);
    expect(summary.latency.max).toBe(100);
    expect(sim.metrics.report()).toHaveProperty('traces.lookup.hops.mean', 5.5);
    expect(trace.hops.histogram().get(3)).toBe(1);
  });
});
