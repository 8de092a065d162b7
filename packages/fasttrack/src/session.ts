/**
 * Overlay sessions: one TCP connection between two nodes, opened by four magic bytes each
 * way ("FTK" 0x01), then core's stream RPC (u32 length-prefixed envelopes). The port also
 * serves HTTP transfers and Push connections; the first four bytes a dialer sends tell them
 * apart (`FTK\x01`, `GET `, `HEAD`, `GIVE`).
 *
 * The dialer sends nothing after its magic until the acceptor's magic arrives, and the
 * acceptor nothing after its own until the first frame: so neither side ever reads frame
 * bytes together with the magic, and each can hand the connection to the RPC layer as is.
 */
import {
  type Address,
  type Connection,
  createStreamRpc,
  equalBytes,
  NetworkError,
  ProtocolError,
  type Runtime,
  type StreamRpc,
  TimeoutError,
} from '@p2pkit/core';
import { MAX_BODY, SESSION_MAGIC } from './messages.js';

/**
 * Reads at least `n` bytes off a fresh connection (resolves with everything read so far), or
 * rejects on close or after `timeoutMs`. The listener is gone when it settles.
 */
export function readHead(
  runtime: Runtime,
  connection: Connection,
  n: number,
  timeoutMs: number,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let head = new Uint8Array(0);
    const finish = (error?: Error) => {
      runtime.clock.clearTimeout(timer);
      connection.off('data', onData);
      connection.off('close', onClose);
      if (error) reject(error);
      else resolve(head);
    };
    const onData = (chunk: Uint8Array) => {
      const joined = new Uint8Array(head.length + chunk.length);
      joined.set(head);
      joined.set(chunk, head.length);
      head = joined;
      if (head.length >= n) finish();
    };
    const onClose = () =>
      finish(new NetworkError('connection closed during the handshake', 'ERR_SOCKET_CLOSED'));
    const timer = runtime.clock.setTimeout(
      () => finish(new TimeoutError(`no handshake within ${timeoutMs} ms`)),
      timeoutMs,
    );
    connection.on('data', onData);
    connection.on('close', onClose);
  });
}

export interface SessionOptions {
  runtime: Runtime;
  /** Our node id (read on every send: it never changes, but the RPC layer asks for an object). */
  self: { readonly id: Uint8Array };
  /** Our listening address, put in every envelope. */
  advertise: Address;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

function rpcOn(connection: Connection, options: SessionOptions): StreamRpc {
  return createStreamRpc({
    runtime: options.runtime,
    connection,
    self: options.self,
    advertise: options.advertise,
    maxMessageSize: MAX_BODY + 512,
    timeoutMs: options.timeoutMs ?? 10_000,
    closeTimeoutMs: 1_000,
  });
}

/** Dials `address` and completes the magic exchange; the session is ours to HELLO on. */
export async function dialSession(
  address: Address,
  options: SessionOptions & { signal?: AbortSignal; handshakeTimeoutMs?: number },
): Promise<StreamRpc> {
  const { runtime } = options;
  const timeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const connection = await runtime.net.dial(address, {
    timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    connection.write(SESSION_MAGIC.slice());
    const head = await readHead(runtime, connection, SESSION_MAGIC.length, timeoutMs);
    if (head.length !== SESSION_MAGIC.length || !equalBytes(head, SESSION_MAGIC)) {
      throw new ProtocolError(`${address.host}:${address.port} is not a FastTrack node`);
    }
    // The peer may have closed in the same turn as its magic arrived (a crash): the close event
    // is gone with readHead's listener, so the RPC layer would wait for it forever.
    if (connection.destroyed) {
      throw new NetworkError('connection closed during the handshake', 'ERR_SOCKET_CLOSED');
    }
  } catch (error) {
    connection.destroy();
    throw error;
  }
  return rpcOn(connection, options);
}

/**
 * The accepting side, once the first four bytes were `FTK\x01` and nothing more: answer with
 * our magic and speak RPC. Anything after the magic is a protocol violation (the dialer must
 * wait for ours): undefined, connection destroyed.
 */
export function acceptSession(
  connection: Connection,
  head: Uint8Array,
  options: SessionOptions,
): StreamRpc | undefined {
  if (
    head.length !== SESSION_MAGIC.length ||
    !equalBytes(head, SESSION_MAGIC) ||
    connection.destroyed
  ) {
    connection.destroy();
    return undefined;
  }
  connection.write(SESSION_MAGIC.slice());
  return rpcOn(connection, options);
}

/** True when the four bytes open an overlay session. */
export function isSessionMagic(head: Uint8Array): boolean {
  return (
    head.length >= 4 &&
    head[0] === SESSION_MAGIC[0] &&
    head[1] === SESSION_MAGIC[1] &&
    head[2] === SESSION_MAGIC[2] &&
    head[3] === SESSION_MAGIC[3]
  );
}
