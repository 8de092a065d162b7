import {
  type Address,
  abortErrorFrom,
  type Connection,
  type ConnectionEvents,
  type DialOptions,
  Emitter,
  NetworkError,
  TimeoutError,
  type TimerHandle,
} from '@p2pkit/core';
import { FIREWALL_OPEN, FIREWALL_REFUSE } from './firewall.js';
import type { SimHost } from './host.js';
import {
  K_CLOSE,
  K_DELIVER,
  K_DRAIN,
  K_FLUSH,
  K_REFUSED,
  K_RST,
  K_SEGMENT,
  K_SYN,
  K_SYNACK,
  K_UPLINK,
  K_WAKE,
} from './kinds.js';
import {
  STREAM_BYTES_RECEIVED,
  STREAM_BYTES_SENT,
  STREAM_CHUNKS_RECEIVED,
  STREAM_WRITES,
  TRAFFIC_STRIDE,
} from './metrics.js';
import type { Simulation } from './simulation.js';

/**
 * Simulated TCP-like streams.
 *
 * A connection is two Pipes, one per direction. A pipe holds the bytes its writer handed over,
 * from the first byte the reader has not consumed to the last byte written, and four counters
 * split them: [consumed, delivered) wait in the receive buffer (reader paused or not listening
 * yet), [delivered, serialized) are in flight, [serialized, written) are queued at the sender
 * (`writableLength`). Bytes are never copied on the way, except to merge pieces of several
 * writes into one `data` chunk.
 *
 * Time model (see README, "Bandwidth model"):
 * - the sender's uplink serializes segments of at most `segmentSize` bytes, one at a time, at
 *   the host's upload rate, taking them round-robin from every pipe that has data and window
 *   (so concurrent connections share the upload fairly, by segment);
 * - a segment then travels the link's latency (per-pipe arrivals never overtake each other);
 * - the receiver's downlink is a FIFO queue drained at the host's download rate;
 * - flow control: at most `window` bytes per pipe may be sent and not yet consumed by the
 *   reading application; consumption is acknowledged after the reverse latency. A paused
 *   reader therefore stops the sender, whose queue then grows past the high-water mark
 *   (write() → false) until the reader resumes ('drain').
 * Unlimited bandwidth (the default) skips the uplink and downlink queues, not the window.
 */

const FIN_NONE = 0;
const FIN_QUEUED = 1;
const FIN_SENT = 2;
const EMPTY = new Uint8Array(0);

/** One direction of a connection: writer `src` to reader `dst`. */
export class Pipe {
  readonly sim: Simulation;
  readonly src: SimConnection;
  readonly srcHost: SimHost;
  readonly srcIndex: number;
  readonly dstIndex: number;
  /** The reading end; set when the connection is accepted. */
  dst: SimConnection | undefined;

  /** Byte FIFO from `consumed` to `written`. */
  buf: Uint8Array[] = [];
  head = 0;
  headOffset = 0;
  written = 0;
  serialized = 0;
  delivered = 0;
  consumed = 0;
  /** Consumption the sender knows of (acknowledged). */
  acked = 0;
  /** Pending acknowledgements: arrival times and cumulative consumed counts. */
  ackTimes: number[] = [];
  ackValues: number[] = [];
  ackHead = 0;
  lastAck = 0;
  /** Arrival time of the latest segment: later ones never arrive earlier. */
  lastArrival = 0;
  fin = FIN_NONE;
  finArrived = false;
  /** Nothing more is sent (writer destroyed, reset, or crashed). */
  reset = false;
  inRing = false;
  wakePending = false;
  waitingAck = false;
  stalled = false;

  constructor(src: SimConnection, dstIndex: number) {
    this.src = src;
    this.srcHost = src.owner;
    this.sim = src.owner.sim;
    this.srcIndex = src.owner.index;
    this.dstIndex = dstIndex;
  }
}

