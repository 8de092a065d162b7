/**
 * The event queue: a ladder queue (Tang, Goh and Thng, ACM TOMACS 2005) over a pool of event
 * slots kept as a struct of typed arrays.
 *
 * Events run in (time, sequence) order: the sequence is the order in which events were
 * scheduled, so events at one instant run in that order and one seed gives one history. Any
 * correct priority queue yields the same order; this one costs O(1) amortized per event instead
 * of a heap's O(log n).
 *
 * Three tiers, each holding events later than every event in the tiers below:
 * - Top: an array of events at or after `topStart`, in scheduling order, with their min and max;
 * - rungs: arrays of buckets, rung r+1 splitting one bucket of rung r; bucket k of a rung holds
 *   events with time in [start + k·width, start + (k+1)·width) as a FIFO list, and buckets
 *   before the rung's `cur` have been handed down already;
 * - Bottom: a short array sorted by time, the events that run next.
 * An event goes to the first tier whose range takes it (a comparison, a division, an append).
 * When Bottom runs dry, the next bucket of the finest rung is sorted into it, or split into a
 * new rung if large; when every rung is spent, Top is spread over a new first rung. Each event
 * thus moves down a few times at most, and bucket widths follow the spread of the events, so
 * skewed mixes (0-delay callbacks, latencies, timeouts, 30 s intervals) stay O(1).
 *
 * Ties need no sequence numbers: every tier keeps scheduling order among events of equal time
 * (Top and bucket lists are FIFO, sorts are stable, a new event goes after its equals), and an
 * event always comes later in that order than everything already queued.
 *
 * Layout: what the queue reads per event lives in contiguous arrays (Top's and Bottom's times
 * beside their slots), and a slot's own time and list link share one 16-byte record, so moving
 * an event between tiers touches one cache line of the slot pool at most. With 10^5 pending
 * events a 4-ary heap here did ~4.5 M hold operations per second (its lower levels miss the
 * cache on every sift); see bench/queue.js for both.
 *
 * The slot pool: an event's payload lives in its slot (a kind, two references and four
 * numbers), slots are recycled through a free list, so scheduling allocates nothing once the
 * pool has grown. Cancelling is lazy: the slot is marked dead and dropped when its tier is
 * handed down or it reaches the front; when dead events outnumber live ones every tier is swept
 * of them, so cancelled timers (every RPC that gets its answer cancels one) cannot pile up.
 */

/** Slot kinds 0 and 1 are the queue's own; the simulator defines the rest. */
export const KIND_FREE = 0;
export const KIND_DEAD = 1;

/** Slots a timer handle can name: handles encode (generation, slot) in one safe integer. */
export const SLOT_LIMIT = 2 ** 26;
const GENERATION_MASK = SLOT_LIMIT - 1;

const INITIAL_CAPACITY = 1024;
/** A bucket with more events than this is split into a new rung rather than sorted. */
const BUCKET_SORT_MAX = 32;
/** Events per bucket a new rung aims at. */
const EVENTS_PER_BUCKET = 2;
const MAX_RUNGS = 8;
const NONE = -1;

export class EventQueue {
  /** Events scheduled and not yet popped, live or dead. */
  size = 0;
  /** Cancelled events still queued. */
  dead = 0;

  // --- slot pool, indexed by slot ---
  kind = new Uint8Array(INITIAL_CAPACITY);
  a: unknown[] = new Array<unknown>(INITIAL_CAPACITY).fill(undefined);
  b: unknown[] = new Array<unknown>(INITIAL_CAPACITY).fill(undefined);
  n = new Float64Array(INITIAL_CAPACITY);
  x = new Int32Array(INITIAL_CAPACITY);
  y = new Int32Array(INITIAL_CAPACITY);
  z = new Int32Array(INITIAL_CAPACITY);
  /** Bumped whenever a slot is cancelled or freed, so stale handles are recognised. */
  gen = new Uint32Array(INITIAL_CAPACITY);
  /** Per slot, one 16-byte record: the scheduled time (f64[2s]) and the next slot of its list (i32[4s + 2]). */
  private f64 = new Float64Array(2 * INITIAL_CAPACITY);
  private i32 = new Int32Array(this.f64.buffer);
  private free = new Int32Array(INITIAL_CAPACITY);
  private freeCount = 0;
  /** Slots ever handed out (the pool's high-water mark). */
  private slots = 0;

