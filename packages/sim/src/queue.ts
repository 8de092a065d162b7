/**
 * The event queue: a 4-ary min-heap over (time, sequence), and a pool of event slots that the
 * heap points into, all in typed arrays.
 *
 * Why this shape: with 10^5 pending events an array of event objects spills out of cache and
 * every comparison chases a pointer (about 1M operations/s in V8, bench/queue.js), while typed
 * arrays keep keys contiguous. Memory layout is chosen by cache lines, because at 10^5 hosts
 * most accesses miss: a heap key is (time, sequence) side by side, so the four children
 * compared at one level of the 4-ary heap share one 64-byte line; a slot's numbers (kind,
 * generation and four payload numbers) share another, and its two references sit together in
 * one array. The sequence number, taken when an event is scheduled, breaks ties: events at one
 * instant run in the order they were scheduled, so one seed gives one history.
 *
 * Slots are recycled through a free list, so scheduling allocates nothing once the pool has
 * grown. Cancelling is lazy: the slot is marked dead and skipped when it reaches the top; when
 * dead entries outnumber live ones the heap is rebuilt without them, so cancelled timers
 * (every RPC that gets its answer cancels one) cannot pile up.
 */

/** Slot kinds 0 and 1 are the queue's own; the simulator defines the rest. */
export const KIND_FREE = 0;
export const KIND_DEAD = 1;

/** Slots a timer handle can name: handles encode (generation, slot) in one safe integer. */
export const SLOT_LIMIT = 2 ** 26;
const GENERATION_MASK = SLOT_LIMIT - 1;

/** Numbers per slot in `f`: kind, generation, n, x, y, z (and two spare: one cache line). */
const STRIDE = 8;
const KIND = 0;
const GEN = 1;
const N = 2;
const X = 3;
const Y = 4;
const Z = 5;

const INITIAL_CAPACITY = 1024;

export class EventQueue {
  // --- heap, indexed by heap position ---
  /** (time, sequence) pairs. */
  private keys = new Float64Array(INITIAL_CAPACITY * 2);
  /** Slot of each heap entry. */
  private order = new Int32Array(INITIAL_CAPACITY);
  /** Entries in the heap, live or dead. */
  size = 0;
  /** Cancelled entries still in the heap. */
  dead = 0;
  private nextSeq = 0;

  // --- slot pool, indexed by slot ---
  private f = new Float64Array(INITIAL_CAPACITY * STRIDE);
  private refs: unknown[] = new Array<unknown>(INITIAL_CAPACITY * 2).fill(undefined);
  private free = new Int32Array(INITIAL_CAPACITY);
  private freeCount = 0;
  /** Slots ever handed out (the pool's high-water mark). */
  private slots = 0;
  /** Slots the pool can hold before it grows. */
  capacity = INITIAL_CAPACITY;

  /** Live (not cancelled) events in the heap. */
  get live(): number {
    return this.size - this.dead;
  }

  // Slot fields. Small methods: V8 inlines them.
  kind(slot: number): number {
    return this.f[slot * STRIDE + KIND]!;
  }
  setKind(slot: number, kind: number): void {
    this.f[slot * STRIDE + KIND] = kind;
  }
  /** Bumped whenever the slot is cancelled or freed, so stale handles are recognised. */
  gen(slot: number): number {
    return this.f[slot * STRIDE + GEN]!;
  }
  a(slot: number): unknown {
    return this.refs[slot * 2];
  }
  setA(slot: number, value: unknown): void {
    this.refs[slot * 2] = value;
  }
  b(slot: number): unknown {
    return this.refs[slot * 2 + 1];
  }
  setB(slot: number, value: unknown): void {
    this.refs[slot * 2 + 1] = value;
  }
  n(slot: number): number {
    return this.f[slot * STRIDE + N]!;
  }
  setN(slot: number, value: number): void {
    this.f[slot * STRIDE + N] = value;
  }
  x(slot: number): number {
    return this.f[slot * STRIDE + X]!;
  }
  setX(slot: number, value: number): void {
    this.f[slot * STRIDE + X] = value;
  }
  y(slot: number): number {
    return this.f[slot * STRIDE + Y]!;
  }
  setY(slot: number, value: number): void {
    this.f[slot * STRIDE + Y] = value;
  }
  z(slot: number): number {
    return this.f[slot * STRIDE + Z]!;
  }
  setZ(slot: number, value: number): void {
    this.f[slot * STRIDE + Z] = value;
  }

  /** Takes a slot and sets its kind; fill its fields, then push() it (or park it). */
  alloc(kind: number): number {
    let slot: number;
    if (this.freeCount > 0) slot = this.free[--this.freeCount]!;
    else {
      if (this.slots === this.capacity) this.growSlots();
      slot = this.slots++;
    }
    this.f[slot * STRIDE + KIND] = kind;
    return slot;
  }

