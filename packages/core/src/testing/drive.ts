import { afterEach, expect } from 'vitest';
import type { Runtime } from '../runtime.js';

/** What a suite needs to wait on a network: settle it, and move virtual time if it has any. */
export interface Drivable {
  settle(): Promise<void>;
  advance?(ms: number): Promise<void>;
}

/**
 * Waits for `promise`. On a real network that is all; on a virtual one (a harness with
 * `advance`) time is moved forward `stepMs` at a time until the promise settles, and more than
 * `waitMs` of virtual time is a failure naming `what`.
 */
export async function driveUntil<T>(
  network: Drivable,
  promise: Promise<T>,
  what: string,
  stepMs: number,
  waitMs: number,
): Promise<T> {
  if (!network.advance) return promise;
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  // Keep the rejection handled while we drive time; `tracked` rethrows it below.
  tracked.catch(() => {});
  await network.settle();
  for (let waited = 0; !settled; waited += stepMs) {
    if (waited > waitMs)
      throw new Error(`${what}: did not happen within ${waitMs} ms of virtual time`);
    await network.advance(stepMs);
  }
  return tracked;
}

/** A suite's hold on its harness: one per test, closed with everything registered in cleanups. */
export interface HarnessScope<
  H extends Drivable & { runtimes: readonly Runtime[]; close(): Promise<void> },
> {
  /** Run after the current test, last registered first. */
  readonly cleanups: (() => unknown)[];
  /** The current test's harness (after `setup`). */
  readonly harness: H;
  /** A fresh harness for this test: its first two runtimes, and the harness. */
  setup(): Promise<{ a: Runtime; b: Runtime; h: H }>;
  /** `driveUntil` on the current harness. */
  until<T>(promise: Promise<T>, what: string): Promise<T>;
  /** The error `promise` rejects with (driving the harness); fails when it resolves. */
  rejection(promise: Promise<unknown>, what: string): Promise<unknown>;
}

/**
 * Registers (inside a `describe`) the afterEach that runs the cleanups and closes the harness,
 * and returns the scope the tests use.
 */
export function harnessScope<
  H extends Drivable & { runtimes: readonly Runtime[]; close(): Promise<void> },
>(factory: () => Promise<H>, stepMs: number, waitMs: number): HarnessScope<H> {
  let current: H | undefined;
  const until = <T>(promise: Promise<T>, what: string): Promise<T> =>
    driveUntil(current!, promise, what, stepMs, waitMs);
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // Best effort: the test already reported what mattered.
      }
    }
    await current?.close();
    current = undefined;
  });
  return {
    cleanups,
    get harness(): H {
      if (!current) throw new Error('harnessScope: setup() first');
      return current;
    },
    async setup() {
      const h = await factory();
      current = h;
      expect(h.runtimes.length).toBeGreaterThanOrEqual(2);
      return { a: h.runtimes[0]!, b: h.runtimes[1]!, h };
    },
    until,
    async rejection(promise, what) {
      try {
        await until(promise, what);
      } catch (error) {
        return error;
      }
      throw new Error(`${what}: expected a rejection`);
    },
  };
}