interface PendingDial {
  resolve: (connection: Connection) => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** One end of a simulated stream connection. */
export class SimConnection extends Emitter<ConnectionEvents> implements Connection {
  readonly localAddress: Address;
  readonly remoteAddress: Address;
  /** @internal */ readonly owner: SimHost;
  /** @internal */ out!: Pipe;
  /** @internal */ in!: Pipe;
  /** @internal */ destroyed_ = false;
  /** @internal end() was called. */
  ended = false;
  /** @internal */ endEmitted = false;
  /** @internal */ closeEmitted = false;
  /** @internal A 'data' listener exists or resume() was called. */
  flowing = false;
  /** @internal */ paused = false;
  /** @internal */ flushPending = false;
  /** @internal write() returned false; 'drain' is owed. */
  needDrain = false;
  /** @internal */ drainPending = false;
  /** @internal This end dialed: its local port is its own, to free on close. */
  readonly dialer: boolean;
  /** @internal Dial in progress (dialer only). */
  dialing: PendingDial | undefined;
  /** @internal The dial gave up (timeout, abort): a late SYN-ACK gets a reset. */
  abandoned = false;
  /** @internal A reset arrived before the first 'data' listener: 'close' waits for one. */
  pendingReset: Error | undefined;

  /** @internal */
  constructor(owner: SimHost, local: Address, remote: Address, dialer: boolean) {
    super();
    this.owner = owner;
    this.localAddress = local;
    this.remoteAddress = remote;
    this.dialer = dialer;
  }

  get writableLength(): number {
    return this.destroyed_ ? 0 : this.out.written - this.out.serialized;
  }

  get destroyed(): boolean {
    return this.destroyed_;
  }

  override on<K extends keyof ConnectionEvents>(
    event: K,
    listener: (...args: ConnectionEvents[K]) => void,
  ): this {
    super.on(event, listener);
    // As node:net: bytes wait until someone listens, so none are lost between dial() resolving
    // and the caller subscribing.
    if (event === 'data' && !this.flowing) this.startFlowing();
    return this;
  }

  write(data: Uint8Array): boolean {
    if (this.destroyed_ || this.ended) return false;
    const out = this.out;
    const length = data.length;
    if (length > 0) {
      out.buf.push(data);
      out.written += length;
      const sim = out.sim;
      const metrics = sim.metrics;
      const index = out.srcIndex;
      const at = index * TRAFFIC_STRIDE;
      metrics.traffic[at + STREAM_WRITES]!++;
      metrics.traffic[at + STREAM_BYTES_SENT]! += length;
      if (metrics.classifier) {
        const type = metrics.typeOf(data, 'stream');
        if (type >= 0) metrics.typedSent(type, index, length);
      }
      pump(out);
    }
    if (out.written - out.serialized < out.sim.highWaterMark) return true;
    this.needDrain = true;
    return false;
  }

  end(): void {
    if (this.destroyed_ || this.ended) return;
    this.ended = true;
    this.out.fin = FIN_QUEUED;
    pump(this.out);
  }

  destroy(error?: Error): void {
    if (this.destroyed_) return;
    this.shutDown();
    const peer = this.in.src === this ? undefined : this.in.src;
    if (peer) sendReset(this.owner.sim, this, peer);
    this.scheduleClose(error);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.startFlowing();
  }

  /** @internal Data (and a reset that came before anyone listened) may now be emitted. */
  startFlowing(): void {
    this.flowing = true;
    const reset = this.pendingReset;
    if (reset) {
      this.pendingReset = undefined;
      this.scheduleClose(reset);
    } else this.scheduleFlush();
  }

  /** @internal Emits what the receive buffer holds, then 'end' once the peer's FIN is reached. */
  flush(): void {
    const pipe = this.in;
    const sim = pipe.sim;
    let consumedBefore = pipe.consumed;
    while (this.flowing && !this.paused && !this.destroyed_ && pipe.consumed < pipe.delivered) {
      const chunk = take(pipe, pipe.delivered - pipe.consumed, sim.coalesce);
      const metrics = sim.metrics;
      const index = pipe.dstIndex;
      const at = index * TRAFFIC_STRIDE;
      metrics.traffic[at + STREAM_CHUNKS_RECEIVED]!++;
      metrics.traffic[at + STREAM_BYTES_RECEIVED]! += chunk.length;
      if (sim.hashPayloads) sim.trace.bytes(chunk);
      this.emit('data', chunk);
    }
    if (pipe.consumed !== consumedBefore && !this.destroyed_) {
      consumedBefore = pipe.consumed;
      acknowledge(pipe);
    }
    if (
      pipe.finArrived &&
      !this.endEmitted &&
      pipe.consumed === pipe.delivered &&
      this.flowing &&
      !this.paused &&
      !this.destroyed_
    ) {
      this.endEmitted = true;
      this.emit('end');
      this.maybeClose();
    }
  }