  /** Returns a slot to the pool and forgets its references. */
  release(slot: number): void {
    const at = slot * STRIDE;
    this.f[at + KIND] = KIND_FREE;
    this.f[at + GEN] = (this.f[at + GEN]! + 1) & GENERATION_MASK;
    this.refs[slot * 2] = undefined;
    this.refs[slot * 2 + 1] = undefined;
    this.free[this.freeCount++] = slot;
  }

  /** Schedules `slot` at `time`, after everything already scheduled at that time. */
  push(time: number, slot: number): void {
    if (this.size === this.order.length) this.growHeap();
    const keys = this.keys;
    const order = this.order;
    const seq = this.nextSeq++;
    let i = this.size++;
    // Sift up, moving the hole rather than swapping.
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = keys[2 * parent]!;
      if (pt < time || (pt === time && keys[2 * parent + 1]! < seq)) break;
      keys[2 * i] = pt;
      keys[2 * i + 1] = keys[2 * parent + 1]!;
      order[i] = order[parent]!;
      i = parent;
    }
    keys[2 * i] = time;
    keys[2 * i + 1] = seq;
    order[i] = slot;
  }

  /** Time of the earliest live event, or Infinity. Frees cancelled entries found at the top. */
  peekTime(): number {
    if (this.dead === 0) return this.size > 0 ? this.keys[0]! : Number.POSITIVE_INFINITY;
    while (this.size > 0) {
      const top = this.order[0]!;
      if (this.f[top * STRIDE + KIND] !== KIND_DEAD) return this.keys[0]!;
      this.removeTop();
      this.dead--;
      this.release(top);
    }
    return Number.POSITIVE_INFINITY;
  }

  /** Removes and returns the earliest live event's slot; call peekTime() first (never empty). */
  pop(): number {
    const top = this.order[0]!;
    this.removeTop();
    return top;
  }

  /** Cancels a scheduled slot: it stays in the heap, dead, until it surfaces or a rebuild. */
  cancel(slot: number): void {
    const at = slot * STRIDE;
    this.f[at + KIND] = KIND_DEAD;
    this.f[at + GEN] = (this.f[at + GEN]! + 1) & GENERATION_MASK;
    this.refs[slot * 2] = undefined;
    this.refs[slot * 2 + 1] = undefined;
    this.dead++;
    if (this.dead > 4096 && this.dead * 2 > this.size) this.rebuild();
  }

  private removeTop(): void {
    const n = --this.size;
    if (n === 0) return;
    this.keys[0] = this.keys[2 * n]!;
    this.keys[1] = this.keys[2 * n + 1]!;
    this.order[0] = this.order[n]!;
    this.siftDown(0);
  }

  /** Moves the entry at `start` down to its place: 4-ary, so half the levels of a binary heap. */
  private siftDown(start: number): void {
    const keys = this.keys;
    const order = this.order;
    const n = this.size;
    const time = keys[2 * start]!;
    const seq = keys[2 * start + 1]!;
    const slot = order[start]!;
    let i = start;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let child = first;
      let ct = keys[2 * first]!;
      let cs = keys[2 * first + 1]!;
      const last = Math.min(first + 4, n);
      for (let k = first + 1; k < last; k++) {
        const kt = keys[2 * k]!;
        if (kt < ct || (kt === ct && keys[2 * k + 1]! < cs)) {
          child = k;
          ct = kt;
          cs = keys[2 * k + 1]!;
        }
      }
      if (time < ct || (time === ct && seq < cs)) break;
      keys[2 * i] = ct;
      keys[2 * i + 1] = cs;
      order[i] = order[child]!;
      i = child;
    }
    keys[2 * i] = time;
    keys[2 * i + 1] = seq;
    order[i] = slot;
  }

  /** Drops every dead entry and re-heapifies (Floyd, O(n)). Order is unchanged: keys are kept. */
  private rebuild(): void {
    const keys = this.keys;
    const order = this.order;
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      const slot = order[i]!;
      if (this.f[slot * STRIDE + KIND] === KIND_DEAD) {
        this.release(slot);
        continue;
      }
      keys[2 * n] = keys[2 * i]!;
      keys[2 * n + 1] = keys[2 * i + 1]!;
      order[n] = slot;
      n++;
    }
    this.size = n;
    this.dead = 0;
    for (let i = (n - 2) >> 2; i >= 0; i--) this.siftDown(i);
  }

  private growHeap(): void {
    const capacity = this.order.length * 2;
    const keys = new Float64Array(capacity * 2);
    keys.set(this.keys);
    this.keys = keys;
    const order = new Int32Array(capacity);
    order.set(this.order);
    this.order = order;
  }

  private growSlots(): void {
    const capacity = this.capacity * 2;
    if (capacity > SLOT_LIMIT) {
      throw new RangeError(`event queue: more than ${SLOT_LIMIT} events pending`);
    }
    const f = new Float64Array(capacity * STRIDE);
    f.set(this.f);
    this.f = f;
    const free = new Int32Array(capacity);
    free.set(this.free);
    this.free = free;
    for (let i = this.refs.length; i < capacity * 2; i++) this.refs.push(undefined);
    this.capacity = capacity;
  }
}
