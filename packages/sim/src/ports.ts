/** Something bound to a port of a host: a datagram socket or a listener. */
interface Bound {
  readonly port: number;
}

/**
 * A host's datagram sockets, or its listeners, by port. Nearly every simulated host binds one
 * of each kind at most: that one is held as is, and a Map appears with the second (an empty
 * Map costs about 180 bytes: 18 MB at 10^5 hosts).
 */
export type PortTable<T extends Bound> = T | Map<number, T> | undefined;

export function portGet<T extends Bound>(table: PortTable<T>, port: number): T | undefined {
  if (table === undefined) return undefined;
  if (table instanceof Map) return table.get(port);
  return table.port === port ? table : undefined;
}

/** The table with `item` added (its port is free: the caller checked). */
export function portAdd<T extends Bound>(table: PortTable<T>, item: T): PortTable<T> {
  if (table === undefined) return item;
  if (table instanceof Map) return table.set(item.port, item);
  return new Map([
    [table.port, table],
    [item.port, item],
  ]);
}

/** The table without `item` (unchanged if `item` is not in it). */
export function portRemove<T extends Bound>(table: PortTable<T>, item: T): PortTable<T> {
  if (table === item) return undefined;
  if (table instanceof Map && table.get(item.port) === item) table.delete(item.port);
  return table;
}

export function portItems<T extends Bound>(table: PortTable<T>): T[] {
  if (table === undefined) return [];
  return table instanceof Map ? [...table.values()] : [table];
}
