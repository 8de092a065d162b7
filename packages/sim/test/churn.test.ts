import { describe, expect, it } from 'vitest';
import { churn, type SimHost, Simulation } from '../src/index.js';

describe('churn', () => {
  it('Poisson arrivals at the requested rate; exponential sessions with the requested mean', async () => {
    const sim = new Simulation({ seed: 11 });
    const joined: number[] = [];
    const sessions: number[] = [];
    const joinedAt = new Map<SimHost, number>();
    const process = churn(sim, {
      arrivalsPerSecond: 2,
      session: { kind: 'exponential', meanMs: 30_000 },
      join: (host) => {
        joined.push(sim.now);
        joinedAt.set(host, sim.now);
      },
      leave: (host) => {
        sessions.push(sim.now - joinedAt.get(host)!);
      },
      stopArrivalsAt: 1_000_000,
    });
    await sim.run({ until: 1_000_000 });
    process.stop();
    // 2/s over 1000 s: about 2000 arrivals (Poisson: sd ≈ 45).
    expect(joined.length).toBeGreaterThan(1850);
    expect(joined.length).toBeLessThan(2150);
    const mean = sessions.reduce((x, y) => x + y, 0) / sessions.length;
    expect(mean).toBeGreaterThan(27_000);
    expect(mean).toBeLessThan(33_000);
    // Leaving hosts are crashed; the rest are alive.
    const alive = sim.hosts.filter((h) => h.alive).length;
    expect(alive).toBe(process.stats.alive);
    expect(process.stats.joins - process.stats.leaves).toBe(process.stats.alive);
  });

  it('Pareto sessions: heavy tail with the requested mean; attach() gives existing hosts sessions', async () => {
    const sim = new Simulation({ seed: 12 });
    const base = sim.addHosts(2000);
    const leftAt: number[] = [];
    const process = churn(sim, {
      arrivalsPerSecond: 0,
      session: { kind: 'pareto', alpha: 2.5, meanMs: 10_000 },
      join: () => {},
      leave: () => {
        leftAt.push(sim.now);
      },
    });
    for (const host of base) process.attach(host);
    await sim.run();
    expect(leftAt).toHaveLength(2000);
    const mean = leftAt.reduce((x, y) => x + y, 0) / leftAt.length;
    expect(mean).toBeGreaterThan(9_000);
    expect(mean).toBeLessThan(11_000);
    const min = Math.min(...leftAt);
    expect(min).toBeGreaterThanOrEqual(6_000 - 1e-6); // scale = mean (alpha-1)/alpha
    expect(Math.max(...leftAt)).toBeGreaterThan(5 * 10_000); // the tail
    expect(base.every((h) => !h.alive)).toBe(true);
  });

  it('replays with the seed and respects maxAlive', async () => {
    const run = async () => {
      const sim = new Simulation({ seed: 13 });
      const process = churn(sim, {
        arrivalsPerSecond: 10,
        maxAlive: 5,
        session: { kind: 'exponential', meanMs: 5_000 },
        join: () => {},
        stopArrivalsAt: 60_000,
      });
      let peak = 0;
      sim.metrics.sample('alive', 50, () => {
        peak = Math.max(peak, process.stats.alive);
        return process.stats.alive;
      });
      await sim.run({ until: 120_000 });
      return { hash: sim.traceHash, peak, joins: process.stats.joins };
    };
    const first = await run();
    expect(first.peak).toBeLessThanOrEqual(5);
    expect(await run()).toEqual(first);
  });
});
