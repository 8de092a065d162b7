import { NetworkError, type NetworkErrorCode } from '../errors.js';

/** errno codes from node:net / node:dgram, mapped to the codes every Network shares. */
const CODES: Record<string, NetworkErrorCode> = {
  ECONNREFUSED: 'ERR_CONNECTION_REFUSED',
  ECONNRESET: 'ERR_CONNECTION_RESET',
  ECONNABORTED: 'ERR_CONNECTION_RESET',
  EPIPE: 'ERR_CONNECTION_RESET',
  ETIMEDOUT: 'ERR_CONNECTION_RESET',
  EADDRINUSE: 'ERR_ADDRESS_IN_USE',
  EADDRNOTAVAIL: 'ERR_HOST_UNREACHABLE',
  EHOSTUNREACH: 'ERR_HOST_UNREACHABLE',
  ENETUNREACH: 'ERR_HOST_UNREACHABLE',
  EHOSTDOWN: 'ERR_HOST_UNREACHABLE',
  ENETDOWN: 'ERR_HOST_UNREACHABLE',
  EMSGSIZE: 'ERR_DATAGRAM_TOO_LARGE',
  ERR_SOCKET_CLOSED: 'ERR_SOCKET_CLOSED',
  ERR_SOCKET_DGRAM_NOT_RUNNING: 'ERR_SOCKET_CLOSED',
  ERR_STREAM_DESTROYED: 'ERR_SOCKET_CLOSED',
  ERR_STREAM_WRITE_AFTER_END: 'ERR_SOCKET_CLOSED',
};

/** A Node socket error as a NetworkError with a shared code; the original is the `cause`. */
export function toNetworkError(error: unknown): NetworkError {
  if (error instanceof NetworkError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const mapped = typeof code === 'string' ? CODES[code] : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new NetworkError(message, mapped ?? 'ERR_NETWORK', { cause: error });
}

/** A plain Uint8Array view of a Buffer's bytes (no copy), so both worlds hand out one type. */
export function plainBytes(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
