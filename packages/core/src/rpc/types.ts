import type { Contact } from '../envelope.js';
import { P2PError } from '../errors.js';
import type { Address, Events, Runtime } from '../runtime.js';

/** An inbound request (or oneway notification) as a handler sees it. */
export interface RpcRequest {
  /** Message type (0..65535). */
  readonly type: number;
  /** The request body; a view into the received bytes, owned by the handler. */
  readonly body: Uint8Array;
  /** Who the sender says it is (id and listening address); unverified. */
  readonly sender: Contact;
  /** Where the bytes came from at the transport level. */
  readonly from: Address;
  /** True for a oneway notification: whatever the handler returns is not sent. */
  readonly oneway: boolean;
}

/**
 * Answers a request with the response body. Synchronous handlers are the fast path (no
 * promise is made); throwing, or rejecting, sends an error response. A P2PError's code and
 * message reach the requester; any other error is reported as `ERR_INTERNAL` without its
 * message, so internals do not leak to peers.
 */
export type RpcHandler = (request: RpcRequest) => Uint8Array | Promise<Uint8Array>;

export interface RpcResponse {
  readonly body: Uint8Array;
  /** The responder's contact, as it claims it. */
  readonly sender: Contact;
  /** Where the response came from at the transport level. */
  readonly from: Address;
}

export interface RequestOptions {
  /** Cancels the request: it rejects with AbortError. */
  signal?: AbortSignal;
  /** Per-attempt timeout in ms (default: the endpoint's timeoutMs). */
  timeoutMs?: number;
  /** Retransmissions after the first attempt, datagrams only (default: the endpoint's retries). */
  retries?: number;
}

/** Counters of one endpoint. Drops are counted here, never buffered. */
export interface RpcStats {
  requestsSent: number;
  retransmissions: number;
  responsesReceived: number;
  errorsReceived: number;
  timeouts: number;
  aborts: number;
  /** request() refused because maxPending requests were already in flight. */
  overloaded: number;
  requestsReceived: number;
  notificationsSent: number;
  notificationsReceived: number;
  responsesSent: number;
  errorsSent: number;
  /** Inbound requests dropped because maxConcurrentHandlers handlers were already running. */
  droppedRequests: number;
  /** Requests for a type with no handler (answered ERR_UNKNOWN_TYPE; oneways just dropped). */
  unknownType: number;
  /** Inbound messages that did not decode (or exceeded maxMessageSize). */
  malformed: number;
  /** Responses matching no pending request (late, duplicate, or from the wrong address). */
  unmatched: number;
  /** Responses a handler produced that could not be sent (too large, or stream backed up). */
  unsent: number;
}

export interface RpcOptions {
  runtime: Runtime;
  /**
   * Our id, sent in every envelope. Read on every send, not copied: a node that binds port 0
   * and derives its id from the port (Chord: SHA-1 of host:port) may set `self.id` afterwards.
   */
  self: { readonly id: Uint8Array };
  /** Per-attempt timeout in ms: default 2,000 for datagrams, 10,000 for streams. */
  timeoutMs?: number;
  /** Retransmissions of an unanswered datagram request (default 1; streams never retransmit). */
  retries?: number;
  /**
   * Largest encoded message (envelope + body) sent or accepted: default the network's
   * maxDatagramSize for datagrams, 1 MiB for streams. Larger requests reject with
   * `ERR_MESSAGE_TOO_LARGE`; larger inbound messages are dropped and counted.
   */
  maxMessageSize?: number;
  /** Requests in flight at once; more reject at once with `ERR_OVERLOADED` (default 4,096). */
  maxPending?: number;
  /** Asynchronous handlers running at once; requests beyond are dropped (default 256). */
  maxConcurrentHandlers?: number;
}

/** What both endpoint kinds share. */
export interface RpcEndpoint {
  /** Our contact as put in every envelope: self.id and our address. */
  readonly contact: Contact;
  readonly stats: Readonly<RpcStats>;
  /** Requests in flight. */
  readonly pending: number;
  /** Registers (or replaces) the handler of `type`. */
  handle(type: number, handler: RpcHandler): void;
  /** Removes the handler of `type`: requests of that type get ERR_UNKNOWN_TYPE. */
  unhandle(type: number): void;
  /** Rejects every pending request with AbortError and releases the endpoint's resources. */
  close(): Promise<void>;
}

/** RPC over datagrams: any peer, by address. */
export interface DatagramRpc extends RpcEndpoint {
  /** The bound local address (the contact's address unless `advertise` was given). */
  readonly address: Address;
  request(
    to: Address,
    type: number,
    body: Uint8Array,
    options?: RequestOptions,
  ): Promise<RpcResponse>;
  /** Sends a oneway message (no response, no retry). Throws ERR_MESSAGE_TOO_LARGE synchronously. */
  notify(to: Address, type: number, body: Uint8Array): void;
}

export interface StreamRpcEvents {
  /** The connection closed (error set when it closed abnormally); pending requests rejected. */
  close: [error?: Error];
}

/** RPC over one framed stream: both ends may request. */
export interface StreamRpc extends RpcEndpoint, Events<StreamRpcEvents> {
  readonly localAddress: Address;
  readonly remoteAddress: Address;
  /** False once the connection closed. */
  readonly open: boolean;
  request(type: number, body: Uint8Array, options?: RequestOptions): Promise<RpcResponse>;
  notify(type: number, body: Uint8Array): void;
}

/**
 * A remote handler failed. `remoteCode` is the code it reported (`ERR_INTERNAL` when the
 * handler threw something other than a P2PError).
 */
export class RemoteError extends P2PError {
  readonly remoteCode: string;

  constructor(remoteCode: string, message: string) {
    super(`remote error ${remoteCode}: ${message}`, 'ERR_REMOTE');
    this.name = 'RemoteError';
    this.remoteCode = remoteCode;
  }
}
