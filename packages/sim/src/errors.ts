import { P2PError } from '@p2pkit/core';

/** Codes a SimulationError carries (stable, as every P2PError code). */
export type SimulationErrorCode =
  /** A crashed host's runtime was used (send, bind, dial, setTimeout...). */
  | 'ERR_HOST_CRASHED'
  /** sim.at() was asked for a time before now. */
  | 'ERR_TIME_BACKWARDS'
  /** An address or host that the simulation does not know. */
  | 'ERR_UNKNOWN_HOST'
  /** A callback run by the simulation threw; `cause` is what it threw. */
  | 'ERR_SIM_EVENT_FAILED'
  /** runUntil() reached its time limit before the condition held. */
  | 'ERR_SIM_TIMEOUT'
  /** run()/runSync()/step() called while a run is in progress. */
  | 'ERR_SIM_RUNNING'
  /** A bad option or argument (negative latency, probability outside [0, 1], ...). */
  | 'ERR_INVALID_OPTION';

/** Misuse of the simulator, or a failure inside it, with the seed that replays it. */
export class SimulationError extends P2PError {
  declare readonly code: SimulationErrorCode;

  constructor(message: string, code: SimulationErrorCode, options?: { cause?: unknown }) {
    super(message, code, options);
    this.name = 'SimulationError';
  }
}

/** The runtime of a crashed host was used: the host object is dead, restart() gives a new one. */
export class HostCrashedError extends SimulationError {
  readonly host: string;

  constructor(host: string, crashedAt: number, what: string) {
    super(
      `${what}: host ${host} crashed at t=${crashedAt}ms; its runtime is unusable (use the SimHost that restart() returns)`,
      'ERR_HOST_CRASHED',
    );
    this.name = 'HostCrashedError';
    this.host = host;
  }
}

export function invalidOption(message: string): SimulationError {
  return new SimulationError(message, 'ERR_INVALID_OPTION');
}

/** Checks a probability argument. */
export function checkProbability(name: string, p: number): number {
  if (!(p >= 0 && p <= 1)) throw invalidOption(`${name} must be a probability in [0, 1], got ${p}`);
  return p;
}

/** Checks a positive integer option. */
export function checkSize(name: string, size: number): number {
  if (!(Number.isInteger(size) && size > 0))
    throw invalidOption(`${name} must be a positive integer, got ${size}`);
  return size;
}

/** Checks a bandwidth in bytes/s (Infinity: unlimited). */
export function checkRate(name: string, rate: number): number {
  if (!(rate > 0))
    throw invalidOption(`${name} must be > 0 bytes/s (Infinity = unlimited), got ${rate}`);
  return rate;
}
