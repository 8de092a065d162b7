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
import type { Engine } from './engine.js';
import { FIREWALL_OPEN, FIREWALL_REFUSE } from './firewall.js';
import type { SimHost } from './host.js';
import { K_CLOSE, K_DRAIN, K_FLUSH, K_REFUSED, K_RST, K_SYN, K_SYNACK } from './kinds.js';
import {
  STREAM_BYTES_RECEIVED,
  STREAM_BYTES_SENT,
  STREAM_CHUNKS_RECEIVED,
  STREAM_WRITES,
  TRAFFIC_STRIDE,
} from './metrics.js';
import { acknowledge, FIN_QUEUED, FIN_SENT, Pipe, pump, take } from './pipe.js';
import { portGet } from './ports.js';

/**
 * Simulated TCP-like connections: the handshake (SYN, SYN-ACK, refusal), the two ends' events
 * (data, end, drain, close), resets and crashes. The bytes travel in Pipes (pipe.ts).
 */

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
      const engine = out.engine;
      const metrics = engine.metrics;
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
    if (out.written - out.serialized < out.engine.highWaterMark) return true;
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
    if (peer) sendReset(this.owner.engine, this, peer);
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
    const engine = pipe.engine;
    let consumedBefore = pipe.consumed;
    while (this.flowing && !this.paused && !this.destroyed_ && pipe.consumed < pipe.delivered) {
      const chunk = take(pipe, pipe.delivered - pipe.consumed, engine.coalesce);
      const metrics = engine.metrics;
      const index = pipe.dstIndex;
      const at = index * TRAFFIC_STRIDE;
      metrics.traffic[at + STREAM_CHUNKS_RECEIVED]!++;
      metrics.traffic[at + STREAM_BYTES_RECEIVED]! += chunk.length;
      if (engine.hashPayloads) engine.trace.bytes(chunk);
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
    const engine = this.owner.engine;
    const q = engine.queue;
    const slot = q.alloc(K_CLOSE);
    q.a[slot] = this;
    q.b[slot] = error;
    q.push(engine.now, slot);
  }

  /** @internal */
  scheduleFlush(): void {
    if (this.flushPending || this.destroyed_ || !this.in) return;
    this.flushPending = true;
    const engine = this.owner.engine;
    const q = engine.queue;
    const slot = q.alloc(K_FLUSH);
    q.a[slot] = this;
    q.push(engine.now, slot);
  }

  /** @internal */
  scheduleDrain(): void {
    if (this.drainPending) return;
    this.drainPending = true;
    const engine = this.owner.engine;
    const q = engine.queue;
    const slot = q.alloc(K_DRAIN);
    q.a[slot] = this;
    q.push(engine.now, slot);
  }

  /** @internal K_DRAIN: emit 'drain' if it is still owed. */
  drainNow(): void {
    this.drainPending = false;
    if (this.destroyed_ || !this.needDrain) return;
    const out = this.out;
    if (out.written - out.serialized >= out.engine.highWaterMark) return;
    this.needDrain = false;
    this.emit('drain');
  }

  /** @internal The dial failed or gave up (timeout, abort, refused). */
  failDial(error: Error): void {
    const pending = this.dialing;
    if (!pending) return;
    this.dialing = undefined;
    this.abandoned = true;
    this.owner.engine.clearTimer(this.owner, pending.timer);
    pending.signal?.removeEventListener('abort', pending.onAbort!);
    this.release();
    pending.reject(error);
  }
}

/** Opens a connection from `owner` to `address` (Network.dial of a simulated host). */
export function dial(owner: SimHost, address: Address, options: DialOptions): Promise<Connection> {
  const engine = owner.engine;
  const dst = engine.fabric.indexOf(address.host);
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
  const port = owner.ephemeralPort((p) => tcp.has(p) || portGet(listeners, p) !== undefined);
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
    const timer = engine.timer(
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
    const q = engine.queue;
    const slot = q.alloc(K_SYN);
    q.a[slot] = connection;
    q.n[slot] = address.port;
    engine.fabric.route(slot, owner.index, dst, true, 0);
  });
}

/** K_SYN at the listening host: accept, or refuse. */
export function onSyn(
  engine: Engine,
  client: SimConnection,
  port: number,
  serverIndex: number,
): void {
  const server = engine.fabric.hostAt(serverIndex);
  if (!server.alive_) return; // A dead host answers nothing: the dial times out.
  const firewall = engine.fabric.firewallOf(serverIndex);
  if (firewall !== FIREWALL_OPEN && client.owner.index !== serverIndex) {
    // Nothing inbound is forwarded: the router resets the SYN, or drops it (see firewall.ts).
    if (firewall === FIREWALL_REFUSE) {
      engine.fabric.sendControl(K_REFUSED, client, serverIndex, client.owner.index, 0);
    }
    return;
  }
  const listener = portGet(server.listeners, port);
  if (!listener) {
    engine.fabric.sendControl(K_REFUSED, client, serverIndex, client.owner.index, 0);
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
  sendSynAck(engine, client, serverIndex);
  listener.onConnection(connection);
}

/** Sends (or re-sends after a hold) the SYN-ACK: the server's data may not overtake it. */
export function sendSynAck(engine: Engine, client: SimConnection, serverIndex: number): void {
  const t = engine.fabric.sendControl(K_SYNACK, client, serverIndex, client.owner.index, 0);
  if (t >= 0 && client.in.lastArrival < t) client.in.lastArrival = t;
}

/** K_SYNACK at the dialer. */
export function onSynAck(engine: Engine, client: SimConnection): void {
  const pending = client.dialing;
  if (!client.owner.alive_ || !pending) {
    // Nobody waits for this connection any more (dialer crashed, timed out or aborted).
    const server = client.out.dst;
    client.shutDown();
    if (server) sendReset(engine, client, server);
    return;
  }
  client.dialing = undefined;
  engine.clearTimer(client.owner, pending.timer);
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
export function sendReset(engine: Engine, from: SimConnection, to: SimConnection): void {
  engine.fabric.sendControl(K_RST, to, from.owner.index, to.owner.index, from.out.lastArrival);
}

/** A host crashed: its connections vanish; their peers get a reset. */
export function crashConnections(engine: Engine, connections: Iterable<SimConnection>): void {
  for (const connection of [...connections]) {
    if (connection.destroyed_) continue;
    connection.shutDown();
    const peer = connection.in?.src;
    if (peer && peer !== connection) sendReset(engine, connection, peer);
  }
}
