import { formatAddress, sameAddress } from '../address.js';
import {
  type Contact,
  encodeSender,
  envelopeSender,
  scanEnvelope,
  writeEnvelope,
} from '../envelope.js';
import { AbortError, abortErrorFrom, NetworkError, P2PError, TimeoutError } from '../errors.js';
import type { Address, Clock, Logger, Runtime, TimerHandle } from '../runtime.js';
import { type Deadline, DeadlineQueue } from './deadlines.js';
import { decodeErrorBody, encodeErrorBody } from './error-body.js';
import {
  RemoteError,
  type RequestOptions,
  type RpcHandler,
  type RpcRequest,
  type RpcResponse,
  type RpcStats,
} from './types.js';

/** How an endpoint puts bytes on the wire (a datagram socket, or a framed stream). */
export interface RpcTransport {
  /**
   * Sends one encoded envelope; throws (NetworkError, P2PError) when it cannot. With
   * `{ transfer: true }` the endpoint hands the bytes over: it made them for this send and never
   * touches them again, so a transport in the same process (the simulator) may deliver them
   * without a copy. Transports that copy or write anyway (UDP, streams) ignore it.
   */
  send(bytes: Uint8Array, to: Address, options?: { transfer?: boolean }): void;
}

/** Fresh bytes for one send (a oneway message, a reply): see RpcTransport.send. */
const TRANSFER = Object.freeze({ transfer: true });

export interface EndpointSettings {
  timeoutMs: number;
  retries: number;
  maxMessageSize: number;
  maxPending: number;
  maxConcurrentHandlers: number;
  /** Accept a response only from the address the request went to (datagrams). */
  checkSource: boolean;
}

/** One request in flight. Also its own abort listener (handleEvent), so no closure per request. */
class PendingRequest implements Deadline {
  deadline = 0;
  settled = false;
  attempts = 1;
  resolve!: (response: RpcResponse) => void;
  reject!: (error: Error) => void;

  constructor(
    readonly endpoint: RpcCore,
    readonly id: number,
    readonly type: number,
    readonly to: Address,
    readonly bytes: Uint8Array,
    readonly timeoutMs: number,
    public retriesLeft: number,
    readonly signal: AbortSignal | undefined,
  ) {}

  handleEvent(): void {
    this.endpoint.abort(this);
  }
}

/** Envelope kinds on the wire (ENVELOPE.md). */
const REQUEST = 0;
const RESPONSE = 1;
const ERROR = 2;
const ONEWAY = 3;

/**
 * A received request as handlers see it. The sender is decoded only if a handler asks for it
 * (forwarding handlers, the simulator's hot path, never do); the envelope was fully validated
 * before, so decoding it cannot fail.
 */
class InboundRequest implements RpcRequest {
  #sender: Contact | undefined;

  constructor(
    readonly type: number,
    readonly body: Uint8Array,
    readonly from: Address,
    readonly oneway: boolean,
    private readonly bytes: Uint8Array,
  ) {}

  get sender(): Contact {
    this.#sender ??= envelopeSender(this.bytes);
    return this.#sender;
  }
}

/**
 * The transport-independent half of an RPC endpoint: request ids, the pending table, timeouts
 * and retries, the handler registry, and inbound dispatch.
 *
 * Built for the simulator's hot path (about a million RPCs a second): one timer per endpoint,
 * armed to the earliest deadline of a FIFO deadline queue, instead of one per request; the
 * pending entry doubles as the abort listener; synchronous handlers are answered without a
 * promise. The only allocation per request beyond the bytes is its entry and its promise.
 */