  /** @internal Both directions finished cleanly: FIN sent and FIN received. */
  maybeClose(): void {
    if (this.endEmitted && this.out.fin === FIN_SENT && !this.destroyed_) {
      this.destroyed_ = true;
      this.release();
      this.scheduleClose(undefined);
    }
  }

  /** @internal Stops both directions without telling anyone (destroy, reset, crash). */
  shutDown(): void {
    this.destroyed_ = true;
    const out = this.out;
    out.reset = true;
    out.written = out.serialized;
    const inbound = this.in;
    if (inbound) {
      inbound.reset = true;
      inbound.buf = [];
      inbound.head = 0;
      inbound.headOffset = 0;
      inbound.consumed = inbound.delivered;
    }
    this.release();
  }

  /** @internal Forgets this connection in its host's tables. */
  release(): void {
    const owner = this.owner;
    owner.connections?.delete(this);
    if (this.dialer) owner.tcpPorts?.delete(this.localAddress.port);
  }

  /** @internal */
  scheduleClose(error: Error | undefined): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    const sim = this.owner.sim;
    const q = sim.queue;
    const slot = q.alloc(K_CLOSE);
    q.a[slot] = this;
    q.b[slot] = error;
    q.push(sim.now, slot);
  }

  /** @internal */
  scheduleFlush(): void {
    if (this.flushPending || this.destroyed_ || !this.in) return;
    this.flushPending = true;
    const sim = this.owner.sim;
    const q = sim.queue;
    const slot = q.alloc(K_FLUSH);
    q.a[slot] = this;
    q.push(sim.now, slot);
  }

  /** @internal */
  scheduleDrain(): void {
    if (this.drainPending) return;
    this.drainPending = true;
    const sim = this.owner.sim;
    const q = sim.queue;
    const slot = q.alloc(K_DRAIN);
    q.a[slot] = this;
    q.push(sim.now, slot);
  }

  /** @internal K_DRAIN: emit 'drain' if it is still owed. */
  drainNow(): void {
    this.drainPending = false;
    if (this.destroyed_ || !this.needDrain) return;
    const out = this.out;
    if (out.written - out.serialized >= out.sim.highWaterMark) return;
    this.needDrain = false;
    this.emit('drain');
  }

  /** @internal The dial failed or gave up (timeout, abort, refused). */
  failDial(error: Error): void {
    const pending = this.dialing;
    if (!pending) return;
    this.dialing = undefined;
    this.abandoned = true;
    this.owner.sim.clearTimer(this.owner, pending.timer);
    pending.signal?.removeEventListener('abort', pending.onAbort!);
    this.release();
    pending.reject(error);
  }
}

/** Opens a connection from `owner` to `address` (Network.dial of a simulated host). */
export function dial(owner: SimHost, address: Address, options: DialOptions): Promise<Connection> {
  const sim = owner.sim;
  const dst = sim.indexOf(address.host);
  if (dst === undefined) {
    return Promise.reject(
      new NetworkError(
        `no route to host ${address.host}: no simulated host has this address`,
        'ERR_HOST_UNREACHABLE',
      ),
    );
  }
  if (!(Number.isInteger(address.port) && address.port > 0 && address.port <= 65535)) {
    return Promise.reject(new NetworkError(`invalid port ${address.port}`, 'ERR_NETWORK'));
  }
  const tcp = (owner.tcpPorts ??= new Set());
  const listeners = owner.listeners;
  const port = owner.ephemeralPort((p) => tcp.has(p) || (listeners?.has(p) ?? false));
  if (port === 0) {
    return Promise.reject(
      new NetworkError(`no free ephemeral port on ${owner.host}`, 'ERR_ADDRESS_IN_USE'),
    );
  }
  tcp.add(port);
  const connection = new SimConnection(
    owner,
    Object.freeze({ host: owner.host, port }),
    Object.freeze({ host: address.host, port: address.port }),
    true,
  );
  connection.out = new Pipe(connection, dst);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const signal = options.signal;
  return new Promise<Connection>((resolve, reject) => {
    const timer = sim.timer(
      owner,
      () =>
        connection.failDial(
          new TimeoutError(`dial ${address.host}:${address.port} timed out after ${timeoutMs} ms`),
        ),
      timeoutMs,
      false,
    );
    const onAbort = signal ? () => connection.failDial(abortErrorFrom(signal)) : undefined;
    connection.dialing = { resolve, reject, timer, signal, onAbort };
    if (signal) signal.addEventListener('abort', onAbort!, { once: true });
    const q = sim.queue;
    const slot = q.alloc(K_SYN);
    q.a[slot] = connection;
    q.n[slot] = address.port;
    sim.route(slot, owner.index, dst, true, 0);
  });
}

