import type { TimerHandle } from '@p2pkit/core';
import { encodeDescriptor, type Message, type QrpPatch, type QrpReset } from './descriptors.js';
import { newGuid } from './guid.js';
import type { Link, PeerInfo } from './link.js';
import { QrpReceiver, QueryRouteTable, qrpUpdate } from './qrp.js';
import type { ServentContext } from './servent-context.js';

/**
 * The QRP tables a servent exchanges: a leaf sends its table to its ultrapeers; an ultrapeer
 * keeps its leaves' tables (to forward them only the queries they can answer) and, with
 * X-Ultrapeer-Query-Routing, swaps with its ultrapeer peers the union of its own and its
 * leaves' keywords, for the last hop of a query.
 */
export class QrpExchange {
  /** Tables received, by link (only from leaves, and from peers that offered last-hop QRP). */
  private readonly receivers = new Map<number, QrpReceiver>();
  /** What each link last got from us, so that the next update is a PATCH from it. */
  private readonly sentTables = new Map<number, QueryRouteTable>();
  /** The RESET + PATCH that bring an empty table to ours, kept for the next ultrapeer. */
  private firstUpdate: { table: QueryRouteTable; messages: (QrpReset | QrpPatch)[] } | undefined;
  /** Ultrapeer: our keywords and our leaves', for our peers' last hop (undefined: recompute). */
  private peerTable: QueryRouteTable | undefined;
  private peerTableTimer: TimerHandle | undefined;

  constructor(private readonly ctx: ServentContext) {}

  /** Do we exchange tables with this peer? Both ultrapeers, both announced it. */
  tablesWith(peer: Pick<PeerInfo, 'ultrapeer' | 'ultrapeerQueryRouting'>): boolean {
    return (
      this.ctx.role === 'ultrapeer' &&
      this.ctx.o.ultrapeerQueryRouting &&
      peer.ultrapeer &&
      peer.ultrapeerQueryRouting
    );
  }

  /** A new link, before its first bytes are read: ready for its table if it will send one. */
  opened(link: Link): void {
    if (!link.peer.ultrapeer || this.tablesWith(link.peer))
      this.receivers.set(link.id, new QrpReceiver());
  }

  /** A new link is open: a leaf sends its ultrapeer our table, ultrapeers their union. */
  greet(link: Link): void {
    if (this.ctx.role === 'leaf' && link.peer.ultrapeer) this.sendTable(link, this.ctx.table);
    else if (this.tablesWith(link.peer)) this.sendTable(link, this.ultrapeerTable());
  }

  closed(link: Link): void {
    if (!link.peer.ultrapeer && this.receivers.get(link.id)?.table) this.leafTableChanged();
    this.receivers.delete(link.id);
    this.sentTables.delete(link.id);
  }

  /** Our own files changed: leaves update their ultrapeers, ultrapeers their peers. */
  ownTableChanged(started: boolean): void {
    if (this.ctx.role === 'leaf') {
      for (const link of this.ctx.links.values()) this.sendTable(link, this.ctx.table);
    } else if (started) this.leafTableChanged();
  }

  /** The complete table `link` has sent us, if any. */
  tableOf(link: number): QueryRouteTable | undefined {
    return this.receivers.get(link)?.table;
  }

  /** A RESET or PATCH from `link`; a bad one ends the connection with a Bye. */
  receive(link: Link, message: Extract<Message, { kind: 'qrp-reset' | 'qrp-patch' }>): void {
    const receiver = this.receivers.get(link.id);
    if (!receiver) return; // only leaves (and ultrapeers that offered it) send us tables
    try {
      const before = receiver.table;
      receiver.apply(message);
      if (receiver.table !== before && !link.peer.ultrapeer) this.leafTableChanged();
    } catch (error) {
      this.ctx.log('bad QRP from %d: %s', link.id, (error as Error).message);
      link.bye(400, 'Bad QRP table');
    }
  }

  /** Tables held and their slots (for routingState). */
  held(): { tables: number; slots: number } {
    let tables = 0;
    let slots = 0;
    for (const r of this.receivers.values()) {
      if (r.table === undefined) continue;
      tables++;
      slots += r.table.size;
    }
    return { tables, slots };
  }

  stop(): void {
    if (this.peerTableTimer !== undefined) this.ctx.runtime.clock.clearTimeout(this.peerTableTimer);
    this.peerTableTimer = undefined;
  }

  /** Sends `table` as RESET + PATCH, or as a PATCH from what this link last got. */
  private sendTable(link: Link, table: QueryRouteTable): void {
    const previous = this.sentTables.get(link.id);
    // Every ultrapeer of a leaf gets the same first update: compress it once.
    let update = this.firstUpdate?.table === table ? this.firstUpdate.messages : undefined;
    if (previous !== undefined || update === undefined) {
      update = qrpUpdate(table, previous);
      if (previous === undefined) this.firstUpdate = { table, messages: update };
    }
    for (const message of update) {
      this.ctx.sendTo(
        link,
        encodeDescriptor({ guid: newGuid(this.ctx.runtime.random), ttl: 1, hops: 0, message }),
      );
    }
    this.sentTables.set(link.id, table);
  }

  /**
   * What our peers may send us on a query's last hop: our own keywords and every leaf's (one
   * hop further). A leaf whose table has not arrived yet is left out until it does.
   */
  private ultrapeerTable(): QueryRouteTable {
    if (this.peerTable) return this.peerTable;
    const t = new QueryRouteTable(this.ctx.o.qrpBits);
    t.slots.set(this.ctx.table.slots);
    for (const [id, receiver] of this.receivers) {
      const link = this.ctx.links.get(id);
      if (link && !link.peer.ultrapeer && receiver.table) t.absorb(receiver.table);
    }
    this.peerTable = t;
    return t;
  }

  /** A leaf's table (or our files) changed: our peers get the new union after a short delay. */
  private leafTableChanged(): void {
    this.peerTable = undefined;
    const { ctx } = this;
    if (ctx.stopped || ctx.role !== 'ultrapeer' || this.peerTableTimer !== undefined) return;
    this.peerTableTimer = ctx.runtime.clock.setTimeout(() => {
      this.peerTableTimer = undefined;
      if (ctx.stopped) return;
      for (const link of ctx.links.values()) {
        if (link.isOpen && this.tablesWith(link.peer)) this.sendTable(link, this.ultrapeerTable());
      }
    }, ctx.o.ultrapeerTableDelayMs);
  }
}
