import { invalidOption } from './errors.js';

/** A message type as a protocol's classifier names it (e.g. its first byte, or 'FIND_SUCCESSOR'). */
export type MessageType = string | number;

/**
 * Names the type of a message from its bytes; `undefined` for "not classified". Runs once per
 * datagram sent and once per stream write(), so keep it cheap (read a byte or two).
 */
export type Classifier = (
  data: Uint8Array,
  transport: 'datagram' | 'stream',
) => MessageType | undefined;

export interface Traffic {
  messages: number;
  bytes: number;
}

export interface Flow {
  sent: Traffic;
  received: Traffic;
}

/**
 * What one host sent and received. Datagrams: one message per datagram, counted when sent and
 * when delivered to a bound socket. Streams: one message per write() when sent (bytes at
 * write), and per `data` event when received (bytes handed to the application). By type:
 * datagrams both ways, streams on the sending side only (stream chunks have no boundaries).
 */
export interface HostTraffic {
  datagrams: Flow;
  streams: Flow;
  byType: Map<MessageType, Flow>;
}

/** Why datagrams were lost. */
export interface Drops {
  /** Random loss (the loss probability). */
  loss: number;
  /** Sender and receiver in different partition sets. */
  partition: number;
  /** No host at the destination address. */
  unreachable: number;
  /** The destination host is crashed. */
  crashed: number;
  /** Nothing bound at the destination port. */
  noSocket: number;
  /** Refused by a firewalled host: not a reply to what that socket sent (see HostOptions). */
  firewall: number;
  /** Extra copies created by the duplicate probability (not a loss; counted here). */
  duplicated: number;
}

/** Four counters per host, as Float64Arrays indexed by host index (they never overflow 2^53). */
class Counters {
  sentMessages = new Float64Array(0);
  sentBytes = new Float64Array(0);
  receivedMessages = new Float64Array(0);
  receivedBytes = new Float64Array(0);

  ensure(hosts: number): void {
    if (hosts <= this.sentMessages.length) return;
    const capacity = Math.max(hosts, this.sentMessages.length * 2, 64);
    this.sentMessages = grow(this.sentMessages, capacity);
    this.sentBytes = grow(this.sentBytes, capacity);
    this.receivedMessages = grow(this.receivedMessages, capacity);
    this.receivedBytes = grow(this.receivedBytes, capacity);
  }

  flow(host: number): Flow {
    return {
      sent: { messages: this.sentMessages[host] ?? 0, bytes: this.sentBytes[host] ?? 0 },
      received: {
        messages: this.receivedMessages[host] ?? 0,
        bytes: this.receivedBytes[host] ?? 0,
      },
    };
  }

  total(): Flow {
    return {
      sent: { messages: sum(this.sentMessages, 0, 1), bytes: sum(this.sentBytes, 0, 1) },
      received: {
        messages: sum(this.receivedMessages, 0, 1),
        bytes: sum(this.receivedBytes, 0, 1),
      },
    };
  }
}

/**
 * Offsets in the per-host traffic record: 8 counters per host side by side, one cache line,
 * so counting a message costs one memory access per end even with 10^5 hosts.
 */
export const DATAGRAMS_SENT = 0;
export const DATAGRAM_BYTES_SENT = 1;
export const DATAGRAMS_RECEIVED = 2;
export const DATAGRAM_BYTES_RECEIVED = 3;
export const STREAM_WRITES = 4;
export const STREAM_BYTES_SENT = 5;
export const STREAM_CHUNKS_RECEIVED = 6;
export const STREAM_BYTES_RECEIVED = 7;
export const TRAFFIC_STRIDE = 8;

/** Values recorded over a run (hops of a lookup, a latency), with percentiles. */
export class Distribution {
  readonly name: string;
  private values = new Float64Array(64);
  private sorted: Float64Array | undefined;
  count = 0;
  private total = 0;

  constructor(name: string) {
    this.name = name;
  }

  record(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = value;
    this.total += value;
    this.sorted = undefined;
  }

  get mean(): number {
    return this.count === 0 ? Number.NaN : this.total / this.count;
  }

  get min(): number {
    return this.percentile(0);
  }

  get max(): number {
    return this.percentile(100);
  }

