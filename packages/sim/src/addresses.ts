import { ipv4ToUint32 } from '@p2pkit/core';
import { invalidOption } from './errors.js';

/**
 * Host addresses and the indices they stand for. A host without an address of its own gets
 * 10.a.b.c from its index (10.0.0.1, 10.0.0.2, ...); such an address is parsed back to its
 * index rather than looked up: with 10^5 hosts a Map lookup among 10^5 strings costs a cache
 * miss per datagram, and the Map itself ~40 bytes per host. Only custom addresses go in a Map.
 */
export class AddressBook {
  /** Custom addresses (HostOptions.address) → index. */
  private readonly custom = new Map<string, number>();
  /** Address of each index, kept only once a custom address exists (to check parsed ones). */
  private addressOf: string[] | undefined;
  /** Addresses handed out (one per host index). */
  size = 0;

  /** Takes the next index's address (`address`, or the default); throws if it is taken. */
  add(address: string | undefined): string {
    const index = this.size;
    const chosen = address ?? defaultAddress(index);
    if (this.indexOf(chosen) !== undefined) throw invalidOption(`address ${chosen} is taken`);
    if (address !== undefined) {
      this.addressOf ??= Array.from({ length: index }, (_, i) => defaultAddress(i));
      this.custom.set(address, index);
    }
    this.addressOf?.push(chosen);
    this.size = index + 1;
    return chosen;
  }

  /** The host index at `address`, or undefined. */
  indexOf(address: string): number | undefined {
    const parsed = parseDefaultAddress(address);
    const addressOf = this.addressOf;
    if (parsed >= 0) {
      // No custom address anywhere: 10.a.b.c names the host at that index, if there is one
      // (no table to read: a cache miss less per datagram at 10^5 hosts).
      if (addressOf === undefined) return parsed < this.size ? parsed : undefined;
      if (addressOf[parsed] === address) return parsed;
    }
    return this.custom.get(address);
  }
}

/**
 * The index a default address (10.a.b.c, as defaultAddress writes it: canonical decimal octets)
 * stands for, or -1 for any other string.
 */
function parseDefaultAddress(address: string): number {
  const value = ipv4ToUint32(address);
  return value >= 0 && value >>> 24 === 10 ? (value & 0xffffff) - 1 : -1;
}

function defaultAddress(index: number): string {
  const n = index + 1;
  return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
