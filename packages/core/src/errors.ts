/**
 * The error model of p2pkit. Every error a package throws or emits is a P2PError with a stable
 * `code` string: callers branch on `code` (or `name`), never on message text, and codes do not
 * change between versions.
 */
export class P2PError extends Error {
  /** Stable machine-readable code, e.g. `ERR_DECODE`. */
  readonly code: string;

  constructor(message: string, code = 'ERR_P2P', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'P2PError';
    this.code = code;
  }
}

/** Bytes that do not decode: truncated, oversized, out of range, malformed. */
export class DecodeError extends P2PError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_DECODE', options);
    this.name = 'DecodeError';
  }
}

/** An operation did not complete within its deadline. */
export class TimeoutError extends P2PError {
  constructor(message = 'operation timed out', options?: { cause?: unknown }) {
    super(message, 'ERR_TIMEOUT', options);
    this.name = 'TimeoutError';
  }
}

/** An operation was cancelled through its AbortSignal, or because its owner stopped. */
export class AbortError extends P2PError {
  constructor(message = 'operation aborted', options?: { cause?: unknown }) {
    super(message, 'ERR_ABORTED', options);
    this.name = 'AbortError';
  }
}

/** A peer broke the rules of the protocol (well-formed bytes, wrong behaviour). */
export class ProtocolError extends P2PError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_PROTOCOL', options);
    this.name = 'ProtocolError';
  }
}

/**
 * Codes a NetworkError carries. They mirror the socket errors a user of `node:net` knows, so a
 * simulated network and a real one fail the same way.
 */
export type NetworkErrorCode =
  | 'ERR_CONNECTION_REFUSED'
  | 'ERR_CONNECTION_RESET'
  | 'ERR_ADDRESS_IN_USE'
  | 'ERR_HOST_UNREACHABLE'
  | 'ERR_DATAGRAM_TOO_LARGE'
  | 'ERR_SOCKET_CLOSED'
  | 'ERR_NETWORK';

/** A transport-level failure: refused, reset, unreachable, closed, oversize datagram. */
export class NetworkError extends P2PError {
  declare readonly code: NetworkErrorCode;

  constructor(
    message: string,
    code: NetworkErrorCode = 'ERR_NETWORK',
    options?: { cause?: unknown },
  ) {
    super(message, code, options);
    this.name = 'NetworkError';
  }
}

/** True when `error` is a P2PError with the given code. */
export function isP2PError(error: unknown, code?: string): error is P2PError {
  return error instanceof P2PError && (code === undefined || error.code === code);
}

/** The AbortError to throw for `signal`, keeping the signal's reason as the cause. */
export function abortErrorFrom(signal: AbortSignal): AbortError {
  const reason: unknown = signal.reason;
  if (reason instanceof AbortError) return reason;
  if (reason instanceof TimeoutError) return new AbortError(reason.message, { cause: reason });
  return new AbortError('operation aborted', { cause: reason });
}

/** Throws an AbortError when `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortErrorFrom(signal);
}
