/**
 * Keeping the state right as nodes fail (paper §2.4):
 * - leaf set: a periodic keep-alive (ANNOUNCE to every member, which also exchanges leaf sets);
 *   a member that does not answer is replaced from the leaf set of the farthest live member on
 *   its side, each replacement checked alive before it is taken;
 * - routing table: repaired lazily, when a dead entry R[l][d] is found on use: the other entries
 *   of row l are asked for their R[l][d], then those of row l + 1;
 * - neighbourhood set: members are probed periodically; a dead one is replaced from another
 *   member's neighbourhood set;
 * - routing-table locality: periodically, each row's copy is asked from a random entry of that
 *   row and the closer nodes it names are taken (nodes that joined after us reach our table).
 * The paper gives no periods: PastryOptions.probeMs, neighborhoodProbeMs and tableProbeMs are
 * this package's.
 */
import { TimeoutError, type TimerHandle } from '@p2pkit/core';
import type { Context } from './context.js';
import * as msg from './messages.js';
import type { Peer } from './peer.js';
import type { Slot } from './routing-table.js';

export class Maintenance {
  readonly #ctx: Context;
  #leafTimer: TimerHandle | undefined;
  #neighborTimer: TimerHandle | undefined;
  #tableTimer: TimerHandle | undefined;
  #stopped = false;
  /** A leaf-set repair is running; `#again` asks it to run once more when it ends. */
  #repairingLeaf = false;
  #again = false;
  /** Routing-table slots being repaired, as "row:column". */
  readonly #repairing = new Set<string>();

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  start(): void {
    this.#stopped = false;
    this.#scheduleLeaf();
    this.#scheduleNeighbors();
    this.#scheduleTable();
  }

