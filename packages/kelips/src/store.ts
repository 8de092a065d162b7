/**
 * The files a node is the homenode of: name → bytes, within a byte budget. Kelips keeps one
 * copy of each file, at its homenode (the paper does not replicate files).
 */
import { P2PError, utf8Length } from '@p2pkit/core';

export class FileStore {
  readonly #files = new Map<string, Uint8Array>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get size(): number {
    return this.#files.size;
  }

  /** Bytes of names and values held. */
  get bytes(): number {
    return this.#bytes;
  }

  get(name: string): Uint8Array | undefined {
    return this.#files.get(name);
  }

  has(name: string): boolean {
    return this.#files.has(name);
  }

  names(): IterableIterator<string> {
    return this.#files.keys();
  }

  entries(): IterableIterator<[string, Uint8Array]> {
    return this.#files.entries();
  }

  /** Stores a copy of `value`; P2PError `ERR_STORE_FULL` past the budget. */
  put(name: string, value: Uint8Array): void {
    const old = this.#files.get(name);
    const delta = (old === undefined ? utf8Length(name) : -old.length) + value.length;
    if (this.#bytes + delta > this.#maxBytes) {
      throw new P2PError(
        `store full (${this.#bytes} of ${this.#maxBytes} bytes)`,
        'ERR_STORE_FULL',
      );
    }
    this.#files.set(name, value.slice());
    this.#bytes += delta;
  }

  delete(name: string): void {
    const old = this.#files.get(name);
    if (old === undefined) return;
    this.#files.delete(name);
    this.#bytes -= utf8Length(name) + old.length;
  }

  clear(): void {
    this.#files.clear();
    this.#bytes = 0;
  }
}
