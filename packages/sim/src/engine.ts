import { createHash } from 'node:crypto';
import {
  createLogger,
  createRandom,
  type Hasher,
  type Logger,
  type Random,
  type Seed,
  type TimerHandle,
} from '@p2pkit/core';
import { onRefused, onReset, onSyn, onSynAck, type SimConnection } from './connection.js';
import { checkSize, HostCrashedError, SimulationError } from './errors.js';
import { Fabric } from './fabric.js';
import type { SimHost } from './host.js';
import {
  K_CALL,
  K_CLOSE,
  K_DATAGRAM,
  K_DELIVER,
  K_DRAIN,
  K_FLUSH,
  K_INTERVAL,
  K_REFUSED,
  K_RST,
  K_SAMPLE,
  K_SEGMENT,
  K_SYN,
  K_SYNACK,
  K_TIMEOUT,
  K_UPLINK,
  K_WAKE,
} from './kinds.js';
import { Metrics, type TimeSeries } from './metrics.js';
import { onSegment, onWake, type Pipe, serveUplink } from './pipe.js';
import { EventQueue, SLOT_LIMIT } from './queue.js';
import type { SimLogRecord, SimulationOptions } from './simulation.js';
import { TraceHash } from './trace-hash.js';

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Resolves once every promise continuation pending now, and every one those queue in turn, has
 * run. Call it from a microtask only (code after an await): Node runs the nextTick queue only
 * when the microtask queue is empty, so the tick fires after the last continuation. Unlike a
 * macrotask it costs no turn of the event loop (no poll for I/O), about a tenth of the time.
 */
const microtasksDrained = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

/** Every this many drains, a real macrotask lets I/O, timers and signals (Ctrl-C) through. */
const MACROTASK_EVERY = 64;

/**
 * The event engine behind a Simulation: virtual time, the event queue and the loop that runs
 * it, the dispatcher that turns each event kind into its effect, timers, the trace hash, and the
 * failure a callback raises. The network between hosts (addresses, links, faults, datagrams) is
 * its Fabric. Hosts, sockets and streams talk to the engine; users talk to the Simulation.
 */
export class Engine {
  readonly seed: Seed;
  readonly metrics: Metrics;
  readonly queue = new EventQueue();
  readonly trace = new TraceHash();
  readonly fabric: Fabric;
  /** Trace hash on (kind, time, host, size) and, with hashPayloads, the bytes. */
  readonly hashing: boolean;
  readonly hashPayloads: boolean;
  /** runtime.hash of every host. */
  readonly hasher: Hasher;
  // Stream settings (see StreamOptions) and the largest datagram.
  readonly maxDatagramSize: number;
  readonly segmentSize: number;
  readonly window: number;
  readonly highWaterMark: number;
  readonly coalesce: boolean;

  /** Current virtual time in ms. */
  now = 0;
  /** Events executed (background samples excluded). */
  events = 0;
  /** User code ran since the last drain (so continuations may be pending). */
  dirty = false;
  /** Host whose event is running (for the failure message), or -1. */
  eventHost = -1;
  /** When each crashed host object crashed (kept off the SimHost: few hosts ever crash). */
  readonly crashTimes = new WeakMap<SimHost, number>();
  /** Pending events that do not keep an unbounded run going (metrics samplers). */
  private background = 0;
  private running = false;
  private failure: SimulationError | undefined;
  private readonly root: Random;
  private readonly hostRoot: Random;
  private readonly debug: string;
  private readonly logSink: (record: SimLogRecord) => void;
  /** The simulator's own log namespace (faults). */
  readonly log: Logger;

