import { abortErrorFrom } from './errors.js';
import type { Clock, TimerHandle } from './runtime.js';

/**
 * `Clock.sleep` written once over a clock's setTimeout/clearTimeout, so the real clock, the
 * manual clock and the simulator's agree on abort behaviour: an aborted sleep rejects with
 * AbortError, cancels its timer, and never leaves a listener on the signal.
 */
export function sleepOn(
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortErrorFrom(signal));
  return new Promise<void>((resolve, reject) => {
    let handle: TimerHandle | undefined;
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(abortErrorFrom(signal!));
    };
    handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
