import type { Hasher, LogRecord, Random, Seed } from '@p2pkit/core';
import { Engine } from './engine.js';
import { checkProbability, invalidOption, SimulationError } from './errors.js';
import { type HostOptions, SimHost } from './host.js';
import type { LatencyModel } from './latency.js';
import type { Metrics } from './metrics.js';

/** Stream tuning (see README, "Bandwidth model"). */
export interface StreamOptions {
  /** Largest segment the uplink serializes at once, in bytes (default 16 KiB). */
  segmentSize?: number;
  /** Flow-control window per direction: bytes sent and not yet consumed (default 256 KiB). */
  window?: number;
  /** write() returns false once this many bytes are queued unsent (default 64 KiB). */
  highWaterMark?: number;
  /**
   * Merge the pieces of several writes that arrive together into one `data` chunk, as TCP
   * does (default true). Off: each write's bytes arrive as their own chunks (no copy).
   */
  coalesce?: boolean;
}

/** A log record with the host it came from. */
export type SimLogRecord = LogRecord & { readonly host: string };

export interface SimulationOptions {
  /** The one seed: every random draw of the run derives from it. */
  seed: Seed;
  /** One-way delay model (default latency.constant(25), i.e. 50 ms round trips). */
  latency?: LatencyModel;
  /** Probability that a datagram is lost (default 0). Streams are reliable. */
  loss?: number;
  /** Probability that a datagram is delivered twice (default 0). */
  duplicate?: number;
  /** Default upload capacity of a host in bytes/s for streams (default Infinity). */
  upload?: number;
  /** Default download capacity of a host in bytes/s for streams (default Infinity). */
  download?: number;
  streams?: StreamOptions;
  /** Largest datagram (default 65,507 bytes, as UDP over IPv4). */
  maxDatagramSize?: number;
  /**
   * Copy each datagram on send, as a real network does (default true). false saves one
   * allocation per datagram but lets a receiver see later changes the sender makes.
   */
  copyDatagrams?: boolean;
  /**
   * How long a firewalled host's socket accepts replies from a peer after its last datagram to
   * that peer, in ms (default 120,000: RFC 4787's minimum UDP mapping lifetime).
   */
  firewallUdpTimeoutMs?: number;
  /** Trace hash: 'fast' (event kind, time, host, size; default), 'full' (+ payload bytes), 'off'. */
  traceHash?: 'fast' | 'full' | 'off';
  /** DEBUG-style pattern for host loggers, e.g. 'p2pkit:chord*' (default: all off). */
  debug?: string;
  /** Where enabled log records go (default: stderr lines prefixed with virtual time and host). */
  logSink?: (record: SimLogRecord) => void;
  /** runtime.hash of every host (default: node:crypto SHA-1). */
  hash?: Hasher;
}

export interface RunOptions {
  /** Stop at this virtual time (events at exactly `until` run). */
  until?: number;
  /** Stop after this many ms from now (instead of `until`). */
  for?: number;
  /** Stop after this many events. */
  maxEvents?: number;
  /**
   * When promise continuations run: 'instant' (default) drains the microtask queue once per
   * virtual instant, before time advances; 'event' drains after every event (slower, closest
   * to Node's own ordering).
   */
  drain?: 'instant' | 'event';
}

/** Per-link settings that override the simulation's (symmetric: both directions). */
export interface LinkOptions {
  /** One-way delay on this link: a model, or a constant in ms. */
  latency?: LatencyModel | number;
  loss?: number;
  duplicate?: number;
}

/** A host, by object, address or index. */
export type HostRef = SimHost | string | number;

export interface ScheduledAction {
  /** Cancels the action if it has not run yet. */
  cancel(): void;
}

/**
 * A deterministic discrete-event simulation of a network of hosts. Single-threaded, virtual
 * time: events run in (time, sequence) order, so one seed gives one history. Hosts are core
 * Runtimes: protocol code runs on them unchanged.
 *
 * ```ts
 * const sim = new Simulation({ seed: 1, latency: latency.uniform(10, 100), loss: 0.01 });
 * const [a, b] = sim.addHosts(2);
 * // ... start protocol nodes with runtime a and b ...
 * await sim.run({ until: 60_000 });
 * ```
 *
 * This class is the public face: it checks arguments and hands the work to its event engine
 * (engine.ts: time, queue, dispatch, timers) and the engine's fabric (fabric.ts: addresses,
 * links, faults, datagrams).
 */
