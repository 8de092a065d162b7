import { performance } from 'node:perf_hooks';
import { sleepOn } from '../clock-sleep.js';
import type { Clock, TimerHandle } from '../runtime.js';

/** A Clock that can also forget every timer it started (realRuntime().close() uses it). */
export interface RealClock extends Clock {
  /** Cancels every timeout and interval still scheduled. */
  clearAll(): void;
}

/**
 * Wall-clock time for real runs: `performance.now()` (monotonic, sub-millisecond) and Node's
 * timers. Intervals are unref'd: a periodic maintenance timer alone never keeps a process
 * alive (sockets do); one-shot timers and sleeps are ref'd, so `await clock.sleep(ms)` in a
 * script waits as it should. Live timers are tracked so close() can cancel all of them.
 */
export function realClock(): RealClock {
  const live = new Set<NodeJS.Timeout>();
  return {
    now: () => performance.now(),
    setTimeout(callback, ms) {
      const timer: NodeJS.Timeout = setTimeout(() => {
        live.delete(timer);
        callback();
      }, ms);
      live.add(timer);
      return timer as unknown as TimerHandle;
    },
    setInterval(callback, ms) {
      const timer = setInterval(callback, ms);
      timer.unref();
      live.add(timer);
      return timer as unknown as TimerHandle;
    },
    clearTimeout(handle) {
      if (handle === undefined) return;
      const timer = handle as unknown as NodeJS.Timeout;
      // clearTimeout also clears intervals in Node.
      clearTimeout(timer);
      live.delete(timer);
    },
    sleep(ms, signal) {
      return sleepOn(this, ms, signal);
    },
    clearAll() {
      for (const timer of live) clearTimeout(timer);
      live.clear();
    },
  };
}
