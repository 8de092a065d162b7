/**
 * One overlay session as the node keeps it: the RPC endpoint, what the session is for, who is
 * at the other end, and message counters by type.
 */
import type { Address, RequestOptions, RpcResponse, StreamRpc } from '@p2pkit/core';
import { type Hello, MessageType } from './messages.js';

/**
 * What a session is, from this node's side: our parent or standby supernode, one of our
 * children, a supernode peer, a short client session (either way), or not yet said (HELLO
 * pending).
 */
export type LinkKind = 'pending' | 'parent' | 'standby' | 'child' | 'peer' | 'client';

const NAMES = new Map<number, string>(
  Object.entries(MessageType).map(([name, type]) => [type, name.toLowerCase()]),
);

/** The name of a message type ('query', 'forward', ...), for counters. */
export function typeName(type: number): string {
  return NAMES.get(type) ?? `0x${type.toString(16)}`;
}

export interface LinkCounters {
  sent: Record<string, number>;
  received: Record<string, number>;
  /** Body bytes of every message sent (requests, oneway messages and answers). */
  sentBytes: number;
}

export class Link {
  kind: LinkKind = 'pending';
  /** The other end's node id and advertised address (from its envelopes). */
  remoteId: Uint8Array = new Uint8Array(16);
  remote: Address;
  /** What the other end said in its HELLO (inbound sessions). */
  hello: Hello | undefined;
  /** Local time the session became what it is. */
  since: number;
  /** Child only: it cannot be reached (it said so, or our dial-back failed). */
  firewalled = false;

  constructor(
    readonly rpc: StreamRpc,
    readonly outgoing: boolean,
    readonly counters: LinkCounters,
    now: number,
  ) {
    this.remote = rpc.remoteAddress;
    this.since = now;
  }

  get open(): boolean {
    return this.rpc.open;
  }

  request(type: number, body: Uint8Array, options?: RequestOptions): Promise<RpcResponse> {
    count(this.counters.sent, type);
    this.counters.sentBytes += body.length;
    return this.rpc.request(type, body, options);
  }

  /** Sends a oneway message; false when the session cannot take it (closed, backed up). */
  notify(type: number, body: Uint8Array): boolean {
    try {
      this.rpc.notify(type, body);
      count(this.counters.sent, type);
      this.counters.sentBytes += body.length;
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.rpc.close();
  }
}

export function count(counters: Record<string, number>, type: number): void {
  const name = typeName(type);
  counters[name] = (counters[name] ?? 0) + 1;
}