  /** The p-th percentile (0..100), nearest-rank; NaN when empty. */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw invalidOption(`percentile must be in [0, 100], got ${p}`);
    if (this.count === 0) return Number.NaN;
    if (!this.sorted) this.sorted = this.values.slice(0, this.count).sort();
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    return this.sorted[rank - 1]!;
  }

  /** Counts per distinct value (for small integer values such as hop counts). */
  histogram(): Map<number, number> {
    const out = new Map<number, number>();
    for (let i = 0; i < this.count; i++) {
      const v = this.values[i]!;
      out.set(v, (out.get(v) ?? 0) + 1);
    }
    return new Map([...out.entries()].sort((x, y) => x[0] - y[0]));
  }

  summary(): {
    count: number;
    mean: number;
    min: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
  } {
    return {
      count: this.count,
      mean: this.mean,
      min: this.min,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      max: this.max,
    };
  }
}

/** One traced operation (a lookup): count its hops, then end() or fail() it. */
export class TraceSpan {
  hops = 0;
  private done = false;

  constructor(
    private readonly trace: Trace,
    readonly startedAt: number,
  ) {}

  hop(n = 1): this {
    this.hops += n;
    return this;
  }

  /** Completed: records hops and latency (virtual ms since start). */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.trace.hops.record(this.hops);
    this.trace.latency.record(this.trace.now() - this.startedAt);
  }

  /** Failed: counted, not recorded in the distributions. */
  fail(): void {
    if (this.done) return;
    this.done = true;
    this.trace.failures++;
  }
}

/** Protocol traces: hops and latency of operations, with percentiles. */
export class Trace {
  readonly hops: Distribution;
  readonly latency: Distribution;
  failures = 0;

  constructor(
    readonly name: string,
    /** @internal */ readonly now: () => number,
  ) {
    this.hops = new Distribution(`${name}.hops`);
    this.latency = new Distribution(`${name}.latency`);
  }

  start(): TraceSpan {
    return new TraceSpan(this, this.now());
  }

  summary(): {
    completed: number;
    failures: number;
    hops: ReturnType<Distribution['summary']>;
    latency: ReturnType<Distribution['summary']>;
  } {
    return {
      completed: this.hops.count,
      failures: this.failures,
      hops: this.hops.summary(),
      latency: this.latency.summary(),
    };
  }
}

/** A value sampled every `everyMs` of virtual time. */
export class TimeSeries {
  readonly times: number[] = [];
  readonly values: number[] = [];
  /** @internal */ active = true;

  constructor(
    readonly name: string,
    readonly everyMs: number,
    /** @internal */ readonly read: () => number,
  ) {}

  stop(): void {
    this.active = false;
  }

  /** [time, value] pairs. */
  points(): [number, number][] {
    return this.times.map((t, i) => [t, this.values[i]!]);
  }
}

/** What Metrics needs from the simulation. */
export interface MetricsClock {
  now(): number;
  /** Schedules a sampler tick (a background event: it does not keep run() going). */
  scheduleSample(time: number, series: TimeSeries): void;
}

/**
 * Traffic counters per host and per message type, drop counters, time series and traces.
 * Counting costs two typed-array increments per message; classification only runs once a
 * classifier is registered; series and traces cost nothing until created.
 */
export class Metrics {
  /** @internal Per-host counters, TRAFFIC_STRIDE per host (see the offsets above). */
  traffic = new Float64Array(0);
  readonly drops: Drops = {
    loss: 0,
    partition: 0,
    unreachable: 0,
    crashed: 0,
    noSocket: 0,
    firewall: 0,
    duplicated: 0,
  };
  /** @internal */ classifier: Classifier | undefined;
  private readonly typeIds = new Map<MessageType, number>();
  private readonly types: MessageType[] = [];
  private readonly typed: Counters[] = [];
  private hostCount = 0;
  private readonly series = new Map<string, TimeSeries>();
  private readonly distributions = new Map<string, Distribution>();
  private readonly traces = new Map<string, Trace>();

  constructor(private readonly clock: MetricsClock) {}

  /** Registers the protocol's message classifier (replaces any previous one). */
  classify(classifier: Classifier | undefined): void {
    this.classifier = classifier;
  }

  /** @internal Grows per-host arrays for `hosts` hosts. */
  ensureHosts(hosts: number): void {
    this.hostCount = Math.max(this.hostCount, hosts);
    if (hosts * TRAFFIC_STRIDE > this.traffic.length) {
      this.traffic = grow(
        this.traffic,
        Math.max(hosts, (this.traffic.length / TRAFFIC_STRIDE) * 2, 64) * TRAFFIC_STRIDE,
      );
    }
    for (const c of this.typed) c.ensure(hosts);
  }

  /** @internal Type id of a message, or -1. */
  typeOf(data: Uint8Array, transport: 'datagram' | 'stream'): number {
    const type = this.classifier!(data, transport);
    if (type === undefined) return -1;
    let id = this.typeIds.get(type);
    if (id === undefined) {
      id = this.types.length;
      this.types.push(type);
      this.typeIds.set(type, id);
      const c = new Counters();
      c.ensure(this.hostCount);
      this.typed.push(c);
    }
    return id;
  }