/** K_SYN at the listening host: accept, or refuse. */
export function onSyn(
  sim: Simulation,
  client: SimConnection,
  port: number,
  serverIndex: number,
): void {
  const server = sim.hostAt(serverIndex);
  if (!server.alive_) return; // A dead host answers nothing: the dial times out.
  const firewall = sim.firewallOf(serverIndex);
  if (firewall !== FIREWALL_OPEN && client.owner.index !== serverIndex) {
    // Nothing inbound is forwarded: the router resets the SYN, or drops it (see firewall.ts).
    if (firewall === FIREWALL_REFUSE) {
      sim.sendControl(K_REFUSED, client, serverIndex, client.owner.index, 0);
    }
    return;
  }
  const listener = server.listeners?.get(port);
  if (!listener) {
    sim.sendControl(K_REFUSED, client, serverIndex, client.owner.index, 0);
    return;
  }
  const connection = new SimConnection(server, listener.address, client.localAddress, false);
  const c2s = client.out;
  c2s.dst = connection;
  const s2c = new Pipe(connection, client.owner.index);
  s2c.dst = client;
  connection.out = s2c;
  connection.in = c2s;
  client.in = s2c;
  (server.connections ??= new Set()).add(connection);
  sendSynAck(sim, client, serverIndex);
  listener.onConnection(connection);
}

/** Sends (or re-sends after a hold) the SYN-ACK: the server's data may not overtake it. */
export function sendSynAck(sim: Simulation, client: SimConnection, serverIndex: number): void {
  const t = sim.sendControl(K_SYNACK, client, serverIndex, client.owner.index, 0);
  if (t >= 0 && client.in.lastArrival < t) client.in.lastArrival = t;
}

/** K_SYNACK at the dialer. */
export function onSynAck(sim: Simulation, client: SimConnection): void {
  const pending = client.dialing;
  if (!client.owner.alive_ || !pending) {
    // Nobody waits for this connection any more (dialer crashed, timed out or aborted).
    const server = client.out.dst;
    client.shutDown();
    if (server) sendReset(sim, client, server);
    return;
  }
  client.dialing = undefined;
  sim.clearTimer(client.owner, pending.timer);
  pending.signal?.removeEventListener('abort', pending.onAbort!);
  (client.owner.connections ??= new Set()).add(client);
  pending.resolve(client);
}

/** K_REFUSED at the dialer. */
export function onRefused(client: SimConnection): void {
  if (!client.owner.alive_) return;
  const { host, port } = client.remoteAddress;
  client.failDial(
    new NetworkError(`connection refused: ${host}:${port}`, 'ERR_CONNECTION_REFUSED'),
  );
}

/** K_RST at `target`. */
export function onReset(target: SimConnection): void {
  if (!target.owner.alive_ || target.destroyed_) return;
  target.shutDown();
  const error = new NetworkError('connection reset by peer', 'ERR_CONNECTION_RESET');
  // As bytes and FIN, a reset waits for the application to start reading.
  if (!target.flowing) {
    target.pendingReset = error;
    return;
  }
  target.closeEmitted = true;
  target.emit('close', error);
}

/** Sends a reset from `from` to `to`, after every segment `from` already sent. */
export function sendReset(sim: Simulation, from: SimConnection, to: SimConnection): void {
  sim.sendControl(K_RST, to, from.owner.index, to.owner.index, from.out.lastArrival);
}

/** A host crashed: its connections vanish; their peers get a reset. */
export function crashConnections(sim: Simulation, connections: Iterable<SimConnection>): void {
  for (const connection of [...connections]) {
    if (connection.destroyed_) continue;
    connection.shutDown();
    const peer = connection.in?.src;
    if (peer && peer !== connection) sendReset(sim, connection, peer);
  }
}

/** Data was written or FIN queued, or credit may have come back: send what may be sent. */
export function pump(pipe: Pipe): void {
  if (pipe.reset) return;
  const host = pipe.srcHost;
  if (host.upload === Number.POSITIVE_INFINITY) {
    sendUnlimited(pipe);
    return;
  }
  if (!pipe.inRing) {
    (host.ring ??= []).push(pipe);
    pipe.inRing = true;
  }
  if (!host.uplinkBusy) serveUplink(host);
}

