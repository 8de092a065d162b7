/**
 * Everything a real runtime opened and has not closed yet: listeners, sockets, dials in
 * flight. realRuntime().close() walks it, so a forgotten socket never keeps a process alive.
 */
export class Handles {
  readonly #closers = new Set<() => unknown>();

  /** Registers `close`; the returned function unregisters it (call it once the handle closed). */
  add(close: () => unknown): () => void {
    const entry = () => close();
    this.#closers.add(entry);
    return () => {
      this.#closers.delete(entry);
    };
  }

  get size(): number {
    return this.#closers.size;
  }

  /** Closes everything still registered. */
  async closeAll(): Promise<void> {
    const closers = [...this.#closers];
    this.#closers.clear();
    await Promise.allSettled(closers.map((close) => close()));
  }
}
