import type { Random } from '@p2pkit/core';
import { invalidOption } from './errors.js';
import type { HostOptions, SimHost } from './host.js';
import type { ScheduledAction, Simulation } from './simulation.js';

/** How long a host stays: exponential (memoryless) or Pareto (heavy-tailed, as measured P2P sessions). */
export type SessionLength =
  | { kind: 'exponential'; meanMs: number }
  /** Pareto with shape `alpha` > 1 and the given mean (scale = mean·(alpha−1)/alpha). */
  | { kind: 'pareto'; alpha: number; meanMs: number };

export interface ChurnOptions {
  /** Poisson arrivals: mean new hosts per second of virtual time (0: only attach()ed hosts churn). */
  arrivalsPerSecond: number;
  /** Session length of each host (arrivals and attach()ed hosts). */
  session: SessionLength;
  /** A new host arrived (a fresh SimHost with a new address): start its protocol node. May be async. */
  join: (host: SimHost) => unknown;
  /** A host's session ended: stop it gracefully if you like. May be async. */
  leave?: (host: SimHost) => unknown;
  /** Crash the host after leave (default true: its address stays dead). */
  crashOnLeave?: boolean;
  /** Options of arriving hosts (or a function of the arrival number, for heterogeneous hosts). */
  hostOptions?: Omit<HostOptions, 'address'> | ((arrival: number) => Omit<HostOptions, 'address'>);
  /** No arrivals after this virtual time (default: never stop). */
  stopArrivalsAt?: number;
  /** Arrivals wait while this many churned hosts are alive (default: no cap). */
  maxAlive?: number;
  /** Label of the random stream (two churn processes in one simulation need distinct labels). */
  label?: string;
}

export interface ChurnStats {
  joins: number;
  leaves: number;
  /** Hosts of this process alive now. */
  alive: number;
}

export interface Churn {
  readonly stats: ChurnStats;
  /** Gives an existing host a session: it leaves when the session ends. */
  attach(host: SimHost): void;
  /** Stops arrivals and pending departures. */
  stop(): void;
}

/**
 * Churn as a helper for experiments: Poisson arrivals of new hosts and a session length per
 * host drawn from `session`, calling `join`/`leave`. All draws come from a stream derived from
 * the simulation seed and `label`, so churn replays with the seed.
 */
export function churn(sim: Simulation, options: ChurnOptions): Churn {
  const rate = options.arrivalsPerSecond;
  if (!(rate >= 0)) throw invalidOption(`churn: arrivalsPerSecond must be >= 0, got ${rate}`);
  const drawSession = sessionSampler(options.session);
  const random = sim.random(`churn:${options.label ?? 'default'}`);
  const crashOnLeave = options.crashOnLeave ?? true;
  const stats: ChurnStats = { joins: 0, leaves: 0, alive: 0 };
  const pending = new Set<ScheduledAction>();
  let stopped = false;
  let arrivals = 0;

  const schedule = (time: number, action: () => unknown) => {
    const handle = sim.at(time, () => {
      pending.delete(handle);
      return action();
    });
    pending.add(handle);
  };

  const depart = async (host: SimHost) => {
    stats.leaves++;
    stats.alive--;
    if (options.leave && host.alive) await options.leave(host);
    if (crashOnLeave && host.alive) sim.crash(host);
  };

  const attach = (host: SimHost) => {
    stats.alive++;
    schedule(sim.now + drawSession(random), () => depart(host));
  };

  const arrive = () => {
    if (stopped) return;
    scheduleArrival();
    if (options.maxAlive !== undefined && stats.alive >= options.maxAlive) return;
    const hostOptions =
      typeof options.hostOptions === 'function'
        ? options.hostOptions(arrivals)
        : options.hostOptions;
    arrivals++;
    const host = sim.addHost(hostOptions);
    stats.joins++;
    attach(host);
    return options.join(host);
  };

  const scheduleArrival = () => {
    if (rate === 0) return;
    const next = sim.now + random.exponential(1000 / rate);
    if (options.stopArrivalsAt !== undefined && next > options.stopArrivalsAt) return;
    schedule(next, arrive);
  };

  scheduleArrival();
  return {
    stats,
    attach,
    stop() {
      stopped = true;
      for (const handle of pending) handle.cancel();
      pending.clear();
    },
  };
}

function sessionSampler(session: SessionLength): (random: Random) => number {
  if (!(session.meanMs > 0))
    throw invalidOption(`churn: session meanMs must be > 0, got ${session.meanMs}`);
  if (session.kind === 'exponential') {
    const mean = session.meanMs;
    return (random) => random.exponential(mean);
  }
  if (session.kind === 'pareto') {
    const alpha = session.alpha;
    if (!(alpha > 1))
      throw invalidOption(`churn: Pareto alpha must be > 1 (finite mean), got ${alpha}`);
    const scale = (session.meanMs * (alpha - 1)) / alpha;
    return (random) => scale / (1 - random.float()) ** (1 / alpha);
  }
  throw invalidOption(`churn: unknown session kind ${(session as { kind: string }).kind}`);
}
