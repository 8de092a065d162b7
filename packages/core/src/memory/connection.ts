import { Emitter } from '../emitter.js';
import { NetworkError } from '../errors.js';
import type { Address, Connection, ConnectionEvents } from '../runtime.js';

/**
 * One end of an in-memory stream. Bytes written by one end are queued at the other end and
 * delivered on the microtask queue, in order, one `data` event per write. There is no kernel
 * buffer: what the writer has queued and the reader has not consumed is the writer's
 * `writableLength`, so a paused reader pushes back on the writer (write() → false) exactly as a
 * full TCP window does, and `drain` comes once the reader has taken everything.
 */
export class MemoryConnection extends Emitter<ConnectionEvents> implements Connection {
  readonly localAddress: Address;
  readonly remoteAddress: Address;
  #peer!: MemoryConnection;
  readonly #highWaterMark: number;
  /** Frees the port and the hub's count; called once, when this end becomes destroyed. */
  #release: (() => void) | undefined;

  /** Chunks the peer wrote that we have not emitted yet. */
  #inbound: Uint8Array[] = [];
  #inboundHead = 0;
  #inboundBytes = 0;
  /** The peer half-closed: `end` follows once #inbound is drained. */
  #inboundEnded = false;
  #endEmitted = false;
  #localEnded = false;
  #destroyed = false;
  #closeEmitted = false;
  /** Data flows once a `data` listener exists or resume() was called, unless paused. */
  #flowing = false;
  #paused = false;
  #needDrain = false;
  #deliveryScheduled = false;
  /**
   * The peer reset us. As with TCP, the reset is noticed by reading (or writing): `close` waits
   * until this end flows, so a reset racing dial() is not lost before the caller subscribes.
   */
  #resetPending = false;

  constructor(local: Address, remote: Address, highWaterMark: number, onRelease: () => void) {
    super();
    this.localAddress = local;
    this.remoteAddress = remote;
    this.#highWaterMark = highWaterMark;
    this.#release = onRelease;
  }

  /** Links two fresh ends together. */
  static pair(a: MemoryConnection, b: MemoryConnection): void {
    a.#peer = b;
    b.#peer = a;
  }

  get writableLength(): number {
    return this.#peer.#destroyed ? 0 : this.#peer.#inboundBytes;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  override on<K extends keyof ConnectionEvents>(
    event: K,
    listener: (...args: ConnectionEvents[K]) => void,
  ): this {
    super.on(event, listener);
    // As node:net: bytes wait until someone listens, so none are lost between dial() resolving
    // and the caller subscribing.
    if (event === 'data' && !this.#flowing) {
      this.#flowing = true;
      this.#schedule();
    }
    return this;
  }

  write(data: Uint8Array): boolean {
    if (this.#destroyed || this.#localEnded) {
      if (this.#resetPending) this.#noticeReset();
      return false;
    }
    const peer = this.#peer;
    if (data.length > 0) {
      peer.#inbound.push(data);
      peer.#inboundBytes += data.length;
      peer.#schedule();
    }
    const ok = peer.#inboundBytes < this.#highWaterMark;
    if (!ok) this.#needDrain = true;
    return ok;
  }

  end(): void {
    if (this.#destroyed || this.#localEnded) return;
    this.#localEnded = true;
    this.#peer.#inboundEnded = true;
    this.#peer.#schedule();
    this.#maybeClose();
  }

  destroy(error?: Error): void {
    if (this.#destroyed) return;
    this.#markDestroyed();
    const peer = this.#peer;
    if (!peer.#destroyed) {
      peer.#markDestroyed();
      peer.#resetPending = true;
      peer.#schedule();
    }
    this.#emitClose(error);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#flowing = true;
    this.#schedule();
  }

  #markDestroyed(): void {
    this.#destroyed = true;
    this.#released();
    this.#inbound = [];
    this.#inboundHead = 0;
    this.#inboundBytes = 0;
    this.#needDrain = false;
  }

  #schedule(): void {
    if (this.#deliveryScheduled || (this.#destroyed && !this.#resetPending)) return;
    this.#deliveryScheduled = true;
    queueMicrotask(() => this.#deliver());
  }

  #deliver(): void {
    this.#deliveryScheduled = false;
    if (this.#resetPending) {
      if (this.#flowing && !this.#paused) this.#noticeReset();
      return;
    }
    while (this.#flowing && !this.#paused && !this.#destroyed) {
      const chunk = this.#inbound[this.#inboundHead];
      if (!chunk) break;
      this.#inbound[this.#inboundHead++] = EMPTY;
      this.#inboundBytes -= chunk.length;
      if (this.#inboundHead === this.#inbound.length) {
        this.#inbound = [];
        this.#inboundHead = 0;
      }
      this.emit('data', chunk);
    }
    if (this.#destroyed) return;
    const writer = this.#peer;
    if (writer.#needDrain && this.#inboundBytes === 0) {
      writer.#needDrain = false;
      if (!writer.#destroyed) writer.emit('drain');
    }
    if (
      this.#inboundEnded &&
      !this.#endEmitted &&
      this.#inboundBytes === 0 &&
      this.#flowing &&
      !this.#paused
    ) {
      this.#endEmitted = true;
      this.emit('end');
      this.#maybeClose();
    }
  }

  #noticeReset(): void {
    this.#resetPending = false;
    this.#emitClose(new NetworkError('connection reset by peer', 'ERR_CONNECTION_RESET'));
  }

  /** Both directions finished cleanly: FIN sent and FIN received. */
  #maybeClose(): void {
    if (this.#endEmitted && this.#localEnded && !this.#destroyed) {
      this.#destroyed = true;
      this.#released();
      this.#emitClose(undefined);
    }
  }

  #emitClose(error: Error | undefined): void {
    if (this.#closeEmitted) return;
    this.#closeEmitted = true;
    queueMicrotask(() => this.emit('close', error));
  }

  #released(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

const EMPTY = new Uint8Array(0);
