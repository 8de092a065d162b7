/**
 * The Runtime: everything protocol code may take from the outside world. Protocol packages never
 * call Date.now, setTimeout, Math.random, node:net or node:dgram themselves; they receive a
 * Runtime. The real one (`realRuntime()` from `@p2pkit/core/node`) wraps Node's timers, crypto
 * randomness and sockets; the simulator's wraps virtual time, a seeded PRNG and a simulated
 * network. Same code, two worlds: that is what lets a failing test replay from its seed.
 */

/** A transport address. `host` is an IP literal (or a simulated host name), `port` 0..65535. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

declare const timerBrand: unique symbol;
/** Opaque handle returned by Clock.setTimeout / setInterval. */
export type TimerHandle = { readonly [timerBrand]: true };

/** Time. Milliseconds, monotonic, from an arbitrary origin (virtual time in the simulator). */
export interface Clock {
  /** Current time in milliseconds (may be fractional). Never goes backwards. */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds (0 = as soon as possible, after the caller). */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Calls `callback` every `ms` milliseconds until cleared. */
  setInterval(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timeout or an interval. Unknown or already-fired handles are ignored. */
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Resolves after `ms`; rejects with AbortError (and cancels its timer) if `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Randomness. Seeded and reproducible in the simulator and in tests (`createRandom(seed)`);
 * cryptographically seeded in `realRuntime()`.
 */
export interface Random {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n) for 1 <= n <= 2^32. */
  int(n: number): number;
  /** Uniform 32-bit unsigned integer. */
  u32(): number;
  /** n uniform random bytes. */
  bytes(n: number): Uint8Array;
  /** True with probability p. */
  chance(p: number): boolean;
  /** Exponentially distributed value with the given mean (for Poisson processes). */
  exponential(mean: number): number;
  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
  /** A uniformly chosen element; throws on an empty array. */
  pick<T>(items: readonly T[]): T;
  /**
   * An independent stream derived from this one's seed and `label`, without consuming draws
   * from this stream: adding a consumer never shifts anyone else's numbers.
   */
  fork(label: string | number): Random;
}

/** Hashing that protocol code may need in bulk (piece verification). Ids use core's `sha1`. */
export interface Hasher {
  /** SHA-1 digest (20 bytes) of `data`. */
  sha1(data: Uint8Array): Uint8Array;
}

/** Namespaced debug logging, off by default; enabled by a DEBUG-style pattern (`p2pkit:chord*`). */
export interface Logger {
  (message: string, ...args: unknown[]): void;
  readonly namespace: string;
  /** False when this namespace is disabled: guard costly formatting with it. */
  readonly enabled: boolean;
  /** A child logger `namespace:suffix`. */
  extend(suffix: string): Logger;
}

/** Payload handed to a datagram handler; the receiver owns `data`. */
export type DatagramHandler = (data: Uint8Array, from: Address) => void;

export interface ListenOptions {
  /** Port to listen on; 0 or absent = any free port (read it back from Listener.address). */
  port?: number;
  /** Local address to bind; defaults to the Runtime's host. */
  host?: string;
}

export interface BindOptions {
  /** Port to bind; 0 or absent = any free port (read it back from DatagramSocket.address). */
  port?: number;
  /** Local address to bind; defaults to the Runtime's host. */
  host?: string;
}

export interface DialOptions {
  signal?: AbortSignal;
  /** Connect timeout in milliseconds (default 10,000); rejects with TimeoutError. */
  timeoutMs?: number;
  /** Local address to dial from; defaults to the Runtime's host. */
  localHost?: string;
}

/** Accepting endpoint of a stream listener. */
export interface Listener {
  readonly address: Address;
  /** Stops accepting. Connections already accepted stay open. */
  close(): Promise<void>;
}

/** A bound datagram (UDP-like) socket: unreliable, unordered, message boundaries kept. */
export interface DatagramSocket {
  readonly address: Address;
  /**
   * Sends one datagram. Fire and forget: loss is silent, as with UDP. Throws NetworkError
   * `ERR_DATAGRAM_TOO_LARGE` above Network.maxDatagramSize and `ERR_SOCKET_CLOSED` after close.
   * The socket may keep a reference to `data`: do not modify it afterwards.
   */
  send(data: Uint8Array, to: Address): void;
  close(): Promise<void>;
}

/** Events of a Connection. */
export interface ConnectionEvents {
  /** Bytes from the peer, in order. The listener owns `chunk`. */
  data: [chunk: Uint8Array];
  /** The write buffer fell below the high-water mark after write() returned false. */
  drain: [];
  /** The peer half-closed (sent FIN): no more data will arrive; we may still write. */
  end: [];
  /** Fully closed. `error` is set when it closed abnormally (reset, destroy(error), crash). */
  close: [error?: Error];
}

/** Subscribe/unsubscribe surface shared by connections and protocol nodes. */
export interface Events<E extends { [K in keyof E]: unknown[] }> {
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  once<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this;
}

/**
 * A reliable, ordered, duplex byte stream (TCP-like) with explicit backpressure, close to what
 * node:net gives and event-based (no async iterators on the hot path).
 *
 * Reading starts with the first `data` listener (or resume()), as with node:net: until then the
 * bytes wait and the peer is pushed back on, so nothing is lost between dial() resolving (or the
 * accept callback running) and the caller subscribing. `end` and a peer's reset are noticed by
 * reading: a connection nobody reads from may never emit them. Every implementation (node:net,
 * memory, simulator) behaves this way; the transport compliance suite checks it.
 */
export interface Connection extends Events<ConnectionEvents> {
  readonly localAddress: Address;
  readonly remoteAddress: Address;
  /** Bytes written but not yet handed to the network. */
  readonly writableLength: number;
  /** True once the connection is unusable: destroy() was called, or it closed or was reset. */
  readonly destroyed: boolean;
  /**
   * Queues `data` for sending and returns false once the queue is at or above the high-water
   * mark: stop writing until `drain`. Ownership of `data` passes to the connection.
   * Writing after end() or destroy() is ignored and returns false.
   */
  write(data: Uint8Array): boolean;
  /** Half-close: flush what is queued, then send FIN. The peer sees `end`. */
  end(): void;
  /** Closes both directions at once, dropping queued data; the peer sees a reset. */
  destroy(error?: Error): void;
  /** Stops emitting `data` (backpressure towards the peer) until resume(). */
  pause(): void;
  /** Emits `data` again; also starts reading when no `data` listener was added yet. */
  resume(): void;
}

/** Sockets. Reliable streams (listen/dial) and datagrams (bind), nothing else. */
export interface Network {
  /** Largest datagram payload send() accepts. */
  readonly maxDatagramSize: number;
  listen(options: ListenOptions, onConnection: (connection: Connection) => void): Promise<Listener>;
  /**
   * Opens a stream to `address`. Rejects with NetworkError `ERR_CONNECTION_REFUSED` when
   * nothing listens there, TimeoutError after `timeoutMs`, AbortError when `signal` aborts.
   */
  dial(address: Address, options?: DialOptions): Promise<Connection>;
  bind(options: BindOptions, onDatagram: DatagramHandler): Promise<DatagramSocket>;
}

/** All a protocol node may use of the outside world. */
export interface Runtime {
  readonly clock: Clock;
  readonly random: Random;
  readonly net: Network;
  readonly log: Logger;
  readonly hash: Hasher;
  /** The host this runtime's sockets bind to by default (e.g. 127.0.0.1, or a simulated IP). */
  readonly host: string;
}
