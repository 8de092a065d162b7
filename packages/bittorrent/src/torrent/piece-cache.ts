/** Recently used whole pieces, for serving uploads without a disk read per block. */
export class PieceCache {
  readonly #maxBytes: number;
  readonly #pieces = new Map<number, Uint8Array>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
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