export class RpcCore {
  // Fields every message reads come first and live on this object rather than behind others
  // (V8 lays fields out in declaration order): with 10^5 simulated endpoints each extra
  // object or cache line a message touches is a cache miss of several hundred ns.
  /** True until connect(), and after shutdown(). */
  #closed = true;
  /** The handler found last, and its type: most endpoints mostly receive one type. */
  #lastType = -1;
  #lastHandler: RpcHandler | undefined;
  #running = 0;
  readonly #maxMessageSize: number;
  readonly #maxConcurrentHandlers: number;
  #transport!: RpcTransport;
  readonly #self: { readonly id: Uint8Array };
  /** encodeSender({ id: self.id, address }), kept in step with self.id (see #senderFields). */
  #sender: Uint8Array | undefined;
  readonly stats: RpcStats = newStats();
  #contact!: Contact;
  #address!: Address;
  readonly #clock: Clock;
  /** The runtime's logger; ours (`…:rpc`) is made at the first message worth logging. */
  readonly #runtimeLog: Logger;
  #log: Logger | undefined;
  readonly #settings: EndpointSettings;
  // The request side is made at the first request: endpoints that only send oneway messages
  // (a simulated Chord ring doing recursive lookups: 10^5 of them) never carry it.
  #pending: Map<number, PendingRequest> | undefined;
  #deadlines: DeadlineQueue<PendingRequest> | undefined;
  // Handlers by message type, in an array: a Map of Chord's dozen handlers took ~500 bytes per
  // endpoint, a tenth of a simulated node (types are u16; large ones just make it sparse).
  readonly #handlers: (RpcHandler | undefined)[] = [];
  #nextId: number;
  #timer: TimerHandle | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #onTimer: (() => void) | undefined;

  /**
   * `self.id` is read on every send (see RpcOptions.self). The endpoint takes no messages until
   * connect(): a datagram endpoint is built first so that its socket can call receive()
   * directly (a bound method, not a closure in front of this object).
   */
  constructor(runtime: Runtime, self: { readonly id: Uint8Array }, settings: EndpointSettings) {
    this.#self = self;
    this.#maxMessageSize = settings.maxMessageSize;
    this.#maxConcurrentHandlers = settings.maxConcurrentHandlers;
    this.#clock = runtime.clock;
    this.#runtimeLog = runtime.log;
    this.#settings = settings;
    // Random start: a restarted node does not reuse the ids its predecessor had in flight.
    this.#nextId = runtime.random.u32();
  }

  /** Opens the endpoint: where messages go, and the address we advertise in them. Once. */
  connect(transport: RpcTransport, address: Address): void {
    this.#transport = transport;
    this.#address = address;
    this.#contact = liveContact(this.#self, address);
    // Made now, next to this endpoint's other objects, not at the first send: in a big
    // simulation that could be anywhere in the heap, a far cache miss on every send after.
    try {
      this.#sender = encodeSender(this.#contact);
    } catch {
      // An id or address no envelope can carry: #senderFields throws at each send instead.
    }
    this.#closed = false;
  }

  /** Our contact as put in every envelope: self.id and our address. */
  get contact(): Contact {
    return this.#contact;
  }

  get pending(): number {
    return this.#pending?.size ?? 0;
  }

  get closed(): boolean {
    return this.#closed;
  }

  handle(type: number, handler: RpcHandler): void {
    checkType(type);
    this.#handlers[type] = handler;
    this.#lastType = -1;
  }

