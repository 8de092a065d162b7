/**
 * The slice of core's datagram RPC that Chord uses, and how a node opens it. Kept in one file so
 * the node does not depend on RPC construction details.
 */
import { type Address, createDatagramRpc, type Runtime } from '@p2pkit/core';

export interface RpcRequest {
  type: number;
  body: Uint8Array;
  /** The sender as its envelope claims: id bytes and address. */
  sender: { id: Uint8Array; address: Address };
  /** Where the datagram actually came from. */
  from: Address;
}

export interface ChordRpc {
  readonly address: Address;
  handle(type: number, handler: (req: RpcRequest) => Uint8Array | Promise<Uint8Array>): void;
  request(
    to: Address,
    type: number,
    body: Uint8Array,
    options?: { signal?: AbortSignal | undefined; timeoutMs?: number; retries?: number },
  ): Promise<{ body: Uint8Array }>;
  notify(to: Address, type: number, body: Uint8Array): void;
  close(): Promise<void>;
}

export interface OpenRpcOptions {
  runtime: Runtime;
  host: string;
  port: number;
  /** Our id bytes, known once the bound address is. */
  idBytes: (address: Address) => Uint8Array;
  timeoutMs: number;
  retries: number;
  maxPending: number;
}

/**
 * Binds a datagram RPC endpoint. The envelope's sender id is read from the bytes we pass in on
 * every message, so we bind first (port 0 = any) and fill in our id, which depends on the
 * bound port, right after.
 */
export async function openRpc(options: OpenRpcOptions): Promise<ChordRpc> {
  const idBytes = new Uint8Array(options.idBytes({ host: options.host, port: 0 }).length);
  const rpc = await createDatagramRpc({
    runtime: options.runtime,
    host: options.host,
    port: options.port,
    self: { id: idBytes },
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    maxPending: options.maxPending,
  });
  idBytes.set(options.idBytes(rpc.address));
  return rpc;
}