  // --- Top: slots and times in scheduling order ---
  private topSlots = new Int32Array(INITIAL_CAPACITY);
  private topTimes = new Float64Array(INITIAL_CAPACITY);
  private topCount = 0;
  private topMin = Number.POSITIVE_INFINITY;
  private topMax = Number.NEGATIVE_INFINITY;
  /** Events at or after this time go to Top (-Infinity: rungs and Bottom are empty). */
  private topStart = Number.NEGATIVE_INFINITY;

  // --- rungs ---
  private rungs = 0;
  private readonly rungStart = new Float64Array(MAX_RUNGS);
  private readonly rungWidth = new Float64Array(MAX_RUNGS);
  private readonly rungBuckets = new Int32Array(MAX_RUNGS);
  /** First bucket of each rung not handed down yet. */
  private readonly rungCur = new Int32Array(MAX_RUNGS);
  private readonly heads: Int32Array[] = [];
  private readonly tails: Int32Array[] = [];

  // --- Bottom: slots and times sorted by time in [botHead, botTail) ---
  private bot = new Int32Array(256);
  private botTimes = new Float64Array(256);
  private botHead = 0;
  private botTail = 0;

  /** Live (not cancelled) events queued. */
  get live(): number {
    return this.size - this.dead;
  }

  /** Takes a slot and sets its kind; fill its fields, then push() it (or park it). */
  alloc(kind: number): number {
    let slot: number;
    if (this.freeCount > 0) slot = this.free[--this.freeCount]!;
    else {
      if (this.slots === this.kind.length) this.growSlots();
      slot = this.slots++;
    }
    this.kind[slot] = kind;
    // Events that carry no number hash a 0, never what the slot's last event left there.
    this.n[slot] = 0;
    return slot;
  }

  /** Returns a slot to the pool and forgets its references. */
  release(slot: number): void {
    this.kind[slot] = KIND_FREE;
    this.a[slot] = undefined;
    this.b[slot] = undefined;
    this.gen[slot] = (this.gen[slot]! + 1) & GENERATION_MASK;
    this.free[this.freeCount++] = slot;
  }

  /** Schedules `slot` at `time`, after everything already scheduled at that time. */
  push(time: number, slot: number): void {
    this.size++;
    if (time >= this.topStart) {
      const count = this.topCount;
      if (count === this.topSlots.length) this.growTop();
      this.topSlots[count] = slot;
      this.topTimes[count] = time;
      this.topCount = count + 1;
      if (time < this.topMin) this.topMin = time;
      if (time > this.topMax) this.topMax = time;
      return;
    }
    this.f64[2 * slot] = time;
    this.placeBelowTop(time, slot);
  }

  /** Time of the earliest live event, or Infinity. Frees cancelled entries found at the front. */
  peekTime(): number {
    for (;;) {
      if (this.botHead === this.botTail && !this.refill()) return Number.POSITIVE_INFINITY;
      const front = this.bot[this.botHead]!;
      if (this.kind[front] !== KIND_DEAD) return this.botTimes[this.botHead]!;
      this.botHead++;
      this.size--;
      this.dead--;
      this.release(front);
    }
  }

  /** Removes and returns the earliest live event's slot; call peekTime() first (never empty). */
  pop(): number {
    this.size--;
    return this.bot[this.botHead++]!;
  }

