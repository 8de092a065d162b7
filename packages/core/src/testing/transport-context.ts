import { expect } from 'vitest';
import { concatBytes } from '../codec/bytes.js';
import { isP2PError } from '../errors.js';
import type { Address, Connection, DatagramSocket, Runtime } from '../runtime.js';
import type { HarnessScope } from './drive.js';
import type { TransportHarness } from './transport-harness.js';

/** What every part of the transport compliance suite shares: the harness scope and helpers. */
export interface TransportSuiteContext extends HarnessScope<TransportHarness> {
  /** Size of the large-write test in bytes. */
  readonly largeWriteBytes: number;
  /** How long the firewall tests wait before concluding that nothing arrives, in ms. */
  readonly quietMs: number;
  /** A promise of the next `event` on `connection`. */
  next<T extends unknown[]>(connection: Connection, event: 'end' | 'drain' | 'close'): Promise<T>;
  /** Collects a connection's bytes until `end` (or `close`). */
  collect(connection: Connection): Promise<Uint8Array>;
  /** Listens on `server`, dials from `client`; resolves to both ends. */
  connectPair(
    server: Runtime,
    client: Runtime,
  ): Promise<{ accepted: Connection; dialed: Connection; listenerAddress: Address }>;
  /** Binds a datagram socket closed after the test. */
  bind(
    runtime: Runtime,
    onDatagram: (data: Uint8Array, from: Address) => void,
    port?: number,
  ): Promise<DatagramSocket>;
  /** Asserts that `error` is a P2PError with `code`. */
  expectCode(error: unknown, code: string): void;
}

export function transportContext(
  scope: HarnessScope<TransportHarness>,
  sizes: { largeWriteBytes: number; quietMs: number },
): TransportSuiteContext {
  const { cleanups, until } = scope;
  /** A promise of the next `event` on `connection`. */
  function next<T extends unknown[]>(
    connection: Connection,
    event: 'end' | 'drain' | 'close',
  ): Promise<T> {
    return new Promise((resolve) => {
      connection.once(event, (...args: unknown[]) => resolve(args as T));
    });
  }

  /** Collects a connection's bytes until `end` (or `close`). */
  function collect(connection: Connection): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    return new Promise((resolve) => {
      const done = () => resolve(concatBytes(chunks));
      connection.on('data', (chunk) => chunks.push(chunk));
      connection.once('end', done);
      connection.once('close', done);
    });
  }

  /** Listens on `server`, dials from `client`; resolves to both ends. */
  async function connectPair(
    server: Runtime,
    client: Runtime,
  ): Promise<{ accepted: Connection; dialed: Connection; listenerAddress: Address }> {
    let onAccept!: (connection: Connection) => void;
    const acceptedPromise = new Promise<Connection>((resolve) => {
      onAccept = resolve;
    });
    const listener = await until(server.net.listen({}, onAccept), 'listen');
    cleanups.push(() => listener.close());
    const dialed = await until(client.net.dial(listener.address), 'dial');
    const accepted = await until(acceptedPromise, 'accept');
    cleanups.push(
      () => dialed.destroy(),
      () => accepted.destroy(),
    );
    return { accepted, dialed, listenerAddress: listener.address };
  }

  async function bind(
    runtime: Runtime,
    onDatagram: (data: Uint8Array, from: Address) => void,
    port?: number,
  ): Promise<DatagramSocket> {
    const socket = await until(runtime.net.bind(port ? { port } : {}, onDatagram), 'bind');
    cleanups.push(() => socket.close());
    return socket;
  }

  function expectCode(error: unknown, code: string): void {
    expect(isP2PError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
  }

  return {
    get cleanups() {
      return scope.cleanups;
    },
    get harness() {
      return scope.harness;
    },
    setup: () => scope.setup(),
    until,
    ...sizes,
    next,
    collect,
    connectPair,
    bind,
    expectCode,
    rejection: scope.rejection,
  };
}

/** Deterministic bytes: byte i of the stream is a function of (start + i), chunked or not. */
export function pattern(length: number, start: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const x = start + i;
    out[i] = (x * 31 + (x >>> 8) * 7 + (x >>> 16)) & 0xff;
  }
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function utf8(value: string): Uint8Array {
  return encoder.encode(value);
}

export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