  stop(): void {
    this.#stopped = true;
    const clock = this.#ctx.clock;
    try {
      clock.clearTimeout(this.#leafTimer);
      clock.clearTimeout(this.#neighborTimer);
      clock.clearTimeout(this.#tableTimer);
    } catch {
      // A crashed simulated host's clock is gone, and its timers with it.
    }
    this.#leafTimer = undefined;
    this.#neighborTimer = undefined;
    this.#tableTimer = undefined;
  }

  /**
   * One keep-alive round: PING every leaf-set member, exchange leaf sets (ANNOUNCE) with the two
   * nearest (what a member misses, its neighbours know), and retry one peer declared dead: if
   * it answers, a partition has healed, and the two leaf sets merge through this exchange.
   */
  async probeLeafSet(): Promise<void> {
    const ctx = this.#ctx;
    const leaf = ctx.state.leaf;
    const members = leaf.members();
    const body = msg.encodePeers(members, ctx.space);
    const nearest = new Set([leaf.cw[0]?.key, leaf.ccw[0]?.key]);
    const tasks = members.map((p) =>
      nearest.has(p.key) ? this.exchange(p, body) : this.#probe(p),
    );
    const retry = ctx.somePeerDeclaredDead();
    if (retry !== undefined) tasks.push(this.exchange(retry, body));
    await Promise.all(tasks);
  }

  /** A liveness check: a peer that does not answer is dead. */
  async #probe(peer: Peer): Promise<void> {
    const ctx = this.#ctx;
    try {
      await ctx.ping(peer);
    } catch (error) {
      if (error instanceof TimeoutError) ctx.peerFailed(peer);
      else ctx.warn(error);
    }
  }

  /**
   * ANNOUNCE to `peer` with our leaf set as `body`; take in the leaf-set members of its answer
   * that belong in ours, each checked alive first. A peer that does not answer is dead.
   */
  async exchange(peer: Peer, body: Uint8Array): Promise<boolean> {
    const ctx = this.#ctx;
    // A peer back from the dead (a healed partition) vouches for others we gave up on.
    const revived = ctx.dead(peer);
    try {
      const reply = await ctx.request(peer.address, msg.MessageType.ANNOUNCE, body);
      ctx.alive(peer);
      await this.offerLeaves(msg.decodePeers(reply, ctx.limits), revived);
      return true;
    } catch (error) {
      if (error instanceof TimeoutError) ctx.peerFailed(peer);
      else ctx.warn(error);
      return false;
    }
  }

  /**
   * A node announced itself (after its join, or as a leaf-set keep-alive): take it in at once,
   * measure it if it is new (proximity), and check the leaf-set members it knows that we do not.
   */
  announced(sender: Peer, leaves: readonly Peer[]): void {
    const ctx = this.#ctx;
    const state = ctx.state;
    const isNew = !state.knows(sender);
    ctx.alive(sender);
    ctx.consider(sender, Number.NaN);
    if (isNew && ctx.options.proximity) {
      ctx.ping(sender).then(
        (rtt) => ctx.consider(sender, rtt),
        () => {},
      );
    }
    const self = state.self.key;
    void this.offerLeaves(leaves.filter((p) => p.key !== self && p.key !== sender.key));
  }

  /**
   * Candidates for the leaf set: each one that would enter it is pinged, and taken if alive.
   * Peers declared dead are skipped (stale news), unless `includeDead`.
   */
  async offerLeaves(candidates: readonly Peer[], includeDead = false): Promise<void> {
    const ctx = this.#ctx;
    const leaf = ctx.state.leaf;
    for (const q of candidates) {
      if (!this.#running() || !leaf.admits(q) || !ctx.accept(q)) continue;
      if (ctx.dead(q) && !includeDead) continue;
      ctx.stats.repairRpcs++;
      try {
        ctx.consider(q, await ctx.ping(q));
      } catch (error) {
        if (!(error instanceof TimeoutError)) ctx.warn(error);
      }
    }
  }

  /**
   * A leaf-set member is gone: ask the farthest live member of each short side for its leaf set
   * (the paper's repair). Runs once at a time; failures met meanwhile start another round.
   */
  async repairLeafSet(): Promise<void> {
    if (this.#repairingLeaf) {
      this.#again = true;
      return;
    }
    this.#repairingLeaf = true;
    const ctx = this.#ctx;
    try {
      do {
        this.#again = false;
        const leaf = ctx.state.leaf;
        for (const side of ['cw', 'ccw'] as const) {
          if (!this.#running() || leaf[side].length >= leaf.half) continue;
          const edge = leaf.edge(side) ?? leaf.edge(side === 'cw' ? 'ccw' : 'cw');
          if (edge === undefined) continue;
          ctx.stats.repairRpcs++;
          await this.exchange(edge, msg.encodePeers(leaf.members(), ctx.space));
        }
      } while (this.#again && this.#running());
    } finally {
      this.#repairingLeaf = false;
    }
  }

  /**
   * Lazy repair of routing-table slot (row l, column d): ask the other entries of row l for
   * their R[l][d], then the entries of row l + 1; take the first live answer.
   */
  async repairSlot(slot: Slot): Promise<void> {
    const ctx = this.#ctx;
    const table = ctx.state.table;
    const { row, column } = slot;
    const name = `${row}:${column}`;
    if (this.#repairing.has(name)) return;
    this.#repairing.add(name);
    try {
      const sources = [
        ...ctx.random.shuffle(table.row(row).filter((p) => p !== undefined)),
        ...ctx.random.shuffle(table.row(row + 1).filter((p) => p !== undefined)),
      ];
      const request = msg.encodeStateRequest({ parts: msg.PART_ROWS, firstRow: row, lastRow: row });
      for (const source of sources) {
        if (!this.#running() || table.get(row, column) !== undefined) return;
        if (ctx.dead(source)) continue;
        ctx.stats.repairRpcs++;
        let candidate: Peer | undefined;
        try {
          const reply = await ctx.request(source.address, msg.MessageType.STATE, request);
          candidate = msg.decodeState(reply, ctx.limits).rows.find((r) => r.index === row)?.entries[
            column
          ];
        } catch (error) {
          if (error instanceof TimeoutError) ctx.peerFailed(source);
          else ctx.warn(error);
          continue;
        }
        if (candidate === undefined || !ctx.accept(candidate) || ctx.dead(candidate)) continue;
        const at = table.slotOf(candidate);
        if (at === undefined || at.row !== row || at.column !== column) {
          ctx.stats.rejectedPeers++;
          continue;
        }
        ctx.stats.repairRpcs++;
        try {
          ctx.consider(candidate, await ctx.ping(candidate));
          ctx.stats.repaired++;
          return;
        } catch (error) {
          if (error instanceof TimeoutError) ctx.peerFailed(candidate);
        }
      }
    } finally {
      this.#repairing.delete(name);
    }
  }

  /**
   * One routing-table maintenance round (proximity): for each row, ask a random entry of that row
   * for its copy of the row; every node it names that we do not hold in that slot is measured
   * and offered, so the slot keeps the closer one. Nodes that joined after our own join reach
   * our table this way, not only through their announcements.
   */
  async exchangeRows(): Promise<void> {
    const ctx = this.#ctx;
    const state = ctx.state;
    const table = state.table;
    const height = table.height;
    for (let row = 0; row < height; row++) {
      const entries = table.row(row).filter((p): p is Peer => p !== undefined);
      if (entries.length === 0 || !this.#running()) continue;
      const source = entries[ctx.random.int(entries.length)]!;
      ctx.stats.repairRpcs++;
      let offered: (Peer | undefined)[];
      try {
        const reply = await ctx.request(
          source.address,
          msg.MessageType.STATE,
          msg.encodeStateRequest({ parts: msg.PART_ROWS, firstRow: row, lastRow: row }),
        );
        const rows = msg.decodeState(reply, ctx.limits).rows;
        offered = rows.find((r) => r.index === row)?.entries ?? [];
      } catch (error) {
        if (error instanceof TimeoutError) ctx.peerFailed(source);
        else ctx.warn(error);
        continue;
      }
      await Promise.all(
        offered.map(async (p, column) => {
          if (p === undefined || !this.#running()) return;
          const current = table.get(row, column);
          // Without proximity an occupied slot keeps its entry: only empty ones are worth a PING.
          if (current !== undefined && (current.key === p.key || !state.proximity)) return;
          if (p.key === state.self.key || !ctx.accept(p) || ctx.dead(p)) return;
          const at = table.slotOf(p);
          if (at === undefined || at.row !== row) return;
          ctx.stats.repairRpcs++;
          try {
            ctx.consider(p, await ctx.ping(p));
          } catch (error) {
            if (error instanceof TimeoutError) ctx.peerFailed(p);
          }
        }),
      );
    }
  }

  /** One neighbourhood round: re-measure every member; refill from a member's set if short. */
  async probeNeighborhood(): Promise<void> {
    const ctx = this.#ctx;
    const hood = ctx.state.neighborhood;
    await Promise.all(
      [...hood.peers].map(async (p) => {
        try {
          ctx.consider(p, await ctx.ping(p));
        } catch (error) {
          if (error instanceof TimeoutError) ctx.peerFailed(p);
        }
      }),
    );
    if (hood.size < hood.capacity && hood.size > 0) await this.refillNeighborhood();
  }

  /** Asks a random member for its neighbourhood set; measures and offers each new node. */
  async refillNeighborhood(): Promise<void> {
    const ctx = this.#ctx;
    const hood = ctx.state.neighborhood;
    const source = hood.peers[ctx.random.int(Math.max(1, hood.size))];
    if (source === undefined) return;
    ctx.stats.repairRpcs++;
    try {
      const reply = await ctx.request(
        source.address,
        msg.MessageType.STATE,
        msg.encodeStateRequest({ parts: msg.PART_NEIGHBORS, firstRow: 0, lastRow: 0 }),
      );
      for (const p of msg.decodeState(reply, ctx.limits).neighbors) {
        if (!this.#running() || hood.has(p.key) || !ctx.accept(p) || ctx.dead(p)) continue;
        if (p.key === ctx.state.self.key) continue;
        ctx.stats.repairRpcs++;
        ctx.consider(p, await ctx.ping(p).catch(() => Number.NaN));
      }
    } catch (error) {
      if (error instanceof TimeoutError) ctx.peerFailed(source);
      else ctx.warn(error);
    }
  }

  #running(): boolean {
    return !this.#stopped && this.#ctx.running;
  }

  #period(mean: number): number {
    return mean * (0.5 + this.#ctx.random.float());
  }

  #scheduleLeaf(): void {
    this.#repeat(
      this.#ctx.options.probeMs,
      () => this.probeLeafSet(),
      (timer) => {
        this.#leafTimer = timer;
      },
    );
  }

  #scheduleTable(): void {
    this.#repeat(
      this.#ctx.options.tableProbeMs,
      () => this.exchangeRows(),
      (timer) => {
        this.#tableTimer = timer;
      },
    );
  }

  #scheduleNeighbors(): void {
    if (this.#ctx.options.neighborhood === 0) return;
    this.#repeat(
      this.#ctx.options.neighborhoodProbeMs,
      () => this.probeNeighborhood(),
      (timer) => {
        this.#neighborTimer = timer;
      },
    );
  }

  /** Runs `round` after a period drawn around `mean`, then again, while the node runs. */
  #repeat(mean: number, round: () => Promise<void>, keep: (timer: TimerHandle) => void): void {
    if (!this.#running()) return;
    const again = () => this.#repeat(mean, round, keep);
    keep(
      this.#ctx.clock.setTimeout(() => {
        round().then(again, (error: unknown) => {
          this.#ctx.warn(error);
          again();
        });
      }, this.#period(mean)),
    );
  }
}
