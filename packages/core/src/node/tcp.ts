import * as net from 'node:net';
import { Emitter } from '../emitter.js';
import { abortErrorFrom, TimeoutError } from '../errors.js';
import type {
  Address,
  Clock,
  Connection,
  ConnectionEvents,
  DialOptions,
  Listener,
  ListenOptions,
  TimerHandle,
} from '../runtime.js';
import { plainBytes, toNetworkError } from './errors.js';
import type { Handles } from './handles.js';

/**
 * A node:net socket as a Connection. Half-open is allowed (end() sends FIN and we keep
 * reading), Nagle is off (RPC latency beats packet count here), destroy() sends a RST so the
 * peer sees a reset, not a clean end.
 */
export class TcpConnection extends Emitter<ConnectionEvents> implements Connection {
  readonly localAddress: Address;
  readonly remoteAddress: Address;
  readonly #socket: net.Socket;
  #reading = false;
  #destroyed = false;
  #error: Error | undefined;
  #userError = false;

  constructor(socket: net.Socket, handles: Handles) {
    super();
    this.#socket = socket;
    this.localAddress = { host: socket.localAddress ?? '', port: socket.localPort ?? 0 };
    this.remoteAddress = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    socket.setNoDelay(true);
    const release = handles.add(() => this.destroy());
    socket.on('end', () => this.emit('end'));
    socket.on('drain', () => this.emit('drain'));
    socket.on('error', (error) => {
      if (!this.#userError) this.#error ??= toNetworkError(error);
    });
    socket.on('close', () => {
      this.#destroyed = true;
      release();
      this.emit('close', this.#error);
    });
  }

  get writableLength(): number {
    return this.#socket.writableLength;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  override on<K extends keyof ConnectionEvents>(
    event: K,
    listener: (...args: ConnectionEvents[K]) => void,
  ): this {
    super.on(event, listener);
    // Subscribe to the socket's data only now: until then Node keeps the bytes (and TCP pushes
    // back), so nothing is lost between dial() resolving and the caller's first on('data').
    if (event === 'data') this.#startReading();
    return this;
  }

  write(data: Uint8Array): boolean {
    const socket = this.#socket;
    if (this.#destroyed || socket.writableEnded) return false;
    return socket.write(data);
  }

  end(): void {
    if (!this.#destroyed) this.#socket.end();
  }

  destroy(error?: Error): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#userError = true;
    this.#error = error;
    const socket = this.#socket;
    if (socket.destroyed) return;
    // RST rather than FIN: the peer must see a reset, as the Connection contract says. But
    // after end(), while the FIN is being sent, Node's resetAndDestroy() fails (EINVAL from
    // libuv) and leaks the handle: no 'close' ever, and the process hangs at exit. So reset
    // once the FIN is out ('finish', a loop turn away when nothing is queued); with bytes still
    // queued behind a peer that may never read them, close without the reset.
    if (!socket.writableEnded || socket.writableFinished) socket.resetAndDestroy();
    else if (socket.writableLength === 0) socket.once('finish', () => socket.resetAndDestroy());
    else socket.destroy();
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#startReading();
    this.#socket.resume();
  }

  #startReading(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#socket.on('data', (chunk: Buffer) => this.emit('data', plainBytes(chunk)));
  }
}

export async function listenTcp(
  defaultHost: string,
  options: ListenOptions,
  onConnection: (connection: Connection) => void,
  handles: Handles,
): Promise<Listener> {
  const server = net.createServer({ allowHalfOpen: true, noDelay: true });
  server.on('connection', (socket) => onConnection(new TcpConnection(socket, handles)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(toNetworkError(error)));
    server.listen({ port: options.port ?? 0, host: options.host ?? defaultHost }, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  // After listening, errors (EMFILE on accept, say) are transient: keep accepting.
  server.on('error', () => {});
  const bound = server.address() as net.AddressInfo;
  let open = true;
  const close = async (): Promise<void> => {
    if (!open) return;
    open = false;
    release();
    // server.close() stops accepting at once; its callback would wait for every accepted
    // connection to end, which is not what Listener.close() promises.
    server.close();
  };
  const release = handles.add(close);
  return { address: { host: bound.address, port: bound.port }, close };
}

export function dialTcp(
  clock: Clock,
  defaultHost: string,
  address: Address,
  options: DialOptions,
  handles: Handles,
): Promise<Connection> {
  const { signal, timeoutMs = 10_000 } = options;
  if (signal?.aborted) return Promise.reject(abortErrorFrom(signal));
  const localAddress = sourceAddress(options.localHost ?? defaultHost, address.host);
  return new Promise<Connection>((resolve, reject) => {
    let socket: net.Socket;
    try {
      socket = net.connect({
        host: address.host,
        port: address.port,
        allowHalfOpen: true,
        noDelay: true,
        ...(localAddress === undefined ? {} : { localAddress }),
      });
    } catch (error) {
      // Node throws synchronously for a bad port or host; callers get a NetworkError.
      reject(toNetworkError(error));
      return;
    }
    let timer: TimerHandle | undefined;
    const release = handles.add(() => fail(new TimeoutError('runtime closed while dialing')));
    const cleanup = () => {
      release();
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('connect', onConnect);
      socket.removeListener('error', onError);
    };
    const fail = (error: Error) => {
      cleanup();
      socket.on('error', () => {});
      socket.destroy();
      reject(error);
    };
    const onAbort = () => fail(abortErrorFrom(signal!));
    const onError = (error: Error) => fail(toNetworkError(error));
    const onConnect = () => {
      cleanup();
      resolve(new TcpConnection(socket, handles));
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    timer = clock.setTimeout(
      () =>
        fail(
          new TimeoutError(`dial ${address.host}:${address.port} timed out after ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
  });
}

/** Binds the dialing side to the runtime's host when it is a concrete address of the right family. */
function sourceAddress(local: string, remote: string): string | undefined {
  const family = net.isIP(local);
  if (family === 0 || local === '0.0.0.0' || local === '::') return undefined;
  return family === net.isIP(remote) ? local : undefined;
}
