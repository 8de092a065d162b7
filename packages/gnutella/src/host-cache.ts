import type { Address } from '@p2pkit/core';

/** Host cache size: addresses learnt from pongs and X-Try headers. */
const HOST_CACHE_SIZE = 1000;
/** Pongs kept for answering other servents' pings (LimeWire: ~10 per answer). */
const PONG_CACHE_SIZE = 100;

export interface KnownHost {
  readonly address: Address;
  readonly ultrapeer: boolean;
}

interface CachedPong {
  /** The link the pong came on (not echoed back to it). */
  readonly link: number;
  readonly bytes: Uint8Array;
  readonly hops: number;
}

const keyOf = (a: Address) => `${a.host}:${a.port}`;

/**
 * What a servent knows of other servents: addresses to dial (from pongs and X-Try headers,
 * least recently heard first out), and the pong cache it answers pings from.
 */
export class HostCache {
  private readonly hosts = new Map<string, KnownHost>();
  private readonly pongs: CachedPong[] = [];

  /** `self` is our own listening address, never cached. */
  constructor(private readonly self: () => Address | undefined) {}

  /** Keeps `address` as the most recently heard (ignoring port 0 and ourselves). */
  remember(address: Address, ultrapeer: boolean): void {
    if (address.port === 0) return;
    const self = this.self();
    if (self && self.host === address.host && self.port === address.port) return;
    const key = keyOf(address);
    this.hosts.delete(key);
    this.hosts.set(key, { address, ultrapeer });
    if (this.hosts.size > HOST_CACHE_SIZE) this.hosts.delete(this.hosts.keys().next().value!);
  }

  forget(address: Address): void {
    this.hosts.delete(keyOf(address));
  }

  /** Known hosts, most recent first. */
  recent(): KnownHost[] {
    return [...this.hosts.values()].reverse();
  }

  /** Up to `limit` ultrapeer addresses: `first`, then cached ones not among them. */
  ultrapeers(first: Address[], limit: number): Address[] {
    const out = first.slice(0, limit);
    for (const h of this.hosts.values()) {
      if (out.length >= limit) break;
      if (h.ultrapeer && !out.some((a) => a.host === h.address.host && a.port === h.address.port))
        out.push(h.address);
    }
    return out;
  }

  /** Keeps a pong (its raw descriptor) that arrived on `link`, one hop further away. */
  cachePong(link: number, raw: Uint8Array): void {
    this.pongs.push({ link, bytes: raw.slice(), hops: Math.min(255, raw[18]! + 1) });
    if (this.pongs.length > PONG_CACHE_SIZE) this.pongs.shift();
  }

  /** Up to `limit` cached pongs, newest first, none that came from `link`. */
  pongsFor(link: number, limit: number): { bytes: Uint8Array; hops: number }[] {
    const out: CachedPong[] = [];
    for (let i = this.pongs.length - 1; i >= 0 && out.length < limit; i--) {
      const c = this.pongs[i]!;
      if (c.link !== link) out.push(c);
    }
    return out;
  }

  /** Forgets the pongs that came on a closed link. */
  dropLink(link: number): void {
    for (let i = this.pongs.length - 1; i >= 0; i--)
      if (this.pongs[i]!.link === link) this.pongs.splice(i, 1);
  }
}