  /** @internal */
  typedSent(type: number, host: number, bytes: number): void {
    const c = this.typed[type]!;
    c.sentMessages[host]!++;
    c.sentBytes[host]! += bytes;
  }

  /** @internal */
  typedReceived(type: number, host: number, bytes: number): void {
    const c = this.typed[type]!;
    c.receivedMessages[host]!++;
    c.receivedBytes[host]! += bytes;
  }

  /** Traffic of one host (a SimHost, or its index). Restarts of an address add up. */
  host(host: number | { readonly index: number }): HostTraffic {
    const index = typeof host === 'number' ? host : host.index;
    const byType = new Map<MessageType, Flow>();
    this.typed.forEach((c, i) => {
      const flow = c.flow(index);
      if (flow.sent.messages + flow.received.messages > 0) byType.set(this.types[i]!, flow);
    });
    return { datagrams: this.flow(index, 0), streams: this.flow(index, STREAM_WRITES), byType };
  }

  /** Traffic summed over all hosts. */
  totals(): { datagrams: Flow; streams: Flow } {
    const t = this.traffic;
    const total = (offset: number): Flow => ({
      sent: { messages: sum(t, offset, TRAFFIC_STRIDE), bytes: sum(t, offset + 1, TRAFFIC_STRIDE) },
      received: {
        messages: sum(t, offset + 2, TRAFFIC_STRIDE),
        bytes: sum(t, offset + 3, TRAFFIC_STRIDE),
      },
    });
    return { datagrams: total(0), streams: total(STREAM_WRITES) };
  }

  private flow(index: number, offset: number): Flow {
    const t = this.traffic;
    const base = index * TRAFFIC_STRIDE + offset;
    return {
      sent: { messages: t[base] ?? 0, bytes: t[base + 1] ?? 0 },
      received: { messages: t[base + 2] ?? 0, bytes: t[base + 3] ?? 0 },
    };
  }

  /** Traffic per message type, summed over hosts. */
  byType(): Map<MessageType, Flow> {
    const out = new Map<MessageType, Flow>();
    this.typed.forEach((c, i) => {
      out.set(this.types[i]!, c.total());
    });
    return out;
  }

  /**
   * Samples `read()` now and then every `everyMs` of virtual time until stop(). Sampling is a
   * background activity: it neither keeps run() alive nor enters the trace hash.
   */
  sample(name: string, everyMs: number, read: () => number): TimeSeries {
    if (!(everyMs > 0)) throw invalidOption(`sample interval must be > 0 ms, got ${everyMs}`);
    if (this.series.has(name)) throw invalidOption(`time series ${name} exists already`);
    const series = new TimeSeries(name, everyMs, read);
    this.series.set(name, series);
    this.tick(series);
    return series;
  }

  /** @internal Records one sample and schedules the next. */
  tick(series: TimeSeries): void {
    if (!series.active) return;
    const now = this.clock.now();
    series.times.push(now);
    series.values.push(series.read());
    this.clock.scheduleSample(now + series.everyMs, series);
  }

  /** A named distribution (created on first use). */
  distribution(name: string): Distribution {
    let d = this.distributions.get(name);
    if (!d) {
      d = new Distribution(name);
      this.distributions.set(name, d);
    }
    return d;
  }

  /** A named trace (created on first use): `trace('lookup').start()` → span.hop(); span.end(). */
  trace(name: string): Trace {
    let t = this.traces.get(name);
    if (!t) {
      t = new Trace(name, () => this.clock.now());
      this.traces.set(name, t);
    }
    return t;
  }

  /** Everything, as plain data (for a report file). */
  report(): Record<string, unknown> {
    return {
      totals: this.totals(),
      byType: Object.fromEntries(this.byType()),
      drops: { ...this.drops },
      distributions: Object.fromEntries([...this.distributions].map(([k, d]) => [k, d.summary()])),
      traces: Object.fromEntries([...this.traces].map(([k, t]) => [k, t.summary()])),
      series: Object.fromEntries([...this.series].map(([k, s]) => [k, s.points()])),
    };
  }
}

function sum(values: Float64Array, start: number, stride: number): number {
  let total = 0;
  for (let i = start; i < values.length; i += stride) total += values[i]!;
  return total;
}

function grow(from: Float64Array, capacity: number): Float64Array<ArrayBuffer> {
  const to = new Float64Array(capacity);
  to.set(from);
  return to;
}
