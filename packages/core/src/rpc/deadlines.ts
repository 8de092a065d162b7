/** Something with a deadline that may be settled before it (then it is skipped, lazily). */
export interface Deadline {
  deadline: number;
  settled: boolean;
}

/**
 * Pending deadlines in time order, cheap when they arrive in order. An RPC endpoint's requests
 * mostly share one timeout, so their deadlines are pushed in nondecreasing order: those go to a
 * FIFO (O(1) push and pop). The rare out-of-order one (a shorter per-request timeout) goes to a
 * small binary heap. Settled entries are not searched for and removed; they are dropped when
 * they reach the front, which keeps settling O(1).
 */
export class DeadlineQueue<T extends Deadline> {
  #fifo: (T | undefined)[] = [];
  #head = 0;
  #heap: T[] = [];

  /** Entries held, settled ones included (for tests and memory accounting). */
  get size(): number {
    return this.#fifo.length - this.#head + this.#heap.length;
  }

  push(item: T): void {
    const fifo = this.#fifo;
    const tail = fifo.length > this.#head ? fifo[fifo.length - 1] : undefined;
    if (tail === undefined || tail.deadline <= item.deadline) fifo.push(item);
    else heapPush(this.#heap, item);
  }

  /** The earliest unsettled entry, without removing it (settled ones in front are dropped). */
  peek(): T | undefined {
    const a = this.#fifoFront();
    const b = this.#heapFront();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return b.deadline < a.deadline ? b : a;
  }

  /** Removes and returns the earliest unsettled entry if its deadline is <= now. */
  popExpired(now: number): T | undefined {
    const item = this.peek();
    if (item === undefined || item.deadline > now) return undefined;
    if (item === this.#fifo[this.#head]) this.#shift();
    else heapPop(this.#heap);
    return item;
  }

  /** Drops settled entries at the front (call after settling, to keep the FIFO short). */
  trim(): void {
    this.#fifoFront();
  }

  clear(): void {
    this.#fifo = [];
    this.#head = 0;
    this.#heap = [];
  }

  #fifoFront(): T | undefined {
    // #shift() may swap in a new array: read the field on every turn.
    while (this.#head < this.#fifo.length) {
      const item = this.#fifo[this.#head]!;
      if (!item.settled) return item;
      this.#shift();
    }
    return undefined;
  }

  #heapFront(): T | undefined {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.settled) heapPop(heap);
    return heap[0];
  }

  #shift(): void {
    const fifo = this.#fifo;
    fifo[this.#head++] = undefined;
    if (this.#head === fifo.length) {
      this.#fifo = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= fifo.length) {
      // Compact once the consumed prefix dominates: amortised O(1), memory stays bounded.
      this.#fifo = fifo.slice(this.#head);
      this.#head = 0;
    }
  }
}

function heapPush<T extends Deadline>(heap: T[], item: T): void {
  let i = heap.length;
  heap.push(item);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.deadline <= item.deadline) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = item;
}

function heapPop<T extends Deadline>(heap: T[]): void {
  const last = heap.pop()!;
  const n = heap.length;
  if (n === 0) return;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= n) break;
    const right = left + 1;
    const child = right < n && heap[right]!.deadline < heap[left]!.deadline ? right : left;
    if (heap[child]!.deadline >= last.deadline) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
}
