import { createManualClock, type ManualClock } from '../clock-manual.js';
import { allocBytes } from '../codec/alloc.js';
import { abortErrorFrom, NetworkError, TimeoutError } from '../errors.js';
import { createLogger } from '../log.js';
import { createRandom, type Seed } from '../random.js';
import type {
  Address,
  BindOptions,
  Clock,
  Connection,
  DatagramHandler,
  DatagramSocket,
  DialOptions,
  Listener,
  ListenOptions,
  Network,
  Runtime,
  TimerHandle,
} from '../runtime.js';
import { sha1 } from '../sha1.js';
import { MemoryConnection } from './connection.js';

export interface MemoryNetworkOptions<C extends Clock = ManualClock> {
  /** Largest datagram accepted by send() (default 65,507, as UDP over IPv4). */
  maxDatagramSize?: number;
  /** Unconsumed bytes at which a stream's write() returns false (default 64 KiB). */
  highWaterMark?: number;
  /** Clock shared by the hub's runtimes unless one is given its own (default: a new ManualClock). */
  clock?: C;
}

export interface MemoryRuntimeOptions {
  /** Seed of the runtime's Random (default: derived from the host name, so runs repeat). */
  seed?: Seed;
  /** Clock of this runtime (default: the hub's clock). */
  clock?: Clock;
  /** DEBUG-style pattern for the runtime's logger (default: everything off). */
  debug?: string;
}

/**
 * An in-memory network for unit tests: streams and datagrams between runtimes of one process,
 * with no time model (deliveries run on the microtask queue; only dial timeouts use a clock).
 * Datagrams are never lost, duplicated or reordered here; use the simulator for that.
 */
export interface MemoryNetwork<C extends Clock = ManualClock> {
  /** The hub's default clock (a ManualClock unless options.clock was given). */
  readonly clock: C;
  readonly maxDatagramSize: number;
  /** A Runtime whose sockets live on `host` in this hub. */
  runtime(host: string, options?: MemoryRuntimeOptions): Runtime;
  /** The bare Network of `host` (what runtime(host).net is). */
  network(host: string, clock?: Clock): Network;
  /**
   * Makes `host` a black hole (or restores it with `false`): dials to it hang until their
   * timeout or abort, datagrams to it vanish. Lets tests exercise timeouts.
   */
  blackhole(host: string, on?: boolean): void;
  /** Open listeners, datagram sockets and connections: 0 once everything was closed. */
  openHandles(): number;
}

/** Creates an empty in-memory network. */
export function createMemoryNetwork<C extends Clock = ManualClock>(
  options: MemoryNetworkOptions<C> = {},
): MemoryNetwork<C> {
  return new Hub<C>(options.clock ?? (createManualClock() as unknown as C), options);
}

/** Ports handed out for port 0, as Linux does (ip_local_port_range 32768-60999 is close). */
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_LAST = 65535;

class PortSpace<T> {
  readonly #used = new Map<number, T>();
  #next = EPHEMERAL_FIRST;

  get size(): number {
    return this.#used.size;
  }

  get(port: number): T | undefined {
    return this.#used.get(port);
  }

