import { encodeFrame, FrameDecoder } from '../codec/framing.js';
import { Emitter } from '../emitter.js';
import { NetworkError, P2PError, ProtocolError } from '../errors.js';
import type { Address, Connection, TimerHandle } from '../runtime.js';
import { RpcCore } from './endpoint.js';
import type {
  RequestOptions,
  RpcHandler,
  RpcOptions,
  RpcResponse,
  RpcStats,
  StreamRpc,
  StreamRpcEvents,
} from './types.js';

export interface StreamRpcOptions extends RpcOptions {
  /** The stream to speak on. The endpoint owns it from now on (and closes it in close()). */
  connection: Connection;
  /** Address put in our contact (default: the connection's local address; give your listener's). */
  advertise?: Address;
  /**
   * Bytes queued on the connection above which new requests reject with `ERR_OVERLOADED` and
   * responses are dropped (default 8 MiB): a peer that stops reading cannot grow our memory.
   */
  maxWriteBuffer?: number;
  /** How long close() waits for the peer to close its side before resetting (default 2,000 ms). */
  closeTimeoutMs?: number;
}

/**
 * RPC over one reliable stream, each envelope in a u32 length-prefixed frame (ENVELOPE.md).
 * Both ends may send requests. Streams do not lose messages, so nothing is retransmitted;
 * timeouts still apply. A frame above maxMessageSize is a protocol violation: the connection
 * is reset.
 */
export function createStreamRpc(options: StreamRpcOptions): StreamRpc {
  return new StreamEndpoint(options);
}

class StreamEndpoint extends Emitter<StreamRpcEvents> implements StreamRpc {
  readonly localAddress: Address;
  readonly remoteAddress: Address;
  readonly #core: RpcCore;
  readonly #connection: Connection;
  readonly #decoder: FrameDecoder;
  readonly #maxWriteBuffer: number;
  readonly #closeTimeoutMs: number;
  readonly #options: StreamRpcOptions;
  #open = true;
  /** False once we ended our side (close(), or the peer ended): nothing more may be sent. */
  #writable = true;
  #closed: Promise<void>;

  constructor(options: StreamRpcOptions) {
    super();
    const { runtime, connection } = options;
    this.#options = options;
    this.#connection = connection;
    this.localAddress = connection.localAddress;
    this.remoteAddress = connection.remoteAddress;
    const maxMessageSize = options.maxMessageSize ?? 1024 * 1024;
    this.#maxWriteBuffer = options.maxWriteBuffer ?? 8 * 1024 * 1024;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
    this.#decoder = new FrameDecoder({ maxFrameSize: maxMessageSize, prefix: 'u32' });
    this.#core = new RpcCore(runtime, options.self, {
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: 0,
      maxMessageSize,
      maxPending: options.maxPending ?? 4_096,
      maxConcurrentHandlers: options.maxConcurrentHandlers ?? 256,
      checkSource: false,
    });
    this.#core.connect(
      { send: (bytes) => this.#send(bytes) },
      options.advertise ?? connection.localAddress,
    );
    this.#closed = new Promise((resolve) => {
      connection.once('close', (error) => {
        this.#open = false;
        this.#core.failAll(
          error ?? new NetworkError('connection closed before the response', 'ERR_SOCKET_CLOSED'),
        );
        this.#core.shutdown();
        resolve();
        this.emit('close', error);
      });
    });
    connection.on('data', (chunk) => this.#onData(chunk));
    connection.once('end', () => {
      // The peer will send nothing more: its answers to our requests cannot come.
      this.#core.failAll(new NetworkError('peer ended the stream', 'ERR_SOCKET_CLOSED'));
      this.#writable = false;
      connection.end();
    });
  }

  get contact() {
    return this.#core.contact;
  }

  get stats(): Readonly<RpcStats> {
    return this.#core.stats;
  }

  get pending(): number {
    return this.#core.pending;
  }

  get open(): boolean {
    return this.#open;
  }

  handle(type: number, handler: RpcHandler): void {
    this.#core.handle(type, handler);
  }

  unhandle(type: number): void {
    this.#core.unhandle(type);
  }

  request(type: number, body: Uint8Array, options?: RequestOptions): Promise<RpcResponse> {
    return this.#core.request(this.remoteAddress, type, body, options);
  }

  notify(type: number, body: Uint8Array): void {
    this.#core.notify(this.remoteAddress, type, body);
  }

  async close(): Promise<void> {
    this.#core.shutdown();
    const connection = this.#connection;
    if (!this.#open) return this.#closed;
    this.#writable = false;
    connection.end();
    // A peer that never closes its side must not keep us (or the process) waiting.
    const clock = this.#options.runtime.clock;
    let timer: TimerHandle | undefined;
    timer = clock.setTimeout(() => {
      timer = undefined;
      connection.destroy();
    }, this.#closeTimeoutMs);
    await this.#closed;
    clock.clearTimeout(timer);
  }

  #onData(chunk: Uint8Array): void {
    const decoder = this.#decoder;
    try {
      decoder.push(chunk);
      for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) {
        this.#core.receive(frame, this.remoteAddress);
      }
    } catch (error) {
      // Framing is lost (an oversize or broken length prefix): the stream cannot be trusted.
      this.#core.stats.malformed++;
      this.#connection.destroy(new ProtocolError('bad frame on RPC stream', { cause: error }));
    }
  }

  #send(bytes: Uint8Array): void {
    const connection = this.#connection;
    if (connection.destroyed || !this.#writable) {
      throw new NetworkError('connection is closed', 'ERR_SOCKET_CLOSED');
    }
    if (connection.writableLength > this.#maxWriteBuffer) {
      throw new P2PError(
        `peer is not reading: ${connection.writableLength} bytes queued`,
        'ERR_OVERLOADED',
      );
    }
    connection.write(encodeFrame(bytes, 'u32'));
  }
}
