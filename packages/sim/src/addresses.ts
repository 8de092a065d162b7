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
  /** Address of each index, for checking a parsed default address once customs exist. */
  private readonly addressOf: string[] = [];

  /** Number of addresses handed out (one per host index). */
  get size(): number {
    return this.addressOf.length;
  }

  /** Takes the next index's address (`address`, or the default); throws if it is taken. */
  add(address: string | undefined): string {
    const index = this.addressOf.length;
    const chosen = address ?? defaultAddress(index);
    if (this.indexOf(chosen) !== undefined) throw invalidOption(`address ${chosen} is taken`);
    if (address !== undefined) this.custom.set(address, index);
    this.addressOf.push(chosen);
    return chosen;
  }

  /** The host index at `address`, or undefined. */
  indexOf(address: string): number | undefined {
    const parsed = parseDefaultAddress(address);
    if (parsed >= 0) {
      // No custom address anywhere: 10.a.b.c names the host at that index, if there is one
      // (skipping the address table saves a cache miss per datagram at 10^5 hosts).
      if (this.custom.size === 0) return parsed < this.addressOf.length ? parsed : undefined;
      if (this.addressOf[parsed] === address) return parsed;
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
