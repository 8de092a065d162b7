import { isP2PError } from '@p2pkit/core';
import { describe, expect, it } from 'vitest';
import { HostCrashedError, Simulation, SimulationError } from '../src/index.js';

describe('virtual time', () => {
  it('fires timers at their virtual time, ties in scheduling order, without waiting', async () => {
    const sim = new Simulation({ seed: 1 });
    const h = sim.addHost();
    const fired: [string, number][] = [];
    h.clock.setTimeout(() => fired.push(['b', h.clock.now()]), 3_600_000);
    h.clock.setTimeout(() => fired.push(['a1', h.clock.now()]), 10);
    h.clock.setTimeout(() => fired.push(['a2', h.clock.now()]), 10);
    h.clock.setTimeout(() => fired.push(['zero', h.clock.now()]), 0);
    const started = performance.now();
    await sim.run();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(fired).toEqual([
      ['zero', 0],
      ['a1', 10],
      ['a2', 10],
      ['b', 3_600_000],
    ]);
    expect(sim.now).toBe(3_600_000);
  });

  it('intervals repeat until cleared, even from inside their callback', async () => {
    const sim = new Simulation({ seed: 1 });
    const h = sim.addHost();
    const ticks: number[] = [];
    const handle = h.clock.setInterval(() => {
      ticks.push(h.clock.now());
      if (ticks.length === 4) h.clock.clearTimeout(handle);
    }, 250);
    await sim.run({ until: 10_000 });
    expect(ticks).toEqual([250, 500, 750, 1000]);
  });

  it('clearTimeout ignores stale handles: a recycled slot is not cancelled by an old handle', async () => {
    const sim = new Simulation({ seed: 1 });
    const h = sim.addHost();
    const old = h.clock.setTimeout(() => {}, 1);
    await sim.run({ until: 5 });
    let fired = false;
    h.clock.setTimeout(() => {
      fired = true;
    }, 1); // reuses the freed slot
    h.clock.clearTimeout(old);
    h.clock.clearTimeout(undefined);
    await sim.run({ until: 10 });
    expect(fired).toBe(true);
  });

  it('run({ until }) leaves the clock at until; run() without bounds stops when nothing is left', async () => {
    const sim = new Simulation({ seed: 1 });
    const h = sim.addHost();
    await sim.run({ until: 500 });
    expect(sim.now).toBe(500);
    await sim.runFor(250);
    expect(sim.now).toBe(750);
    h.clock.setTimeout(() => {}, 100);
    await sim.run();
    expect(sim.now).toBe(850);
    expect(sim.pending).toBe(0);
  });

  it('drains promise continuations of any depth before time advances', async () => {
    const sim = new Simulation({ seed: 1 });
    const h = sim.addHost();
    const seen: number[] = [];
    async function deep(n: number): Promise<number> {
      if (n === 0) return h.clock.now();
      await null;
      return deep(n - 1);
    }
    h.clock.setTimeout(async () => {
      // 200 levels of awaits, then a timer scheduled "now": it must run at t = 10, not later.
      const t = await deep(200);
      seen.push(t);
      h.clock.setTimeout(() => seen.push(h.clock.now()), 0);
    }, 10);
    h.clock.setTimeout(() => seen.push(h.clock.now()), 11);
    await sim.run();
    expect(seen).toEqual([10, 10, 11]);
  });

  it('sleep() resolves at its virtual time; async code reads the clock it expects', async () => {
    const sim = new Simulation({ seed: 1 });
    const h = sim.addHost();
    const times: number[] = [];
    sim.at(0, async () => {
      for (let i = 0; i < 5; i++) {
        await h.clock.sleep(100);
        times.push(h.clock.now());
      }
    });
    await sim.run();
    expect(times).toEqual([100, 200, 300, 400, 500]);
  });

  it('runUntil stops as soon as the condition holds, and throws with the seed when it never does', async () => {
    const sim = new Simulation({ seed: 'until' });
    const h = sim.addHost();
    let count = 0;
    h.clock.setInterval(() => count++, 10);
    await sim.runUntil(() => count >= 3);
    expect(sim.now).toBe(30);
    const error = await sim.runUntil(() => false, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(isP2PError(error, 'ERR_SIM_TIMEOUT')).toBe(true);
    expect(String((error as Error).message)).toContain('seed=until');
  });

  it('runSync and step run synchronous code without yielding', () => {
    const sim = new Simulation({ seed: 1 });
    const h = sim.addHost();
    const order: number[] = [];
    h.clock.setTimeout(() => order.push(1), 5);
    h.clock.setTimeout(() => order.push(2), 7);
    h.clock.setTimeout(() => order.push(3), 9);
    expect(sim.step()).toBe(true);
    expect(order).toEqual([1]);
    expect(sim.now).toBe(5);
    sim.runSync({ until: 8 });
    expect(order).toEqual([1, 2]);
    expect(sim.now).toBe(8);
    sim.runSync();
    expect(order).toEqual([1, 2, 3]);
    expect(sim.step()).toBe(false);
  });

  it('misuse gets typed errors: time going backwards, concurrent runs, bad options', async () => {
    const sim = new Simulation({ seed: 1 });
    await sim.run({ until: 100 });
    expect(() => sim.at(50, () => {})).toThrow(SimulationError);
    expect(() => sim.at(50, () => {})).toThrow(/backwards/);
    await expect(sim.run({ until: 10 })).rejects.toMatchObject({ code: 'ERR_TIME_BACKWARDS' });
    const running = sim.run({ for: 10 });
    expect(() => sim.runSync()).toThrow(expect.objectContaining({ code: 'ERR_SIM_RUNNING' }));
    await running;
    expect(() => new Simulation({ seed: 1, loss: 2 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => new Simulation({} as never)).toThrow(/seed/);
  });

  it('a throwing callback stops the run with the virtual time, host and seed', async () => {
    const sim = new Simulation({ seed: 99 });
    const h = sim.addHost();
    h.clock.setTimeout(() => {
      throw new Error('boom');
    }, 42);
    const error = (await sim.run().catch((e: unknown) => e)) as SimulationError;
    expect(error.code).toBe('ERR_SIM_EVENT_FAILED');
    expect(error.message).toContain('t=42ms');
    expect(error.message).toContain(h.host);
    expect(error.message).toContain('seed=99');
    expect((error.cause as Error).message).toBe('boom');
  });

  it('an async at() action that rejects fails the run', async () => {
    const sim = new Simulation({ seed: 5 });
    sim.at(10, async () => {
      await null;
      throw new Error('async boom');
    });
    await expect(sim.run()).rejects.toMatchObject({ code: 'ERR_SIM_EVENT_FAILED' });
  });

  it('a crashed host: timers never fire, its runtime throws HostCrashedError, restart gives a new one', async () => {
    const sim = new Simulation({ seed: 1 });
    const h = sim.addHost();
    let fired = 0;
    h.clock.setTimeout(() => fired++, 100);
    h.clock.setInterval(() => fired++, 30);
    sim.at(10, () => h.crash());
    await sim.run({ until: 1_000 });
    expect(fired).toBe(0);
    expect(h.alive).toBe(false);
    expect(() => h.clock.setTimeout(() => {}, 1)).toThrow(HostCrashedError);
    await expect(h.net.bind({}, () => {})).rejects.toBeInstanceOf(HostCrashedError);
    await expect(h.clock.sleep(5)).rejects.toBeInstanceOf(HostCrashedError);
    h.clock.clearTimeout(undefined); // harmless
    const again = h.restart();
    expect(again).not.toBe(h);
    expect(again.host).toBe(h.host);
    expect(again.index).toBe(h.index);
    expect(again.incarnation).toBe(1);
    expect(sim.host(h.host)).toBe(again);
    again.clock.setTimeout(() => fired++, 5);
    await sim.run();
    expect(fired).toBe(1);
  });
});