export class Simulation {
  readonly seed: Seed;
  readonly metrics: Metrics;
  /** @internal */ readonly engine: Engine;

  constructor(options: SimulationOptions) {
    if (options === undefined || options.seed === undefined) {
      throw invalidOption(
        'new Simulation({ seed }): a seed is required (use seedFromEnv(default))',
      );
    }
    this.engine = new Engine(options);
    this.seed = options.seed;
    this.metrics = this.engine.metrics;
  }

  // ---------------------------------------------------------------- time and running

  /** Current virtual time in ms. */
  get now(): number {
    return this.engine.now;
  }

  /** Events executed so far. */
  get eventCount(): number {
    return this.engine.events;
  }

  /** Events scheduled and not cancelled (timers, packets in flight, ...). */
  get pending(): number {
    return this.engine.queue.live;
  }

  /** Hash of the event history so far (16 hex digits): equal runs, equal hashes. */
  get traceHash(): string {
    return this.engine.trace.hex();
  }

  /**
   * Runs events until `until` (or for `for` ms; without either, until no events are left),
   * then leaves the clock at that time. Promise continuations of protocol code run before
   * virtual time advances (see RunOptions.drain), so async code behaves. A callback that
   * throws stops the run with SimulationError ERR_SIM_EVENT_FAILED (its message has the seed).
   */
  async run(options: RunOptions = {}): Promise<void> {
    const until = this.resolveUntil(options);
    const engine = this.engine;
    engine.enter();
    try {
      await engine.loop(
        until,
        options.maxEvents ?? Number.POSITIVE_INFINITY,
        options.drain === 'event',
      );
    } finally {
      engine.leave();
    }
  }

  /** run({ for: ms }). */
  runFor(ms: number): Promise<void> {
    return this.run({ for: ms });
  }

  /**
   * Runs until `predicate()` holds, checked whenever the run settles (between instants).
   * Throws SimulationError ERR_SIM_TIMEOUT if it still does not hold after `timeoutMs` of
   * virtual time (default 60 s).
   */
  async runUntil(predicate: () => boolean, options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const engine = this.engine;
    const deadline = engine.now + timeoutMs;
    engine.enter();
    try {
      if (await engine.loop(deadline, Number.POSITIVE_INFINITY, false, predicate)) return;
    } finally {
      engine.leave();
    }
    if (predicate()) return;
    throw new SimulationError(
      `runUntil: condition not met within ${timeoutMs} ms of virtual time (t=${engine.now}ms, seed=${String(this.seed)})`,
      'ERR_SIM_TIMEOUT',
    );
  }

  /**
   * Like run(), for synchronous protocol code only: it never yields to the microtask queue,
   * so promise continuations run after it returns. Faster (no macrotask per instant).
   */
  runSync(options: RunOptions = {}): void {
    const until = this.resolveUntil(options);
    const engine = this.engine;
    engine.enter();
    try {
      engine.runSync(until, options.maxEvents ?? Number.POSITIVE_INFINITY);
    } finally {
      engine.leave();
    }
  }

  /** Runs the next event, if any (synchronously; continuations run after). */
  step(): boolean {
    const engine = this.engine;
    engine.enter();
    try {
      return engine.step();
    } finally {
      engine.leave();
    }
  }

  /** Runs `action` at virtual time `time` (>= now). It may be async; a rejection fails the run. */
  at(time: number, action: () => unknown): ScheduledAction {
    if (!Number.isFinite(time)) throw invalidOption(`at(): time must be finite, got ${time}`);
    const now = this.engine.now;
    if (time < now) {
      throw new SimulationError(
        `at(${time}): time goes backwards (now is ${now})`,
        'ERR_TIME_BACKWARDS',
      );
    }
    if (typeof action !== 'function') throw invalidOption('at(): action must be a function');
    return { cancel: this.engine.at(time, action) };
  }

  /** at(now + ms, action). */
  after(ms: number, action: () => unknown): ScheduledAction {
    if (!(ms >= 0)) throw invalidOption(`after(): ms must be >= 0, got ${ms}`);
    return this.at(this.engine.now + ms, action);
  }

  // ---------------------------------------------------------------- hosts

  /** Adds a host (a Runtime for protocol code). Address 10.0.0.1 for the first, and so on. */
  addHost(options: HostOptions = {}): SimHost {
    return this.engine.fabric.addHost(options);
  }

  /** Adds `count` hosts with the same options (addresses still distinct). */
  addHosts(count: number, options: Omit<HostOptions, 'address'> = {}): SimHost[] {
    const out: SimHost[] = [];
    for (let i = 0; i < count; i++) out.push(this.addHost(options));
    return out;
  }

