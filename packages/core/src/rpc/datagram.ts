import type { Address } from '../runtime.js';
import { liveContact, RpcCore } from './endpoint.js';
import type {
  DatagramRpc,
  RequestOptions,
  RpcHandler,
  RpcOptions,
  RpcResponse,
  RpcStats,
} from './types.js';

export interface DatagramRpcOptions extends RpcOptions {
  /** Port to bind (default 0: any free port). */
  port?: number;
  /** Local address to bind (default: the runtime's host). */
  host?: string;
  /** Address put in our contact, if not the bound one (behind a port mapping, say). */
  advertise?: Address;
}

/**
 * Binds a datagram socket and serves RPC on it: requests to any address, responses matched by
 * request id and source address, retransmission after each timeout, up to `retries` times.
 * Handlers run at least once per request, and may run again for a retransmitted one: make
 * them idempotent (lookups and pings are).
 */
export async function createDatagramRpc(options: DatagramRpcOptions): Promise<DatagramRpc> {
  const { runtime } = options;
  let core: RpcCore | undefined;
  const socket = await runtime.net.bind({ port: options.port, host: options.host }, (data, from) =>
    core?.receive(data, from),
  );
  core = new RpcCore(
    runtime,
    liveContact(options.self, options.advertise ?? socket.address),
    { send: (bytes, to) => socket.send(bytes, to) },
    {
      timeoutMs: options.timeoutMs ?? 2_000,
      retries: options.retries ?? 1,
      maxMessageSize: Math.min(
        options.maxMessageSize ?? runtime.net.maxDatagramSize,
        runtime.net.maxDatagramSize,
      ),
      maxPending: options.maxPending ?? 4_096,
      maxConcurrentHandlers: options.maxConcurrentHandlers ?? 256,
      checkSource: true,
    },
  );
  return new DatagramEndpoint(core, socket.address, () => socket.close());
}

class DatagramEndpoint implements DatagramRpc {
  readonly address: Address;
  readonly #core: RpcCore;
  readonly #closeSocket: () => Promise<void>;

  constructor(core: RpcCore, address: Address, closeSocket: () => Promise<void>) {
    this.#core = core;
    this.address = address;
    this.#closeSocket = closeSocket;
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

  handle(type: number, handler: RpcHandler): void {
    this.#core.handle(type, handler);
  }

  unhandle(type: number): void {
    this.#core.unhandle(type);
  }

  request(
    to: Address,
    type: number,
    body: Uint8Array,
    options?: RequestOptions,
  ): Promise<RpcResponse> {
    return this.#core.request(to, type, body, options);
  }

  notify(to: Address, type: number, body: Uint8Array): void {
    this.#core.notify(to, type, body);
  }

  async close(): Promise<void> {
    if (this.#core.closed) return;
    this.#core.close();
    await this.#closeSocket();
  }
}
