import { P2PError } from './errors.js';
import type { Address } from './runtime.js';

/** `host:port`, with IPv6 hosts in brackets (`[::1]:6881`). */
export function formatAddress(address: Address): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

/**
 * Parses `host:port` or `[v6]:port`. Throws P2PError `ERR_INVALID_ADDRESS` on anything else,
 * including ports outside 0..65535.
 */
export function parseAddress(text: string): Address {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1 || text[close + 1] !== ':') throw invalid(text);
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0 || text.indexOf(':') !== colon) throw invalid(text);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(portText) || host.length === 0) throw invalid(text);
  const port = Number(portText);
  if (port > 65535) throw invalid(text);
  return { host, port };
}

/**
 * The 32-bit value of a canonical dotted-quad IPv4 address (four decimal parts 0..255, no
 * leading zeros), or -1 for anything else (names, IPv6, non-canonical forms like 01.2.3.4).
 */
export function ipv4ToUint32(host: string): number {
  const n = host.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? host.charCodeAt(i) : 0x2e; // a virtual '.' ends the last part
    if (c === 0x2e) {
      if (digits === 0) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 0x30);
      digits++;
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

/** True when two addresses name the same endpoint. */
export function sameAddress(a: Address, b: Address): boolean {
  return a.port === b.port && a.host === b.host;
}

function invalid(text: string): P2PError {
  return new P2PError(
    `invalid address ${JSON.stringify(text)}: expected host:port`,
    'ERR_INVALID_ADDRESS',
  );
}
