/**
 * A small typed event emitter. Core's main entry must not import `node:events` (it stays
 * portable), and protocol packages expose typed events, so the one emitter lives here.
 *
 * Differences from node:events, on purpose:
 * - listeners are typed by an event map: `Emitter<{ data: [chunk: Uint8Array] }>`;
 * - an `error` event with no listener is dropped, not thrown: a bad peer must never crash the
 *   process (the owner decides what an error means and logs it);
 * - a listener that throws does not stop the others; the first exception is rethrown once every
 *   listener has run, so a bug is loud but cannot silence its neighbours.
 */
// biome-ignore lint/suspicious/noExplicitAny: event maps are checked at the use site.
export type EventMap<E> = { [K in keyof E]: any[] };

type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<E extends EventMap<E>> {
  #listeners: { [K in keyof E]?: Listener<E[K]>[] } = {};

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.#listeners[event];
    if (list) list.push(listener);
    else this.#listeners[event] = [listener];
    return this;
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const wrapper: Listener<E[K]> = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.#listeners[event];
    if (!list) return this;
    const index = list.indexOf(listener);
    if (index !== -1) list.splice(index, 1);
    if (list.length === 0) delete this.#listeners[event];
    return this;
  }

  /** Removes every listener, or every listener of one event. */
  removeAllListeners(event?: keyof E): this {
    if (event === undefined) this.#listeners = {};
    else delete this.#listeners[event];
    return this;
  }

  listenerCount(event: keyof E): number {
    return this.#listeners[event]?.length ?? 0;
  }

  /** Calls every listener of `event`; returns whether there was one. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.#listeners[event];
    if (!list) return false;
    if (list.length === 1) {
      list[0]!(...args);
      return true;
    }
    let failure: unknown;
    let failed = false;
    // Copy: a listener may remove itself (once) while we iterate.
    for (const listener of list.slice()) {
      try {
        listener(...args);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
    if (failed) throw failure;
    return true;
  }
}