  /** Takes `port` (or any free ephemeral port for 0); undefined when it is taken. */
  take(port: number, value: T): number | undefined {
    if (port === 0) {
      for (let i = 0; i <= EPHEMERAL_LAST - EPHEMERAL_FIRST; i++) {
        const candidate = this.#next;
        this.#next = candidate === EPHEMERAL_LAST ? EPHEMERAL_FIRST : candidate + 1;
        if (!this.#used.has(candidate)) {
          this.#used.set(candidate, value);
          return candidate;
        }
      }
      return undefined;
    }
    if (this.#used.has(port)) return undefined;
    this.#used.set(port, value);
    return port;
  }

  release(port: number, value: T): void {
    if (this.#used.get(port) === value) this.#used.delete(port);
  }
}

/** What occupies a stream port: a listener, or the local end of a dialed connection. */
type StreamPort =
  | { kind: 'listener'; onConnection: (connection: Connection) => void }
  | { kind: 'connection' };

interface Host {
  streams: PortSpace<StreamPort>;
  datagrams: PortSpace<MemoryDatagramSocket>;
}

class Hub<C extends Clock> implements MemoryNetwork<C> {
  readonly clock: C;
  readonly maxDatagramSize: number;
  readonly highWaterMark: number;
  readonly #hosts = new Map<string, Host>();
  readonly #blackholes = new Set<string>();
  /** Listeners + datagram sockets + connection ends not yet closed. */
  open = 0;

  constructor(clock: C, options: MemoryNetworkOptions<C>) {
    this.clock = clock;
    this.maxDatagramSize = options.maxDatagramSize ?? 65_507;
    this.highWaterMark = options.highWaterMark ?? 64 * 1024;
  }

  runtime(host: string, options: MemoryRuntimeOptions = {}): Runtime {
    const clock = options.clock ?? this.clock;
    return {
      clock,
      random: createRandom(options.seed ?? `memory:${host}`),
      net: this.network(host, clock),
      log: createLogger({ debug: options.debug, now: () => clock.now() }).extend(host),
      hash: { sha1 },
      host,
    };
  }

  network(host: string, clock: Clock = this.clock): Network {
    return new MemoryNet(this, host, clock);
  }

  blackhole(host: string, on = true): void {
    if (on) this.#blackholes.add(host);
    else this.#blackholes.delete(host);
  }

  isBlackhole(host: string): boolean {
    return this.#blackholes.has(host);
  }

  openHandles(): number {
    return this.open;
  }

  host(name: string): Host {
    let host = this.#hosts.get(name);
    if (!host) {
      host = { streams: new PortSpace(), datagrams: new PortSpace() };
      this.#hosts.set(name, host);
    }
    return host;
  }

  /**
   * Creates both ends of a connection from `fromHost` to `to` and hands the accepting end to
   * the listener. The dialing end holds an ephemeral port until it closes; the accepting end
   * shares the listener's port, as with TCP.
   */
  connect(
    fromHost: string,
    to: Address,
    onConnection: (connection: Connection) => void,
  ): MemoryConnection | undefined {
    const ports = this.host(fromHost).streams;
    const holder: StreamPort = { kind: 'connection' };
    const localPort = ports.take(0, holder);
    if (localPort === undefined) return undefined;
    const local = { host: fromHost, port: localPort };
    const client = new MemoryConnection(local, to, this.highWaterMark, () => {
      ports.release(localPort, holder);
      this.open--;
    });
    const server = new MemoryConnection(to, local, this.highWaterMark, () => {
      this.open--;
    });
    this.open += 2;
    MemoryConnection.pair(client, server);
    try {
      onConnection(server);
    } catch (error) {
      // A throwing accept handler is a bug in the caller: reset the connection, stay loud.
      server.destroy();
      queueMicrotask(() => {
        throw error;
      });
    }
    return client;
  }
}

class MemoryNet implements Network {
  readonly #hub: Hub<Clock>;
  readonly #host: string;
  readonly #clock: Clock;

  constructor(hub: Hub<Clock>, host: string, clock: Clock) {
    this.#hub = hub;
    this.#host = host;
    this.#clock = clock;
  }

  get maxDatagramSize(): number {
    return this.#hub.maxDatagramSize;
  }

  async listen(
    options: ListenOptions,
    onConnection: (connection: Connection) => void,
  ): Promise<Listener> {
    const host = options.host ?? this.#host;
    const ports = this.#hub.host(host).streams;
    const entry: StreamPort = { kind: 'listener', onConnection };
    const port = ports.take(options.port ?? 0, entry);
    if (port === undefined) {
      throw new NetworkError(`address in use: ${host}:${options.port}`, 'ERR_ADDRESS_IN_USE');
    }
    const hub = this.#hub;
    hub.open++;
    let open = true;
    return {
      address: { host, port },
      close: async () => {
        if (!open) return;
        open = false;
        hub.open--;
        ports.release(port, entry);
      },
    };
  }

  dial(address: Address, options: DialOptions = {}): Promise<Connection> {
    const { signal, timeoutMs = 10_000 } = options;
    if (signal?.aborted) return Promise.reject(abortErrorFrom(signal));
    const hub = this.#hub;
    const clock = this.#clock;
    const fromHost = options.localHost ?? this.#host;
    return new Promise<Connection>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      let done = false;
      const finish = () => {
        done = true;
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        if (done) return;
        finish();
        reject(abortErrorFrom(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      timer = clock.setTimeout(() => {
        if (done) return;
        finish();
        reject(
          new TimeoutError(`dial ${address.host}:${address.port} timed out after ${timeoutMs} ms`),
        );
      }, timeoutMs);
      // The handshake completes on the microtask queue: an abort right after dial() wins.
      queueMicrotask(() => {
        if (done || hub.isBlackhole(address.host)) return;
        finish();
        const target = hub.host(address.host).streams.get(address.port);
        if (target?.kind !== 'listener') {
          reject(
            new NetworkError(
              `connection refused: ${address.host}:${address.port}`,
              'ERR_CONNECTION_REFUSED',
            ),
          );
          return;
        }
        const connection = hub.connect(fromHost, address, target.onConnection);
        if (connection) resolve(connection);
        else reject(new NetworkError(`no free local port on ${fromHost}`, 'ERR_NETWORK'));
      });
    });
  }

  async bind(options: BindOptions, onDatagram: DatagramHandler): Promise<DatagramSocket> {
    const host = options.host ?? this.#host;
    const ports = this.#hub.host(host).datagrams;
    const socket = new MemoryDatagramSocket(this.#hub, onDatagram);
    const port = ports.take(options.port ?? 0, socket);
    if (port === undefined) {
      throw new NetworkError(`address in use: ${host}:${options.port}`, 'ERR_ADDRESS_IN_USE');
    }
    const hub = this.#hub;
    hub.open++;
    socket.open({ host, port }, () => {
      hub.open--;
      ports.release(port, socket);
    });
    return socket;
  }
}

class MemoryDatagramSocket implements DatagramSocket {
  address: Address = { host: '', port: 0 };
  readonly #hub: Hub<Clock>;
  readonly #onDatagram: DatagramHandler;
  #release: () => void = () => {};
  #closed = false;

  constructor(hub: Hub<Clock>, onDatagram: DatagramHandler) {
    this.#hub = hub;
    this.#onDatagram = onDatagram;
  }

  open(address: Address, release: () => void): void {
    this.address = address;
    this.#release = release;
  }

  send(data: Uint8Array, to: Address): void {
    if (this.#closed) throw new NetworkError('datagram socket is closed', 'ERR_SOCKET_CLOSED');
    const hub = this.#hub;
    if (data.length > hub.maxDatagramSize) {
      throw new NetworkError(
        `datagram of ${data.length} bytes exceeds ${hub.maxDatagramSize}`,
        'ERR_DATAGRAM_TOO_LARGE',
      );
    }
    if (hub.isBlackhole(to.host)) return;
    // A copy: the receiver owns its bytes, and a sender may send one buffer to many peers.
    const copy = allocBytes(data.length);
    copy.set(data);
    const from = this.address;
    queueMicrotask(() => {
      const target = hub.host(to.host).datagrams.get(to.port);
      if (target) target.receive(copy, from);
    });
  }

  receive(data: Uint8Array, from: Address): void {
    if (!this.#closed) this.#onDatagram(data, from);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#release();
  }
}