  constructor(options: SimulationOptions) {
    this.seed = options.seed;
    this.root = createRandom(options.seed);
    this.hostRoot = this.root.fork('host');
    const streams = options.streams ?? {};
    this.segmentSize = checkSize('streams.segmentSize', streams.segmentSize ?? 16 * 1024);
    this.window = checkSize('streams.window', streams.window ?? 256 * 1024);
    this.highWaterMark = checkSize('streams.highWaterMark', streams.highWaterMark ?? 64 * 1024);
    this.coalesce = streams.coalesce ?? true;
    this.maxDatagramSize = checkSize('maxDatagramSize', options.maxDatagramSize ?? 65_507);
    const mode = options.traceHash ?? 'fast';
    this.hashing = mode !== 'off';
    this.hashPayloads = mode === 'full';
    this.hasher = options.hash ?? nodeSha1;
    this.debug = options.debug ?? '';
    this.logSink = options.logSink ?? defaultSink;
    this.log = this.logger('sim');
    this.metrics = new Metrics({
      now: () => this.now,
      scheduleSample: (time, series) => this.scheduleSample(time, series),
    });
    this.fabric = new Fabric(this, options, this.root);
  }

  /** An independent random stream for the scenario (Simulation.random). */
  userRandom(label: string | number): Random {
    return this.root.fork('user').fork(label);
  }

  hostRandom(index: number, incarnation: number): Random {
    const random = this.hostRoot.fork(index);
    return incarnation === 0 ? random : random.fork(`restart:${incarnation}`);
  }

  hostLogger(host: SimHost): Logger {
    return this.logger(host.host);
  }

  // ---------------------------------------------------------------- scheduling

  /** Runs `action` at `time` (checked by the caller); returns its cancel function. */
  at(time: number, action: () => unknown): () => void {
    const q = this.queue;
    const slot = q.alloc(K_CALL);
    q.a[slot] = action;
    q.push(time, slot);
    const gen = q.gen[slot]!;
    return () => {
      if (q.gen[slot]! === gen && q.kind[slot]! === K_CALL) q.cancel(slot);
    };
  }

  /** A host's setTimeout/setInterval. */
  timer(host: SimHost, callback: () => void, ms: number, interval: boolean): TimerHandle {
    if (!host.alive_)
      throw new HostCrashedError(
        host.host,
        host.crashedAt,
        interval ? 'setInterval' : 'setTimeout',
      );
    if (typeof callback !== 'function') throw new TypeError('timer callback must be a function');
    let delay = +ms;
    if (!(delay > 0)) delay = 0;
    if (interval && delay < 1) delay = 1;
    const q = this.queue;
    const slot = q.alloc(interval ? K_INTERVAL : K_TIMEOUT);
    q.a[slot] = callback;
    q.b[slot] = host;
    q.n[slot] = delay;
    q.push(this.now + delay, slot);
    return (q.gen[slot]! * SLOT_LIMIT + slot + 1) as unknown as TimerHandle;
  }

  clearTimer(host: SimHost, handle: TimerHandle | undefined): void {
    if (typeof handle !== 'number') return;
    const h = (handle as number) - 1;
    const slot = h % SLOT_LIMIT;
    const q = this.queue;
    if (!(slot >= 0) || slot >= q.kind.length || q.gen[slot]! !== (h - slot) / SLOT_LIMIT) return;
    const kind = q.kind[slot]!;
    if ((kind === K_TIMEOUT || kind === K_INTERVAL) && q.b[slot] === host) q.cancel(slot);
  }

  private scheduleSample(time: number, series: TimeSeries): void {
    const q = this.queue;
    const slot = q.alloc(K_SAMPLE);
    q.a[slot] = series;
    q.push(time, slot);
    this.background++;
  }

  // ---------------------------------------------------------------- running

  /** Marks a run in progress (one at a time); end it with leave(). */
  enter(): void {
    if (this.running) {
      throw new SimulationError(
        'the simulation is already running (await the current run first)',
        'ERR_SIM_RUNNING',
      );
    }
    this.running = true;
  }

  leave(): void {
    this.running = false;
  }