/** Unlimited upload: every segment the window allows leaves now. */
function sendUnlimited(pipe: Pipe): void {
  const sim = pipe.sim;
  if (sim.rules && sim.blocked(pipe.srcIndex, pipe.dstIndex)) {
    stall(pipe);
    return;
  }
  const now = sim.now;
  refreshAcks(pipe, now);
  const segment = sim.segmentSize;
  const window = sim.window;
  for (;;) {
    const queued = pipe.written - pipe.serialized;
    if (queued > 0) {
      const credit = window - (pipe.serialized - pipe.acked);
      if (credit <= 0) {
        waitForAck(pipe);
        break;
      }
      const size = Math.min(queued, credit, segment);
      emitSegment(pipe, size, now, size === queued && pipe.fin === FIN_QUEUED);
    } else {
      if (pipe.fin === FIN_QUEUED) emitSegment(pipe, 0, now, true);
      break;
    }
  }
  afterSend(pipe);
}

/** Finite upload: serialize the next segment, round-robin over the host's busy pipes. */
export function serveUplink(host: SimHost): void {
  const ring = host.ring;
  const sim = host.sim;
  const now = sim.now;
  while (ring && ring.length > 0) {
    if (host.ringNext >= ring.length) host.ringNext = 0;
    const i = host.ringNext;
    const pipe = ring[i]!;
    if (pipe.reset) {
      removeFromRing(ring, i, pipe);
      continue;
    }
    if (sim.rules && sim.blocked(pipe.srcIndex, pipe.dstIndex)) {
      removeFromRing(ring, i, pipe);
      stall(pipe);
      continue;
    }
    refreshAcks(pipe, now);
    const queued = pipe.written - pipe.serialized;
    let size = 0;
    let fin = false;
    if (queued > 0) {
      const credit = sim.window - (pipe.serialized - pipe.acked);
      if (credit <= 0) {
        removeFromRing(ring, i, pipe);
        waitForAck(pipe);
        continue;
      }
      size = Math.min(queued, credit, sim.segmentSize);
      fin = size === queued && pipe.fin === FIN_QUEUED;
    } else if (pipe.fin === FIN_QUEUED) {
      fin = true;
    } else {
      removeFromRing(ring, i, pipe);
      continue;
    }
    const done = now + (size * 1000) / host.upload;
    emitSegment(pipe, size, done, fin);
    if (pipe.written === pipe.serialized && pipe.fin !== FIN_QUEUED) removeFromRing(ring, i, pipe);
    else host.ringNext = i + 1;
    host.uplinkBusy = true;
    const q = sim.queue;
    const slot = q.alloc(K_UPLINK);
    q.a[slot] = host;
    q.push(done, slot);
    afterSend(pipe);
    return;
  }
  host.uplinkBusy = false;
}

function removeFromRing(ring: Pipe[], i: number, pipe: Pipe): void {
  ring.splice(i, 1);
  pipe.inRing = false;
}

/** Puts a segment on the wire; it arrives after the link latency, never before its predecessor. */
function emitSegment(pipe: Pipe, size: number, sentAt: number, fin: boolean): void {
  pipe.serialized += size;
  if (fin) pipe.fin = FIN_SENT;
  const sim = pipe.sim;
  let t = sentAt + sim.delay(pipe.srcIndex, pipe.dstIndex);
  if (t < pipe.lastArrival) t = pipe.lastArrival;
  pipe.lastArrival = t;
  const q = sim.queue;
  const slot = q.alloc(K_SEGMENT);
  q.a[slot] = pipe;
  q.n[slot] = size;
  q.x[slot] = fin ? 1 : 0;
  q.push(t, slot);
}

function afterSend(pipe: Pipe): void {
  const writer = pipe.src;
  if (writer.needDrain && pipe.written - pipe.serialized < pipe.sim.highWaterMark)
    writer.scheduleDrain();
  if (pipe.fin === FIN_SENT) writer.maybeClose();
}