  /** Cancels a scheduled slot: it stays queued, dead, until it is handed down or surfaces. */
  cancel(slot: number): void {
    this.kind[slot] = KIND_DEAD;
    this.a[slot] = undefined;
    this.b[slot] = undefined;
    this.gen[slot] = (this.gen[slot]! + 1) & GENERATION_MASK;
    this.dead++;
    if (this.dead > 4096 && this.dead * 2 > this.size) this.sweep();
  }

  /** Files an event below Top: the first rung whose remaining buckets take it, else Bottom. */
  private placeBelowTop(time: number, slot: number): void {
    for (let r = 0; r < this.rungs; r++) {
      // Monotone in time (IEEE subtraction and division are), so equal times share a bucket
      // and each bucket's events are later than those of the buckets before it.
      let k = Math.floor((time - this.rungStart[r]!) / this.rungWidth[r]!);
      // Past the last bucket (rounding, or a child rung narrower than its parent's bucket)
      // but below the tier above: the last bucket takes it.
      const last = this.rungBuckets[r]! - 1;
      if (k > last) k = last;
      if (k < this.rungCur[r]!) continue; // handed down already: a finer tier takes it
      this.append(r, k, slot);
      return;
    }
    this.insertBottom(time, slot);
  }

  /** Appends a slot to bucket k of rung r (FIFO: scheduling order is kept). */
  private append(r: number, k: number, slot: number): void {
    const i32 = this.i32;
    i32[4 * slot + 2] = NONE;
    const tails = this.tails[r]!;
    const tail = tails[k]!;
    if (tail === NONE) this.heads[r]![k] = slot;
    else i32[4 * tail + 2] = slot;
    tails[k] = slot;
  }

