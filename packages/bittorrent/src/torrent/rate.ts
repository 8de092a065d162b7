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