/** A segment arrives at the receiver's access link (K_SEGMENT) or leaves its downlink (K_DELIVER). */
export function onSegment(sim: Simulation, slot: number, queued: boolean): void {
  const q = sim.queue;
  const pipe = q.a[slot] as Pipe;
  const size = q.n[slot]!;
  const fin = q.x[slot]! === 1;
  const reader = pipe.dst;
  if (!reader || reader.destroyed_ || !reader.owner.alive_) {
    q.release(slot);
    return;
  }
  const host = reader.owner;
  if (!queued && host.download !== Number.POSITIVE_INFINITY) {
    let t = host.downlinkFree;
    if (t < sim.now) t = sim.now;
    t += (size * 1000) / host.download;
    host.downlinkFree = t;
    q.kind[slot] = K_DELIVER;
    q.push(t, slot);
    return;
  }
  q.release(slot);
  pipe.delivered += size;
  if (fin) pipe.finArrived = true;
  sim.dirty = true; // the reader's listeners run
  reader.flush();
}

/** The reader consumed bytes: the sender learns of it one reverse latency later. */
function acknowledge(pipe: Pipe): void {
  const sim = pipe.sim;
  let t = sim.now + sim.delay(pipe.dstIndex, pipe.srcIndex);
  if (t < pipe.lastAck) t = pipe.lastAck;
  pipe.lastAck = t;
  pipe.ackTimes.push(t);
  pipe.ackValues.push(pipe.consumed);
  if (pipe.waitingAck && !pipe.wakePending) {
    pipe.waitingAck = false;
    scheduleWake(pipe, t);
  }
}

function refreshAcks(pipe: Pipe, now: number): void {
  const times = pipe.ackTimes;
  let h = pipe.ackHead;
  const n = times.length;
  while (h < n && times[h]! <= now) {
    pipe.acked = pipe.ackValues[h]!;
    h++;
  }
  if (h === n) {
    if (n > 0) {
      times.length = 0;
      pipe.ackValues.length = 0;
    }
    h = 0;
  } else if (h > 1024) {
    times.splice(0, h);
    pipe.ackValues.splice(0, h);
    h = 0;
  }
  pipe.ackHead = h;
}

function waitForAck(pipe: Pipe): void {
  if (pipe.wakePending) return;
  if (pipe.ackHead < pipe.ackTimes.length) scheduleWake(pipe, pipe.ackTimes[pipe.ackHead]!);
  else pipe.waitingAck = true;
}

function scheduleWake(pipe: Pipe, time: number): void {
  pipe.wakePending = true;
  const q = pipe.sim.queue;
  const slot = q.alloc(K_WAKE);
  q.a[slot] = pipe;
  q.push(time, slot);
}

/** K_WAKE. */
export function onWake(pipe: Pipe): void {
  pipe.wakePending = false;
  pump(pipe);
}

/** The link is partitioned or held: the pipe waits (as TCP retransmitting) until it clears. */
function stall(pipe: Pipe): void {
  if (pipe.stalled) return;
  pipe.stalled = true;
  pipe.sim.stalled.push(pipe);
}

/** Re-tries stalled pipes after heal() or release(). */
export function unstall(pipes: Pipe[]): void {
  for (const pipe of pipes) {
    pipe.stalled = false;
    pump(pipe);
  }
}

/**
 * Takes up to `max` bytes from the head of the pipe's FIFO: the head piece (or a view of it)
 * when `coalesce` is off or it suffices, else one merged copy of `max` bytes.
 */
function take(pipe: Pipe, max: number, coalesce: boolean): Uint8Array {
  const buf = pipe.buf;
  let chunk = buf[pipe.head]!;
  let offset = pipe.headOffset;
  const available = chunk.length - offset;
  if (available >= max || !coalesce) {
    const n = Math.min(available, max);
    const out = offset === 0 && n === chunk.length ? chunk : chunk.subarray(offset, offset + n);
    advance(pipe, n);
    return out;
  }
  const out = new Uint8Array(max);
  let filled = 0;
  while (filled < max) {
    chunk = buf[pipe.head]!;
    offset = pipe.headOffset;
    const n = Math.min(chunk.length - offset, max - filled);
    out.set(n === chunk.length ? chunk : chunk.subarray(offset, offset + n), filled);
    filled += n;
    advance(pipe, n);
  }
  return out;
}

function advance(pipe: Pipe, n: number): void {
  pipe.consumed += n;
  const buf = pipe.buf;
  let offset = pipe.headOffset + n;
  let head = pipe.head;
  while (head < buf.length && offset >= buf[head]!.length) {
    offset -= buf[head]!.length;
    buf[head] = EMPTY;
    head++;
  }
  if (head === buf.length) {
    buf.length = 0;
    head = 0;
  } else if (head > 1024 && head * 2 > buf.length) {
    buf.splice(0, head);
    head = 0;
  }
  pipe.head = head;
  pipe.headOffset = offset;
}
