/** Recently used whole pieces, for serving uploads without a disk read per block. */
export class PieceCache {
  #maxBytes: number;
  readonly #pieces = new Map<number, Uint8Array>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Raises the budget to at least `bytes`. */
  reserve(bytes: number): void {
    this.#maxBytes = Math.max(this.#maxBytes, bytes);
  }

  /** Whether the piece is held (without touching its recency). */
  has(index: number): boolean {
    return this.#pieces.has(index);
  }

  get(index: number): Uint8Array | undefined {
    const data = this.#pieces.get(index);
    if (data) {
      this.#pieces.delete(index);
      this.#pieces.set(index, data);
    }
    return data;
  }

  /** Caches a piece; returns the pieces evicted to make room (their buffers may be reused). */
  put(index: number, data: Uint8Array): Uint8Array[] {
    const evicted: Uint8Array[] = [];
    const old = this.#pieces.get(index);
    if (old) {
      this.#bytes -= old.length;
      this.#pieces.delete(index);
      if (old !== data) evicted.push(old);
    }
    this.#pieces.set(index, data);
    this.#bytes += data.length;
    for (const [key, value] of this.#pieces) {
      if (this.#bytes <= this.#maxBytes || key === index) break;
      this.#pieces.delete(key);
      this.#bytes -= value.length;
      evicted.push(value);
    }
    return evicted;
  }

  clear(): void {
    this.#pieces.clear();
    this.#bytes = 0;
  }
}
