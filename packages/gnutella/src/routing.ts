/**
 * Reverse-path routing state (0.6 draft §2.2.4): which connection a Ping, Query or servent id
 * came from, and which message GUIDs were already seen.
 *
 * Each table keeps two generations, as LimeWire's RouteTable does: entries go into the current
 * generation; when it is older than `ttlMs` or holds `maxEntries`, the previous one is dropped
 * and the current one becomes previous. Lookups see both. So an entry lives between one and two
 * periods, memory is bounded by 2 x maxEntries, and every operation is O(1) with no timers.
 */
import type { Clock } from '@p2pkit/core';

export interface RouteTableOptions {
  /** Time an entry is kept for at least (default 10 minutes, LimeWire's for query routes). */
  ttlMs?: number;
  /** Most entries per generation (default 50,000). */
  maxEntries?: number;
}

export class RouteTable<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();
  private startedAt: number;
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly clock: Clock,
    options: RouteTableOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.maxEntries = options.maxEntries ?? 50_000;
    this.startedAt = clock.now();
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  get(key: string): V | undefined {
    this.rotate();
    return this.current.get(key) ?? this.previous.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: V): void {
    this.rotate();
    if (this.current.size >= this.maxEntries) this.shift();
    this.current.set(key, value);
  }

  /**
   * Adds `key` unless present; returns false if it was already there (the duplicate test:
   * one lookup, one insert).
   */
  add(key: string, value: V): boolean {
    if (this.get(key) !== undefined) return false;
    this.set(key, value);
    return true;
  }

  /** Removes every entry whose value satisfies `drop` (a closed connection's routes). */
  removeWhere(drop: (value: V) => boolean): void {
    for (const map of [this.current, this.previous]) {
      for (const [k, v] of map) if (drop(v)) map.delete(k);
    }
  }

  clear(): void {
    this.current.clear();
    this.previous.clear();
  }

  private rotate(): void {
    if (this.clock.now() - this.startedAt >= this.ttlMs) this.shift();
  }

  private shift(): void {
    this.previous = this.current;
    this.current = new Map();
    this.startedAt = this.clock.now();
  }
}
