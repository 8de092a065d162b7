import { invalidOption } from './errors.js';

/**
 * Firewalled hosts (HostOptions.firewalled): a host behind a NAT or a stateful firewall, as
 * Gnutella's Push, Napster's firewalled transfers and FastTrack's supernode election expect.
 *
 * Streams: a SYN from another host is refused (a reset, as a router with nothing forwarded
 * answers) or dropped (the dial times out); connections the host dials work both ways.
 * Datagrams: each socket of a firewalled host keeps the mappings its sends open, as a NAT with
 * address- and port-dependent filtering (RFC 4787) does: a datagram from (host, port) gets in
 * if this socket sent to exactly that (host, port) within the mapping timeout; anything else is
 * dropped and counted in `metrics.drops.firewall`. Only outbound datagrams refresh a mapping
 * (RFC 4787 REQ-6's required direction).
 */

/** Per host index, in a Uint8Array: open, or firewalled with what an inbound dial meets. */
export const FIREWALL_OPEN = 0;
export const FIREWALL_REFUSE = 1;
export const FIREWALL_DROP = 2;

/** RFC 4787 REQ-5: a UDP mapping lasts at least two minutes. */
export const DEFAULT_UDP_MAPPING_MS = 120_000;

/** The table value of a HostOptions.firewalled option. */
export function firewallMode(option: boolean | 'refuse' | 'drop' | undefined): number {
  if (option === undefined || option === false) return FIREWALL_OPEN;
  if (option === true || option === 'refuse') return FIREWALL_REFUSE;
  if (option === 'drop') return FIREWALL_DROP;
  throw invalidOption(`firewalled must be true, false, 'refuse' or 'drop', got ${String(option)}`);
}

/** The UDP mappings of one socket on a firewalled host: (peer index, peer port) → expiry. */
export class UdpMappings {
  private readonly expiry = new Map<number, number>();
  /** Size at which expired mappings are swept (keeps the table bounded by live mappings). */
  private sweepAt = 1024;

  /** The socket sent to (peer, port) at `now`: replies are welcome until `until`. */
  open(peer: number, port: number, now: number, until: number): void {
    const expiry = this.expiry;
    expiry.set(peer * 65_536 + port, until);
    if (expiry.size < this.sweepAt) return;
    for (const [key, time] of expiry) if (time < now) expiry.delete(key);
    this.sweepAt = Math.max(1024, expiry.size * 2);
  }

  /** True when a datagram from (peer, port) arriving at `now` is a reply. */
  allows(peer: number, port: number, now: number): boolean {
    const until = this.expiry.get(peer * 65_536 + port);
    return until !== undefined && until >= now;
  }
}
