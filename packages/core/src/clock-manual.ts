import { sleepOn } from './clock-sleep.js';
import type { Clock, TimerHandle } from './runtime.js';

/**
 * A clock that only moves when told to: the unit-test clock. Timers fire inside advance(), in
 * due-time order, ties broken by creation order (a sequence number), so a test is deterministic
 * however its timers were interleaved.
 *
 * Timer callbacks run synchronously inside advance(); promise continuations they trigger run
 * after advance() returns. Code that awaits between timers (`await sleep(10); await sleep(10)`)
 * needs the test to yield between steps, e.g. `clock.advance(10); await flush(); clock.advance(10)`.
 */
export interface ManualClock extends Clock {
  /**
   * Moves time forward by `ms`, running every timer that falls due on the way (including timers
   * those callbacks schedule, if they fall due before the target). Returns how many ran.
   */
  advance(ms: number): number;
  /** Moves time forward to the absolute time `time` (no-op if in the past). Returns how many ran. */
  advanceTo(time: number): number;
  /**
   * Runs timers, jumping time to each, until none is left. Throws after `limit` callbacks (an
   * interval never ends on its own). Returns how many ran.
   */
  runAll(limit?: number): number;
  /** Due time of the next timer, or undefined when none is scheduled. */
  nextDue(): number | undefined;
  /** Number of scheduled timers (an interval counts once). */
  readonly pending: number;
}

interface Timer {
  due: number;
  seq: number;
  callback: () => void;
  /** Repeat period for intervals; 0 for one-shot timers. */
  period: number;
  cancelled: boolean;
}

/** Creates a ManualClock starting at `start` milliseconds (default 0). */
export function createManualClock(start = 0): ManualClock {
  return new ManualClockImpl(start);
}

class ManualClockImpl implements ManualClock {
  #now: number;
  #seq = 0;
  #active = 0;
  /** Binary min-heap on (due, seq); cancelled timers are removed lazily when they reach the top. */
  #heap: Timer[] = [];

  constructor(start: number) {
    this.#now = start;
  }

  get pending(): number {
    return this.#active;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.#schedule(callback, delay(ms), 0);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    // As Node does, an interval below 1 ms repeats every 1 ms (never a busy loop at one instant).
    const period = Math.max(1, delay(ms));
    return this.#schedule(callback, period, period);
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    const timer = handle as unknown as Timer | undefined;
    if (!timer || timer.cancelled) return;
    timer.cancelled = true;
    this.#active--;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  advance(ms: number): number {
    return this.advanceTo(this.#now + delay(ms));
  }

  advanceTo(time: number): number {
    let ran = 0;
    for (;;) {
      const timer = this.#peek();
      if (!timer || timer.due > time) break;
      this.#fire(timer);
      ran++;
    }
    if (time > this.#now) this.#now = time;
    return ran;
  }

  runAll(limit = 100_000): number {
    let ran = 0;
    for (;;) {
      const timer = this.#peek();
      if (!timer) return ran;
      if (ran >= limit) throw new Error(`ManualClock.runAll: more than ${limit} timers ran`);
      this.#fire(timer);
      ran++;
    }
  }

  nextDue(): number | undefined {
    return this.#peek()?.due;
  }

  #schedule(callback: () => void, ms: number, period: number): TimerHandle {
    const timer: Timer = {
      due: this.#now + ms,
      seq: this.#seq++,
      callback,
      period,
      cancelled: false,
    };
    this.#push(timer);
    this.#active++;
    return timer as unknown as TimerHandle;
  }

  /** Pops `timer` (the heap top), moves time to it, re-arms it if periodic, runs it. */
  #fire(timer: Timer): void {
    this.#pop();
    if (timer.due > this.#now) this.#now = timer.due;
    if (timer.period > 0) {
      timer.due += timer.period;
      timer.seq = this.#seq++;
      this.#push(timer);
    } else {
      timer.cancelled = true;
      this.#active--;
    }
    timer.callback();
  }

  /** The earliest live timer, discarding cancelled ones on the way. */
  #peek(): Timer | undefined {
    for (;;) {
      const top = this.#heap[0];
      if (!top?.cancelled) return top;
      this.#pop();
    }
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = timer;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/** Milliseconds as timers understand them: NaN, negative and non-finite become 0. */
function delay(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}
