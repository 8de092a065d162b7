/**
 * Transfer rates without timers: bytes are added to the current one-second slot; the owner's
 * periodic tick calls `rotate(now)`. Rates are averages over the last N complete seconds
 * (the choker uses ~20 s, the request pipeline a few seconds).
 */
export class RateMeter {
  readonly #slots: Float64Array;
  #head = 0;
  #current = 0;
  #filled = 0;
  #slotStart: number;
  /** rate(n) for each n, valid until the next slot closes (-1: not computed). */
  readonly #cache: Float64Array;
  total = 0;

  constructor(now: number, windowSeconds = 20) {
    this.#slots = new Float64Array(windowSeconds);
    this.#cache = new Float64Array(windowSeconds + 1).fill(-1);
    this.#slotStart = now;
  }

  add(bytes: number): void {
    this.#current += bytes;
    this.total += bytes;
  }

  /** Closes the slots that ended by `now` (call about once a second). */
  rotate(now: number): void {
    if (now - this.#slotStart >= 1000) this.#cache.fill(-1);
    while (now - this.#slotStart >= 1000) {
      this.#slots[this.#head] = this.#current;
      this.#head = (this.#head + 1) % this.#slots.length;
      this.#current = 0;
      this.#filled = Math.min(this.#filled + 1, this.#slots.length);
      this.#slotStart += 1000;
      if (now - this.#slotStart > this.#slots.length * 1000) {
        // Long gap (e.g. a paused simulation): everything older is zero.
        this.#slots.fill(0);
        this.#filled = this.#slots.length;
        this.#slotStart = now;
      }
    }
  }

  /**
   * Bytes per second over about the last `seconds`, the current (partial) second included: what
   * a status line shows (rate() counts complete seconds only, so it lags by one or two).
   */
  recent(now: number, seconds = 3): number {
    const full = Math.min(seconds - 1, this.#filled);
    let sum = this.#current;
    for (let i = 1; i <= full; i++) {
      sum += this.#slots[(this.#head - i + this.#slots.length) % this.#slots.length]!;
    }
    const partial = Math.min(1, Math.max(0, (now - this.#slotStart) / 1000));
    // At least a second: a block that arrived 10 ms into a fresh meter is not 1.6 MB/s.
    return sum / Math.max(1, full + partial);
  }

  /** Bytes per second over the last `seconds` complete seconds (default: the whole window). */
  rate(seconds = this.#slots.length): number {
    const n = Math.min(seconds, this.#filled);
    if (n === 0) return 0;
    // Complete slots only change in rotate(): the choker asks for every peer's rate on every
    // interest change, so the sums are kept until then.
    const cached = this.#cache[n]!;
    if (cached >= 0) return cached;
    let sum = 0;
    for (let i = 1; i <= n; i++) {
      sum += this.#slots[(this.#head - i + this.#slots.length) % this.#slots.length]!;
    }
    const rate = sum / n;
    this.#cache[n] = rate;
    return rate;
  }
}

/**
 * A rate limit: `rate` bytes/s, with bursts up to `capacity` (one second's worth, and at least
 * one block, else a limit below 16 KiB/s could never pay for a block). Time comes from the
 * caller (the runtime's clock), so it replays in the simulator.
 */
export class TokenBucket {
  readonly rate: number;
  readonly #capacity: number;
  #tokens: number;
  #at: number;

  constructor(rate: number, now: number, minCapacity: number) {
    this.rate = rate;
    this.#capacity = Math.max(rate, minCapacity);
    this.#tokens = this.#capacity;
    this.#at = now;
  }

  /** Bytes that may be spent now. */
  available(now: number): number {
    if (now > this.#at) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#at) * this.rate) / 1000);
      this.#at = now;
    }
    return this.#tokens;
  }

  /** Spends `bytes` if that many are available; false (nothing spent) otherwise. */
  take(bytes: number, now: number): boolean {
    if (this.available(now) < bytes) return false;
    this.#tokens -= bytes;
    return true;
  }

  /** Milliseconds until `bytes` are available (0 if they are now). */
  waitMs(bytes: number, now: number): number {
    const missing = bytes - this.available(now);
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.rate);
  }
}