  /** Sorted insert into Bottom, after every event at the same time. */
  private insertBottom(time: number, slot: number): void {
    if (this.botTail === this.bot.length) this.makeBottomRoom();
    const bot = this.bot;
    const times = this.botTimes;
    let lo = this.botHead;
    let hi = this.botTail;
    // Most new events go last: check that before searching.
    if (lo === hi || times[hi - 1]! <= time) lo = hi;
    else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (times[mid]! <= time) lo = mid + 1;
        else hi = mid;
      }
    }
    const tail = this.botTail;
    if (lo < tail) {
      bot.copyWithin(lo + 1, lo, tail);
      times.copyWithin(lo + 1, lo, tail);
    }
    bot[lo] = slot;
    times[lo] = time;
    this.botTail = tail + 1;
  }

  private makeBottomRoom(): void {
    const count = this.botTail - this.botHead;
    if (this.botHead > 0 && count < this.bot.length / 2) {
      this.bot.copyWithin(0, this.botHead, this.botTail);
      this.botTimes.copyWithin(0, this.botHead, this.botTail);
    } else {
      const slots = new Int32Array(this.bot.length * 2);
      slots.set(this.bot.subarray(this.botHead, this.botTail));
      this.bot = slots;
      const times = new Float64Array(this.botTimes.length * 2);
      times.set(this.botTimes.subarray(this.botHead, this.botTail));
      this.botTimes = times;
    }
    this.botHead = 0;
    this.botTail = count;
  }

  /** Bottom ran dry: hand down the next bucket (or Top). False when nothing is queued. */
  private refill(): boolean {
    for (;;) {
      this.botHead = 0;
      this.botTail = 0;
      if (this.rungs === 0) {
        const count = this.topCount;
        if (count === 0) {
          this.topStart = Number.NEGATIVE_INFINITY;
          return false;
        }
        const min = this.topMin;
        const max = this.topMax;
        this.topCount = 0;
        this.topMin = Number.POSITIVE_INFINITY;
        this.topMax = Number.NEGATIVE_INFINITY;
        if (count <= BUCKET_SORT_MAX || !(max > min)) {
          // Few events, or all at one instant: straight to Bottom; later ones go to Top.
          this.topStart = max;
          this.takeTop(count);
          if (this.sortBottom()) return true;
          continue;
        }
        this.topStart = this.spawnRung(this.topSlots, this.topTimes, count, min, max, true);
        continue;
      }
      // The finest rung's next non-empty bucket, into Bottom in its (FIFO) order.
      const r = this.rungs - 1;
      const heads = this.heads[r]!;
      const buckets = this.rungBuckets[r]!;
      let k = this.rungCur[r]!;
      while (k < buckets && heads[k] === NONE) k++;
      if (k === buckets) {
        this.rungs--;
        continue;
      }
      this.rungCur[r] = k + 1;
      let s = heads[k]!;
      heads[k] = NONE;
      this.tails[r]![k] = NONE;
      const f64 = this.f64;
      const i32 = this.i32;
      const kind = this.kind;
      let n = 0;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      while (s !== NONE) {
        const next = i32[4 * s + 2]!;
        if (kind[s] === KIND_DEAD) {
          this.size--;
          this.dead--;
          this.release(s);
        } else {
          if (n === this.bot.length) this.growBottom();
          const t = f64[2 * s]!;
          this.bot[n] = s;
          this.botTimes[n] = t;
          n++;
          if (t < min) min = t;
          if (t > max) max = t;
        }
        s = next;
      }
      this.botTail = n;
      if (n === 0) continue;
      if (n > BUCKET_SORT_MAX && max > min && this.rungs < MAX_RUNGS) {
        this.spawnRung(this.bot, this.botTimes, n, min, max, false);
        continue;
      }
      this.sortBottom();
      return true;
    }
  }

  /** Moves Top's events (in order) into the empty Bottom, dropping cancelled ones. */
  private takeTop(count: number): void {
    while (this.bot.length < count) this.growBottom();
    const kind = this.kind;
    const slots = this.topSlots;
    const times = this.topTimes;
    let n = 0;
    for (let i = 0; i < count; i++) {
      const s = slots[i]!;
      if (kind[s] === KIND_DEAD) {
        this.size--;
        this.dead--;
        this.release(s);
        continue;
      }
      this.bot[n] = s;
      this.botTimes[n] = times[i]!;
      n++;
    }
    this.botTail = n;
  }

  /**
   * A new finest rung from `count` events (slots and times, in scheduling order) spanning
   * [min, max], max > min. Returns the rung's end (Top's new start, when spawned from Top).
   */
  private spawnRung(
    slots: Int32Array,
    times: Float64Array,
    count: number,
    min: number,
    max: number,
    fromTop: boolean,
  ): number {
    const r = this.rungs++;
    const buckets = Math.ceil(count / EVENTS_PER_BUCKET) + 1;
    let width = (max - min) / (buckets - 1);
    if (!(width > 0)) width = max - min; // underflow: a span of a few ulps
    // The last event must land below the rung's end: widen if rounding says otherwise.
    while (min + buckets * width <= max) width += width * 1e-4 || Number.MIN_VALUE;
    if ((this.heads[r]?.length ?? 0) < buckets) {
      const capacity = Math.max(buckets, 1024, (this.heads[r]?.length ?? 0) * 2);
      this.heads[r] = new Int32Array(capacity);
      this.tails[r] = new Int32Array(capacity);
    }
    this.heads[r]!.fill(NONE, 0, buckets);
    this.tails[r]!.fill(NONE, 0, buckets);
    this.rungStart[r] = min;
    this.rungWidth[r] = width;
    this.rungBuckets[r] = buckets;
    this.rungCur[r] = 0;
    const last = buckets - 1;
    const kind = this.kind;
    const f64 = this.f64;
    for (let i = 0; i < count; i++) {
      const s = slots[i]!;
      if (fromTop && kind[s] === KIND_DEAD) {
        this.size--;
        this.dead--;
        this.release(s);
        continue;
      }
      const t = times[i]!;
      f64[2 * s] = t;
      let k = Math.floor((t - min) / width);
      if (k > last) k = last;
      this.append(r, k, s);
    }
    return min + buckets * width;
  }

  /** Sorts Bottom's [0, botTail) by time, stably. False if it is empty. */
  private sortBottom(): boolean {
    const n = this.botTail;
    if (n === 0) return false;
    const bot = this.bot;
    const times = this.botTimes;
    if (n <= 64) {
      for (let i = 1; i < n; i++) {
        const s = bot[i]!;
        const t = times[i]!;
        let j = i - 1;
        while (j >= 0 && times[j]! > t) {
          bot[j + 1] = bot[j]!;
          times[j + 1] = times[j]!;
          j--;
        }
        bot[j + 1] = s;
        times[j + 1] = t;
      }
      return true;
    }
    // Large (an instant's worth of events): sort positions, ties by position (stable).
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((p, q) => times[p]! - times[q]! || p - q);
    const slots = Int32Array.from(order, (i) => bot[i]!);
    const sorted = Float64Array.from(order, (i) => times[i]!);
    bot.set(slots);
    times.set(sorted);
    return true;
  }

  /** Drops every cancelled event from every tier, keeping the order of the rest. */
  private sweep(): void {
    const kind = this.kind;
    const i32 = this.i32;
    let n = this.botHead;
    for (let i = this.botHead; i < this.botTail; i++) {
      const s = this.bot[i]!;
      if (kind[s] === KIND_DEAD) this.drop(s);
      else {
        this.bot[n] = s;
        this.botTimes[n] = this.botTimes[i]!;
        n++;
      }
    }
    this.botTail = n;
    for (let r = 0; r < this.rungs; r++) {
      const heads = this.heads[r]!;
      const tails = this.tails[r]!;
      for (let k = this.rungCur[r]!; k < this.rungBuckets[r]!; k++) {
        let prev = NONE;
        for (let s = heads[k]!; s !== NONE; ) {
          const next = i32[4 * s + 2]!;
          if (kind[s] === KIND_DEAD) {
            if (prev === NONE) heads[k] = next;
            else i32[4 * prev + 2] = next;
            this.drop(s);
          } else prev = s;
          s = next;
        }
        tails[k] = prev;
      }
    }
    let m = 0;
    for (let i = 0; i < this.topCount; i++) {
      const s = this.topSlots[i]!;
      if (kind[s] === KIND_DEAD) this.drop(s);
      else {
        this.topSlots[m] = s;
        this.topTimes[m] = this.topTimes[i]!;
        m++;
      }
    }
    this.topCount = m;
  }

  private drop(slot: number): void {
    this.size--;
    this.dead--;
    this.release(slot);
  }

  private growTop(): void {
    const capacity = this.topSlots.length * 2;
    this.topSlots = grow(this.topSlots, new Int32Array(capacity));
    this.topTimes = grow(this.topTimes, new Float64Array(capacity));
  }

  private growBottom(): void {
    const capacity = this.bot.length * 2;
    this.bot = grow(this.bot, new Int32Array(capacity));
    this.botTimes = grow(this.botTimes, new Float64Array(capacity));
  }

  private growSlots(): void {
    const capacity = this.kind.length * 2;
    if (capacity > SLOT_LIMIT) {
      throw new RangeError(`event queue: more than ${SLOT_LIMIT} events pending`);
    }
    this.kind = grow(this.kind, new Uint8Array(capacity));
    this.n = grow(this.n, new Float64Array(capacity));
    this.x = grow(this.x, new Int32Array(capacity));
    this.y = grow(this.y, new Int32Array(capacity));
    this.z = grow(this.z, new Int32Array(capacity));
    this.gen = grow(this.gen, new Uint32Array(capacity));
    this.f64 = grow(this.f64, new Float64Array(2 * capacity));
    this.i32 = new Int32Array(this.f64.buffer);
    this.free = grow(this.free, new Int32Array(capacity));
    for (let i = this.a.length; i < capacity; i++) {
      this.a.push(undefined);
      this.b.push(undefined);
    }
  }
}

function grow<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
