import type { Address, DatagramSocket } from '../runtime.js';
import { RpcCore } from './endpoint.js';
import type { DatagramRpc, RpcOptions } from './types.js';

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
  const endpoint = new DatagramEndpoint(runtime, options.self, {
    timeoutMs: options.timeoutMs ?? 2_000,
    retries: options.retries ?? 1,
    maxMessageSize: Math.min(
      options.maxMessageSize ?? runtime.net.maxDatagramSize,
      runtime.net.maxDatagramSize,
    ),
    maxPending: options.maxPending ?? 4_096,
    maxConcurrentHandlers: options.maxConcurrentHandlers ?? 256,
    checkSource: true,
  });
  const socket = await runtime.net.bind(
    { port: options.port, host: options.host },
    endpoint.receive.bind(endpoint),
  );
  endpoint.open(socket, options.advertise ?? socket.address);
  return endpoint;
}

/**
 * The endpoint is its RPC core (one object, not a wrapper around one: at 10^5 simulated
 * endpoints each object a message passes through is a cache miss), and its socket is the
 * transport.
 */
class DatagramEndpoint extends RpcCore implements DatagramRpc {
  #socket: DatagramSocket | undefined;

  /** @internal */
  open(socket: DatagramSocket, advertise: Address): void {
    this.#socket = socket;
    this.connect(socket, advertise);
  }

  get address(): Address {
    return this.#socket!.address;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.shutdown();
    await this.#socket!.close();
  }
}