  /** Current incarnation of every host, in index order (crashed ones included). */
  get hosts(): readonly SimHost[] {
    return this.engine.fabric.hosts;
  }

  /** The current incarnation of the host at `address`, or undefined. */
  host(address: string): SimHost | undefined {
    const fabric = this.engine.fabric;
    const index = fabric.indexOf(address);
    return index === undefined ? undefined : fabric.hosts[index];
  }

  // ---------------------------------------------------------------- faults

  /**
   * Crashes a host: its timers never fire, its sockets and listeners vanish, its connections'
   * peers see a reset (after the link latency), packets to it are dropped, and its SimHost
   * object becomes unusable (HostCrashedError). Memory is dropped with the object.
   */
  crash(ref: HostRef): void {
    const host = this.resolve(ref);
    if (host.alive_) this.engine.fabric.crash(host);
  }

  /** Crashes the host if alive, then boots a fresh one at the same address (new random stream). */
  restart(ref: HostRef): SimHost {
    return this.engine.fabric.restart(this.resolve(ref));
  }

  /**
   * Splits the network: hosts in different sets cannot reach each other; hosts in no set form
   * one more set together. Datagrams across the cut are dropped; stream traffic (and dials)
   * waits, as TCP retransmits, and flows again after heal(). Replaces any earlier partition.
   */
  partition(...sets: HostRef[][]): void {
    this.engine.fabric.partition(sets.map((set) => set.map((ref) => this.resolve(ref).index)));
  }

  /** Ends the partition; waiting stream traffic flows again. */
  heal(): void {
    this.engine.fabric.heal();
  }

  /** Holds all traffic between a and b (both ways) until release(a, b): nothing is lost. */
  hold(a: HostRef, b: HostRef): void {
    this.engine.fabric.hold(this.resolve(a).index, this.resolve(b).index);
  }

  /** Delivers what hold(a, b) kept, in order, each after the link latency from now. No args: every hold. */
  release(a?: HostRef, b?: HostRef): void {
    if (a === undefined || b === undefined) this.engine.fabric.release(-1, -1);
    else this.engine.fabric.release(this.resolve(a).index, this.resolve(b).index);
  }

  /** Overrides latency, loss or duplication on the link a–b (null removes the override). */
  setLink(a: HostRef, b: HostRef, options: LinkOptions | null): void {
    this.engine.fabric.setLink(this.resolve(a).index, this.resolve(b).index, options);
  }

  /** Datagram loss probability (settable at any time). */
  get loss(): number {
    return this.engine.fabric.loss;
  }

  set loss(p: number) {
    this.engine.fabric.loss = checkProbability('loss', p);
  }

  /** Datagram duplication probability (settable at any time). */
  get duplicate(): number {
    return this.engine.fabric.duplicate;
  }

  set duplicate(p: number) {
    this.engine.fabric.duplicate = checkProbability('duplicate', p);
  }

  /** An independent random stream derived from the seed and `label` (for test scenarios). */
  random(label: string | number): Random {
    return this.engine.userRandom(label);
  }

  // ---------------------------------------------------------------- helpers

  private resolveUntil(options: RunOptions): number {
    const now = this.engine.now;
    if (options.until !== undefined && options.for !== undefined) {
      throw invalidOption('run(): give `until` or `for`, not both');
    }
    if (options.for !== undefined) {
      if (!(options.for >= 0)) throw invalidOption(`run(): for must be >= 0, got ${options.for}`);
      return now + options.for;
    }
    if (options.until !== undefined) {
      if (Number.isNaN(options.until)) throw invalidOption('run(): until is NaN');
      if (options.until < now) {
        throw new SimulationError(
          `run(): until ${options.until} is before now (${now})`,
          'ERR_TIME_BACKWARDS',
        );
      }
      return options.until;
    }
    return Number.POSITIVE_INFINITY;
  }

  private resolve(ref: HostRef): SimHost {
    let host: SimHost | undefined;
    if (ref instanceof SimHost) {
      if (ref.engine !== this.engine)
        throw invalidOption(`host ${ref.host} belongs to another simulation`);
      host = ref;
    } else if (typeof ref === 'number') host = this.engine.fabric.hosts[ref];
    else host = this.host(ref);
    if (!host) throw new SimulationError(`unknown host ${String(ref)}`, 'ERR_UNKNOWN_HOST');
    return host;
  }
}