  unhandle(type: number): void {
    if (this.#handlers[type] !== undefined) this.#handlers[type] = undefined;
    this.#lastType = -1;
  }

  request(
    to: Address,
    type: number,
    body: Uint8Array,
    options: RequestOptions | undefined,
  ): Promise<RpcResponse> {
    if (this.#closed) return Promise.reject(closedError());
    const signal = options?.signal;
    if (signal?.aborted) {
      this.stats.aborts++;
      return Promise.reject(abortErrorFrom(signal));
    }
    const settings = this.#settings;
    const pending = (this.#pending ??= new Map());
    if (pending.size >= settings.maxPending) {
      this.stats.overloaded++;
      return Promise.reject(
        new P2PError(`${settings.maxPending} requests already in flight`, 'ERR_OVERLOADED'),
      );
    }
    const id = this.#allocateId();
    let bytes: Uint8Array;
    try {
      bytes = this.#encode(REQUEST, type, id, body);
    } catch (error) {
      return Promise.reject(error);
    }
    const timeoutMs = options?.timeoutMs ?? settings.timeoutMs;
    const entry = new PendingRequest(
      this,
      id,
      type,
      to,
      bytes,
      timeoutMs,
      options?.retries ?? settings.retries,
      signal,
    );
    const promise = new Promise<RpcResponse>((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    pending.set(id, entry);
    signal?.addEventListener('abort', entry);
    entry.deadline = this.#clock.now() + timeoutMs;
    (this.#deadlines ??= new DeadlineQueue()).push(entry);
    this.#arm(entry.deadline);
    this.stats.requestsSent++;
    try {
      this.#transport.send(bytes, to);
    } catch (error) {
      this.#fail(entry, asError(error));
    }
    return promise;
  }

  notify(to: Address, type: number, body: Uint8Array): void {
    if (this.#closed) throw closedError();
    const bytes = this.#encode(ONEWAY, type, 0, body);
    this.stats.notificationsSent++;
    this.#transport.send(bytes, to, TRANSFER);
  }

  /** Feeds one received message (a datagram, or one frame) to the endpoint. */
  receive(bytes: Uint8Array, from: Address): void {
    if (this.#closed) return;
    let bodyAt: number;
    try {
      if (bytes.length > this.#maxMessageSize) {
        throw new P2PError(`message of ${bytes.length} bytes`, 'ERR_MESSAGE_TOO_LARGE');
      }
      bodyAt = scanEnvelope(bytes);
    } catch (error) {
      this.stats.malformed++;
      const log = this.#logger();
      if (log.enabled) log('dropped a bad message from %o: %s', from, String(error));
      return;
    }
    // The header fields, read in place (no Envelope object).
    const kind = bytes[1]!;
    const type = (bytes[2]! << 8) | bytes[3]!;
    const requestId = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
    switch (kind) {
      case REQUEST:
        this.stats.requestsReceived++;
        this.#serve(bytes, bodyAt, type, requestId, from, false);
        break;
      case ONEWAY:
        this.stats.notificationsReceived++;
        this.#serve(bytes, bodyAt, type, requestId, from, true);
        break;
      default:
        this.#settle(bytes, bodyAt, kind, type, requestId, from);
    }
  }

  /** Rejects every pending request with `error` (the transport went away). */
  failAll(error: Error): void {
    if (this.#pending === undefined) return;
    for (const entry of [...this.#pending.values()]) this.#fail(entry, error);
  }

  /** Stops the endpoint: pending requests reject with AbortError, the timer is cancelled. */
  shutdown(): void {
    if (this.#closed) return;
    if (this.pending > 0) this.failAll(expected(() => new AbortError('rpc endpoint closed')));
    this.#closed = true;
    this.#deadlines?.clear();
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Called by a pending entry when its signal aborts. */
  abort(entry: PendingRequest): void {
    if (entry.settled) return;
    this.stats.aborts++;
    this.#fail(entry, abortErrorFrom(entry.signal!));
  }

  #encode(kind: number, type: number, requestId: number, body: Uint8Array): Uint8Array {
    const bytes = writeEnvelope(kind, type, requestId, this.#senderFields(), body);
    const max = this.#maxMessageSize;
    if (bytes.length > max) {
      throw new P2PError(
        `message of ${bytes.length} bytes exceeds maxMessageSize ${max}`,
        'ERR_MESSAGE_TOO_LARGE',
      );
    }
    return bytes;
  }

  /**
   * The encoded sender fields for the current self.id (read on every send). The check compares
   * bytes and rewrites changed ones in place: the comparison's branch is predicted, so copying
   * the cached fields into a message does not wait on loading the id (at 10^5 simulated
   * endpoints each dependent load is a cache miss), and the array stays where it was made.
   */
  #senderFields(): Uint8Array {
    const id = this.#self.id;
    let sender = this.#sender;
    if (sender === undefined || sender[0] !== id.length) {
      sender = encodeSender({ id, address: this.#address });
      this.#sender = sender;
      return sender;
    }
    for (let i = 0; i < id.length; i++) if (sender[1 + i] !== id[i]) sender[1 + i] = id[i]!;
    return sender;
  }

  #allocateId(): number {
    let id = this.#nextId;
    // 0 is reserved for oneway messages; skip ids still in flight (after 2^32 requests).
    const pending = this.#pending;
    while (id === 0 || pending?.has(id)) id = (id + 1) >>> 0;
    this.#nextId = (id + 1) >>> 0;
    return id;
  }

  #serve(
    bytes: Uint8Array,
    bodyAt: number,
    type: number,
    requestId: number,
    from: Address,
    oneway: boolean,
  ): void {
    let handler = this.#lastHandler;
    if (type !== this.#lastType) {
      handler = this.#handlers[type];
      this.#lastType = type;
      this.#lastHandler = handler;
    }
    if (handler === undefined) {
      this.stats.unknownType++;
      if (!oneway) {
        this.#replyError(requestId, type, from, 'ERR_UNKNOWN_TYPE', `no handler for type ${type}`);
      }
      return;
    }
    if (this.#running >= this.#maxConcurrentHandlers) {
      // A flood: dropping costs the sender a timeout; buffering would cost us unbounded memory.
      this.stats.droppedRequests++;
      return;
    }
    const request = new InboundRequest(type, bytes.subarray(bodyAt), from, oneway, bytes);
    let result: Uint8Array | Promise<Uint8Array>;
    try {
      result = handler(request);
    } catch (error) {
      if (!oneway) this.#replyFailure(requestId, type, from, error);
      return;
    }
    if (result instanceof Uint8Array) {
      if (!oneway) this.#reply(requestId, type, from, result);
      return;
    }
    this.#running++;
    Promise.resolve(result).then(
      (body) => {
        this.#running--;
        if (!oneway) this.#reply(requestId, type, from, body);
      },
      (error: unknown) => {
        this.#running--;
        if (!oneway) this.#replyFailure(requestId, type, from, error);
      },
    );
  }

  #reply(requestId: number, type: number, to: Address, body: unknown): void {
    if (this.#closed) return;
    if (!(body instanceof Uint8Array)) {
      this.#replyError(requestId, type, to, 'ERR_INTERNAL', 'handler returned no Uint8Array');
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.#encode(RESPONSE, type, requestId, body);
    } catch (error) {
      this.stats.unsent++;
      const code = error instanceof P2PError ? error.code : 'ERR_INTERNAL';
      this.#replyError(requestId, type, to, code, 'response too large');
      return;
    }
    this.#sendReply(bytes, to, false);
  }

  #replyFailure(requestId: number, type: number, to: Address, error: unknown): void {
    // A P2PError is part of the handler's contract with its peers; anything else is a bug
    // whose message may reveal internals, so only its existence is reported.
    if (error instanceof P2PError) this.#replyError(requestId, type, to, error.code, error.message);
    else {
      const log = this.#logger();
      if (log.enabled) log('handler of type %d threw: %s', type, String(error));
      this.#replyError(requestId, type, to, 'ERR_INTERNAL', 'internal error');
    }
  }

  #replyError(requestId: number, type: number, to: Address, code: string, message: string): void {
    if (this.#closed) return;
    const body = encodeErrorBody(code, message);
    const bytes = writeEnvelope(ERROR, type, requestId, this.#senderFields(), body);
    this.#sendReply(bytes, to, true);
  }

  #sendReply(bytes: Uint8Array, to: Address, isError: boolean): void {
    try {
      this.#transport.send(bytes, to, TRANSFER);
    } catch {
      this.stats.unsent++;
      return;
    }
    if (isError) this.stats.errorsSent++;
    else this.stats.responsesSent++;
  }

  #settle(
    bytes: Uint8Array,
    bodyAt: number,
    kind: number,
    type: number,
    requestId: number,
    from: Address,
  ): void {
    const entry = this.#pending?.get(requestId);
    if (
      entry === undefined ||
      entry.type !== type ||
      (this.#settings.checkSource && !sameAddress(from, entry.to))
    ) {
      this.stats.unmatched++;
      return;
    }
    this.#finish(entry);
    const body = bytes.subarray(bodyAt);
    if (kind === RESPONSE) {
      this.stats.responsesReceived++;
      entry.resolve({ body, sender: envelopeSender(bytes), from });
      return;
    }
    this.stats.errorsReceived++;
    const { code, message } = decodeErrorBody(body);
    entry.reject(
      code === 'ERR_UNKNOWN_TYPE'
        ? new P2PError(`remote has no handler for type ${entry.type}`, 'ERR_UNKNOWN_TYPE')
        : new RemoteError(code, message),
    );
  }

  #fail(entry: PendingRequest, error: Error): void {
    if (entry.settled) return;
    this.#finish(entry);
    entry.reject(error);
  }

  /** Takes `entry` out of every table and unhooks its abort listener. */
  #finish(entry: PendingRequest): void {
    entry.settled = true;
    // Both exist: the entry was made by request(), which made them.
    this.#pending!.delete(entry.id);
    entry.signal?.removeEventListener('abort', entry);
    this.#deadlines!.trim();
  }

  #arm(deadline: number): void {
    if (this.#timer !== undefined) {
      if (this.#timerDue <= deadline) return;
      this.#clock.clearTimeout(this.#timer);
    }
    this.#timerDue = deadline;
    this.#onTimer ??= () => this.#expire();
    this.#timer = this.#clock.setTimeout(this.#onTimer, Math.max(0, deadline - this.#clock.now()));
  }

  #expire(): void {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    const deadlines = this.#deadlines;
    if (deadlines === undefined) return; // armed only after a request, which made it
    const now = this.#clock.now();
    for (let entry = deadlines.popExpired(now); entry; entry = deadlines.popExpired(now)) {
      if (entry.retriesLeft > 0) {
        entry.retriesLeft--;
        entry.attempts++;
        this.stats.retransmissions++;
        entry.deadline = now + entry.timeoutMs;
        deadlines.push(entry);
        try {
          this.#transport.send(entry.bytes, entry.to);
        } catch (error) {
          this.#fail(entry, asError(error));
        }
      } else {
        this.stats.timeouts++;
        this.#fail(
          entry,
          expected(
            () =>
              new TimeoutError(
                `request of type ${entry.type} to ${formatAddress(entry.to)}: no answer to ${entry.attempts} attempt(s) of ${entry.timeoutMs} ms`,
              ),
          ),
        );
      }
    }
    const next = deadlines.peek();
    if (next !== undefined) this.#arm(next.deadline);
  }

  /** Our logger (`…:rpc`), made at first use: most endpoints never log anything. */
  #logger(): Logger {
    this.#log ??= this.#runtimeLog.extend('rpc');
    return this.#log;
  }
}

/**
 * An error for an expected outcome (a request timed out, the endpoint closed), made without a
 * stack trace: capturing one is most of an Error's cost (3.5 % of a simulated Chord churn run,
 * issue 19) and the stack would show the RPC timer, not the caller. Same class, code, message.
 */
function expected<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A Contact whose id is read from `self` at each use (see RpcOptions.self). */
export function liveContact(self: { readonly id: Uint8Array }, address: Address): Contact {
  return {
    get id() {
      return self.id;
    },
    address,
  };
}

function newStats(): RpcStats {
  return {
    requestsSent: 0,
    retransmissions: 0,
    responsesReceived: 0,
    errorsReceived: 0,
    timeouts: 0,
    aborts: 0,
    overloaded: 0,
    requestsReceived: 0,
    notificationsSent: 0,
    notificationsReceived: 0,
    responsesSent: 0,
    errorsSent: 0,
    droppedRequests: 0,
    unknownType: 0,
    malformed: 0,
    unmatched: 0,
    unsent: 0,
  };
}

function checkType(type: number): void {
  if (!(Number.isInteger(type) && type >= 0 && type <= 0xffff)) {
    throw new P2PError(`message type ${type} out of range 0..65535`, 'ERR_INVALID_ARGUMENT');
  }
}

function closedError(): NetworkError {
  return new NetworkError('rpc endpoint is closed', 'ERR_SOCKET_CLOSED');
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new P2PError(String(error));
}