  /**
   * The async loop (run, runUntil): every event of an instant back to back, then a drain of
   * the microtask queue so promise continuations run before time moves. True when `predicate` came to hold.
   */
  async loop(
    until: number,
    maxEvents: number,
    perEvent: boolean,
    predicate?: () => boolean,
  ): Promise<boolean> {
    const q = this.queue;
    let executed = 0;
    let drains = 0;
    // Whatever the caller started before run() may have continuations pending too.
    this.dirty = true;
    for (;;) {
      const t = q.peekTime();
      const stop = executed >= maxEvents || t > until || this.onlyBackgroundLeft(t, until);
      if (stop || t > this.now || perEvent) {
        if (this.dirty) {
          // Let every promise continuation of this instant run before time moves on. The
          // first drain of a run may be called outside a microtask: a macrotask, to be sure.
          this.dirty = false;
          if (drains++ % MACROTASK_EVERY === 0) await macrotask();
          else await microtasksDrained();
          if (this.failure) this.throwFailure();
          if (predicate?.()) return true;
          continue;
        }
        if (stop) break;
        this.now = t;
      }
      const slot = q.pop();
      const kind = q.kind[slot]!;
      this.dispatchGuarded(slot);
      executed++;
      // Uplink and window events never call user code, nor does a segment that only joins a
      // downlink queue (onSegment marks a delivered one): no continuations to wait for.
      if (kind !== K_UPLINK && kind !== K_WAKE && kind !== K_SEGMENT) this.dirty = true;
      if (this.failure) this.throwFailure();
    }
    if (until !== Number.POSITIVE_INFINITY && until > this.now) this.now = until;
    return false;
  }

  /** The synchronous loop (runSync): never yields to the microtask queue. */
  runSync(until: number, maxEvents: number): void {
    const q = this.queue;
    let executed = 0;
    for (;;) {
      const t = q.peekTime();
      if (executed >= maxEvents || t > until || this.onlyBackgroundLeft(t, until)) break;
      this.now = t;
      this.dispatchGuarded(q.pop());
      executed++;
      if (this.failure) this.throwFailure();
    }
    if (until !== Number.POSITIVE_INFINITY && until > this.now) this.now = until;
  }

  /** Runs the next event, if any. */
  step(): boolean {
    const q = this.queue;
    const t = q.peekTime();
    if (t === Number.POSITIVE_INFINITY) return false;
    this.now = t;
    this.dispatchGuarded(q.pop());
    if (this.failure) this.throwFailure();
    return true;
  }

  /** An unbounded run ends when only samplers are left (after finishing the current instant). */
  private onlyBackgroundLeft(next: number, until: number): boolean {
    return (
      until === Number.POSITIVE_INFINITY && this.queue.live === this.background && next > this.now
    );
  }

  // ---------------------------------------------------------------- dispatch

  private dispatchGuarded(slot: number): void {
    try {
      this.dispatch(slot);
    } catch (error) {
      throw this.wrapFailure(error, 'an event');
    }
  }

  private dispatch(slot: number): void {
    const q = this.queue;
    const now = this.now;
    this.events++;
    switch (q.kind[slot]!) {
      case K_TIMEOUT: {
        const host = q.b[slot] as SimHost;
        const callback = q.a[slot] as () => void;
        q.release(slot);
        if (!host.alive_) return;
        this.eventHost = host.index;
        if (this.hashing) this.trace.event(K_TIMEOUT, now, host.index, 0);
        callback();
        return;
      }
      case K_INTERVAL: {
        const host = q.b[slot] as SimHost;
        if (!host.alive_) {
          q.release(slot);
          return;
        }
        const callback = q.a[slot] as () => void;
        q.push(now + q.n[slot]!, slot);
        this.eventHost = host.index;
        if (this.hashing) this.trace.event(K_INTERVAL, now, host.index, 0);
        callback();
        return;
      }
      case K_DATAGRAM:
        this.fabric.deliverDatagram(slot, now);
        return;
      case K_SEGMENT:
      case K_DELIVER: {
        const kind = q.kind[slot]!;
        const pipe = q.a[slot] as Pipe;
        this.eventHost = pipe.dstIndex;
        if (this.hashing) this.trace.event(kind, now, pipe.dstIndex, q.n[slot]!);
        onSegment(this, slot, kind === K_DELIVER);
        return;
      }
      case K_UPLINK: {
        const host = q.a[slot] as SimHost;
        q.release(slot);
        if (!host.alive_) return;
        this.eventHost = host.index;
        if (this.hashing) this.trace.event(K_UPLINK, now, host.index, 0);
        host.link!.uplinkBusy = false;
        serveUplink(host);
        return;
      }
      case K_WAKE: {
        const pipe = q.a[slot] as Pipe;
        q.release(slot);
        this.eventHost = pipe.srcIndex;
        if (this.hashing) this.trace.event(K_WAKE, now, pipe.srcIndex, 0);
        onWake(pipe);
        return;
      }
      case K_CALL: {
        const action = q.a[slot] as () => unknown;
        q.release(slot);
        this.eventHost = -1;
        if (this.hashing) this.trace.event(K_CALL, now, -1, 0);
        const result = action();
        if (result instanceof Promise)
          result.catch((error: unknown) => this.fail(error, 'an at() action'));
        return;
      }
      case K_SAMPLE: {
        const series = q.a[slot] as TimeSeries;
        q.release(slot);
        this.background--;
        this.events--; // Background: not part of the history.
        this.metrics.tick(series);
        return;
      }
      default:
        this.dispatchConnection(slot, now);
    }
  }

