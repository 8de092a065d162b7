import type { Address } from '@p2pkit/core';
import type { Link } from './link.js';
import type { ConnectionInfo, ServentRole } from './options.js';
import type { ServentSettings } from './servent-context.js';

/**
 * A servent's open connections and the slot rules over them: how many ultrapeers and leaves
 * it keeps, whom it takes, and whom it suggests instead (X-Try-Ultrapeers).
 */
export class Neighbours {
  /** Open connections by link id. */
  readonly links = new Map<number, Link>();

  constructor(private readonly o: ServentSettings) {}

  get size(): number {
    return this.links.size;
  }

  /** Open connections to ultrapeers (true) or to leaves (false). */
  count(ultrapeer: boolean): number {
    let n = 0;
    for (const l of this.links.values()) if (l.peer.ultrapeer === ultrapeer) n++;
    return n;
  }

  /** Undefined when a servent in `role` takes this peer, else the refusal text. */
  acceptable(role: ServentRole, peer: { ultrapeer: boolean }): string | undefined {
    const ups = this.count(true);
    if (role === 'leaf') {
      if (!peer.ultrapeer) return 'Leaves only connect to ultrapeers';
      return ups >= this.o.leafUltrapeers ? 'Enough ultrapeers' : undefined;
    }
    if (peer.ultrapeer) return ups >= this.o.maxUltrapeers ? 'Busy' : undefined;
    return this.count(false) >= this.o.maxLeaves ? 'No more leaves' : undefined;
  }

  /** An ultrapeer's answer to a connecting ultrapeer: do we want it as a peer, not a leaf? */
  ultrapeerNeeded(): boolean {
    return this.count(true) < this.o.targetUltrapeers || this.count(false) >= this.o.maxLeaves;
  }

  /** Is a connection open to the servent listening at `address`? */
  connectedTo(address: Address): boolean {
    for (const l of this.links.values()) {
      const a = l.peer.listen ?? l.remoteAddress;
      if (a.host === address.host && a.port === address.port) return true;
    }
    return false;
  }

  /** The listening addresses of our ultrapeer connections. */
  ultrapeerAddresses(): Address[] {
    const out: Address[] = [];
    for (const l of this.links.values())
      if (l.peer.ultrapeer && l.peer.listen) out.push(l.peer.listen);
    return out;
  }

  infos(): ConnectionInfo[] {
    return [...this.links.values()].map(connectionInfo);
  }
}

/** What the user sees of a connection. */
export function connectionInfo(link: Link): ConnectionInfo {
  return {
    id: link.id,
    remote: link.peer.listen ?? link.remoteAddress,
    ultrapeer: link.peer.ultrapeer,
    outgoing: link.outgoing,
    userAgent: link.peer.userAgent,
    deflate: link.deflating,
  };
}