  /** Stream control and connection events (rarer than data, kept out of the main switch). */
  private dispatchConnection(slot: number, now: number): void {
    const q = this.queue;
    const kind = q.kind[slot]!;
    const connection = q.a[slot] as SimConnection;
    const port = q.n[slot]!;
    const dst = q.x[slot]!;
    const error = q.b[slot] as Error | undefined;
    q.release(slot);
    this.eventHost = connection.owner.index;
    if (this.hashing) this.trace.event(kind, now, connection.owner.index, port);
    switch (kind) {
      case K_SYN:
        onSyn(this, connection, port, dst);
        return;
      case K_SYNACK:
        onSynAck(this, connection);
        return;
      case K_REFUSED:
        onRefused(connection);
        return;
      case K_RST:
        onReset(connection);
        return;
      case K_FLUSH:
        connection.flushPending = false;
        if (connection.owner.alive_) connection.flush();
        return;
      case K_DRAIN:
        if (connection.owner.alive_) connection.drainNow();
        return;
      case K_CLOSE:
        if (connection.owner.alive_) connection.emit('close', error);
        return;
      default:
        throw new SimulationError(`internal: unknown event kind ${kind}`, 'ERR_SIM_EVENT_FAILED');
    }
  }

  // ---------------------------------------------------------------- failures and logs

  /** Records the first failure of an async callback; the loop throws it. */
  fail(error: unknown, what: string): void {
    this.failure ??= this.wrapFailure(error, what);
  }

  private throwFailure(): never {
    const failure = this.failure!;
    this.failure = undefined;
    throw failure;
  }

  private wrapFailure(error: unknown, what: string): SimulationError {
    if (error instanceof SimulationError && error.code === 'ERR_SIM_EVENT_FAILED') return error;
    const name = this.eventHost >= 0 ? this.fabric.hosts[this.eventHost]?.host : undefined;
    const host = name === undefined ? '' : ` on host ${name}`;
    const message = error instanceof Error ? error.message : String(error);
    return new SimulationError(
      `${what} at t=${this.now}ms${host} threw: ${message}\n  seed=${String(this.seed)} (replay: SEED=${String(this.seed)})`,
      'ERR_SIM_EVENT_FAILED',
      { cause: error },
    );
  }

  private logger(host: string): Logger {
    const sink = this.logSink;
    return createLogger({
      namespace: 'p2pkit',
      debug: this.debug,
      now: () => this.now,
      sink: (record) => sink({ ...record, host }),
    });
  }
}

function defaultSink(record: SimLogRecord): void {
  const time = record.time === undefined ? '' : `${record.time.toFixed(3)}ms `;
  console.error(`${time}${record.host} ${record.namespace} ${record.message}`, ...record.args);
}

const nodeSha1: Hasher = {
  sha1(data: Uint8Array): Uint8Array {
    return new Uint8Array(createHash('sha1').update(data).digest());
  },
};
